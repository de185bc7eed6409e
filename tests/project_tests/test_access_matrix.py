"""Who reaches which staff URL: a matrix generated from every admin page, case action, document
and dashboard URL, for anonymous visitors and each role, checked against a rule table written
from navigators/roles.py (who holds which permission) and navigators/access.py (which case).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from navigators.access import landing_page
from navigators.roles import (
    NAVIGATORS,
    PATIENT_ADVOCATES,
    RECORDS_STAFF,
    ROLE_PERMISSIONS,
    SUPERVISORS,
)
from requests.models import RecordItem
from tests.factories import DIAGNOSIS_TEXT
from tests.project_tests.staff_urls import Target, body_of, case_state, request_for, staff_targets
from tests.worlds import (
    PDF,
    ROLE_FIXTURES,
    SENTINEL_SURNAME,
    CaseWorld,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", *ROLE_FIXTURES)
ROLE_GROUP = {
    "supervisor": SUPERVISORS,
    "navigator": NAVIGATORS,
    "other_navigator": NAVIGATORS,
    "records": RECORDS_STAFF,
    "advocate": PATIENT_ADVOCATES,
}
STAFF = frozenset(ROLE_GROUP)


class Outcome(StrEnum):
    PAGE = "200: the page or file"
    DONE = "302 back to the case page: the action was carried out"
    REFUSED = "403"
    HIDDEN = "302 to the admin index: no such object for this user"
    LANDING = "302 to the page the role starts on (access.landing_page)"
    LOGIN = "302 to the login page"


# --- The rule table ------------------------------------------------------------------------

# Records staff and advocates hold no permission on requests.secondopinionrequest (roles.py,
# migration navigators 0007): the case list, case pages and history are refused to them, and
# they reach a case through their work lists (the record item and support task pages).

# The admin's model pages follow the role's model permissions (roles.py), except what the admin
# never offers anyone: requests arrive through the public forms, support tasks from the intake
# answers, emails from the outbox, audit rows from the services; the audit trail is read-only.
NEVER_ADDED = frozenset(
    {
        "requests.secondopinionrequest",
        "requests.supporttask",
        "requests.notification",
        "requests.auditevent",
    }
)
NEVER_CHANGED = frozenset({"requests.auditevent"})
# access.record_items_visible_to: a navigator works the record items of their own cases only;
# another navigator's item does not exist for them (the admin sends them to its index).
OWN_CASE_ITEMS_ONLY = frozenset({"requests.recorditem"})
NAVIGATING = frozenset({"navigator", "other_navigator"})

# Everything but the model pages, as who is let through (access.py, on the navigator's own
# case, or on an unassigned one for "@unassigned").
ALLOWED: dict[str, frozenset[str]] = {
    # The admin index sends every member of staff to their landing page; the admin's own
    # index is "all pages", open to all staff.
    "index": STAFF,
    "all_pages": STAFF,
    # may_open_today: those who work cases (a navigator their own day, a supervisor anyone's).
    "today": frozenset({"supervisor", *NAVIGATING}),
    # may_open_team, and the reassign picker (case_for_user "assign"): supervisors.
    "team": frozenset({"supervisor"}),
    "case_reassign": frozenset({"supervisor"}),
    # can_transition_case: the transition permission and can_change_case (own case, supervisor).
    "case_transition": frozenset({"supervisor", "navigator"}),
    # is_supervisor: only supervisors assign and reassign.
    "case_assign": frozenset({"supervisor"}),
    # can_take_case: a navigator, on an open unassigned case; an assigned case is nobody's to take.
    "case_take": frozenset(),
    "case_take@unassigned": NAVIGATING,
    # can_change_case: supervisors, and the navigator on their own case.
    "case_book": frozenset({"supervisor", "navigator"}),
    "case_appointment_change": frozenset({"supervisor", "navigator"}),
    # can_close_case (can_transition_case, open case): the withdraw and decline pages.
    "case_close": frozenset({"supervisor", "navigator"}),
    # case_to_reopen: supervisors only reopen a withdrawn or declined case.
    "case_reopen": frozenset({"supervisor"}),
    # may_browse_cases: the details page is read by those who open case pages (saved by those
    # who may change the case: can_change_case).
    "case_details": frozenset({"supervisor", *NAVIGATING}),
    # can_log_contact: supervisors, and the navigator on their own case.
    "case_contact": frozenset({"supervisor", "navigator"}),
    "case_note": frozenset({"supervisor", "navigator"}),
    # can_add_record_items: records staff and supervisors on any case, a navigator on their own.
    "case_record_add": frozenset({"supervisor", "navigator", "records"}),
    # can_upload_documents: those who may change the case.
    "case_document_add": frozenset({"supervisor", "navigator"}),
    # can_view_documents: supervisors, records staff, a navigator on their own case; no advocate.
    "document": frozenset({"supervisor", "navigator", "records"}),
    # view_dashboard: navigators and supervisors.
    "dashboard": frozenset({"supervisor", *NAVIGATING}),
    "dashboard_export": frozenset({"supervisor", *NAVIGATING}),
    # may_use_records_desk: whoever reads record items (records staff work it; navigators and
    # supervisors read it); a post needs can_change_record_items on the item's case.
    "records_desk": frozenset({"records", "supervisor", *NAVIGATING}),
    "records_desk_mark": frozenset({"records", "supervisor", "navigator"}),
    "records_desk_bulk": frozenset({"records", "supervisor", "navigator"}),
    # may_use_support_desk: advocates and supervisors; only an advocate takes a task.
    "support_desk": frozenset({"advocate", "supervisor"}),
    "support_desk_take": frozenset({"advocate"}),
    "support_desk_update": frozenset({"advocate", "supervisor"}),
}
POSTED_ACTIONS = frozenset(
    {
        "case_transition",
        "case_assign",
        "case_take",
        "case_appointment_change",
        "case_reopen",
        "case_contact",
        "case_note",
        "case_document_add",
    }
)
# The desks' posts go back to their desk once done.
DESK_POSTS = {
    "records_desk_mark": "admin:records_desk",
    "records_desk_bulk": "admin:records_desk",
    "support_desk_take": "admin:support_desk",
    "support_desk_update": "admin:support_desk",
}


def granted(role: str) -> frozenset[str]:
    """Return the role's permissions as "app_label.codename", from ROLE_PERMISSIONS."""
    by_app = ROLE_PERMISSIONS[ROLE_GROUP[role]]
    return frozenset(f"{app}.{code}" for app, codes in by_app.items() for code in codes)


def expected(role: str, target: Target) -> Outcome:
    """Return what `role` must get at `target`, by the rule table above."""
    if role == "anonymous":
        return Outcome.LOGIN
    if target.model:
        return _expected_model_page(role, target)
    allowed = ALLOWED[str(target)]
    if role not in allowed:
        return Outcome.REFUSED
    if target.kind == "index":
        return Outcome.LANDING
    return Outcome.DONE if target.kind in POSTED_ACTIONS | set(DESK_POSTS) else Outcome.PAGE


def _expected_model_page(role: str, target: Target) -> Outcome:
    app_label, model_name = target.model.split(".")
    perms = granted(role)

    def holds(action: str) -> bool:
        return f"{app_label}.{action}_{model_name}" in perms

    sees = holds("view") or holds("change")
    if target.kind == "changelist":
        allowed = sees
    elif target.kind in {"change", "history"}:
        if sees and target.model in OWN_CASE_ITEMS_ONLY and role == "other_navigator":
            return Outcome.HIDDEN
        allowed = sees
    elif target.kind == "add":
        allowed = holds("add") and target.model not in NEVER_ADDED
    else:  # delete: nothing is deleted in the admin; no role holds a delete permission.
        allowed = holds("delete")
    return Outcome.PAGE if allowed else Outcome.REFUSED


# --- The matrix ----------------------------------------------------------------------------

TARGETS = staff_targets()
MATRIX = [pytest.param(role, target, id=f"{role}-{target}") for role in ROLES for target in TARGETS]


def outcome_of(response: Any, world: CaseWorld, target: Target, landing: str = "") -> str:
    """Name what a response did, in the words of Outcome (or its status and location);
    `landing` is the landing page of the user who asked."""
    if response.status_code == 200:
        return Outcome.PAGE
    if response.status_code == 403:
        return Outcome.REFUSED
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return Outcome.LOGIN
        if location == reverse("admin:index"):
            return Outcome.HIDDEN
        # A desk's post goes back to its desk, which may also be the user's landing page.
        if target.kind in DESK_POSTS and location == reverse(DESK_POSTS[target.kind]):
            return Outcome.DONE
        if landing and location == landing:
            return Outcome.LANDING
        case = world.unassigned if target.on == "unassigned" else world.case
        if location == reverse("admin:requests_secondopinionrequest_change", args=[case.pk]):
            return Outcome.DONE
        return f"302 to {location}"
    return str(response.status_code)


def test_the_matrix_covers_every_registered_model() -> None:
    """The generated matrix holds the five admin pages of every registered model."""
    models = {target.model for target in TARGETS if target.model}
    assert models == {model._meta.label_lower for model in admin.site._registry}
    assert len(TARGETS) == 5 * len(models) + 27


@pytest.mark.parametrize(("role", "target"), MATRIX)
def test_staff_url_access(role: str, target: Target, world: CaseWorld) -> None:
    """Each role gets what the rule table says; no refused response shows the patient or file."""
    client = Client()
    landing = ""
    if role != "anonymous":
        client.force_login(world.users[role])
        landing = landing_page(world.users[role])
    method, url, data = request_for(target, world)
    before = case_state(world, target)

    response = getattr(client, method)(url, data)

    want = expected(role, target)
    assert outcome_of(response, world, target, landing) == want, f"{role} {method.upper()} {url}"
    # A carried-out action changed the case (not just bounced back with an error); nothing
    # else did.
    assert (case_state(world, target) != before) == (want == Outcome.DONE), url
    body = body_of(response)
    if want == Outcome.PAGE and target.kind == "document":
        assert body == PDF
        assert response["Content-Disposition"].startswith("attachment")
    if want in {Outcome.REFUSED, Outcome.LOGIN, Outcome.HIDDEN}:
        assert not getattr(response, "streaming", False), url
        assert SENTINEL_SURNAME.encode() not in body, url
        assert PDF not in body, url


# --- Crafted posts -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["other_navigator", "records", "advocate"])
def test_a_crafted_case_change_post_is_refused(role: str, world: CaseWorld) -> None:
    """A case change post by a role that may not change the case is a 403 and changes nothing."""
    client = Client()
    client.force_login(world.users[role])
    url = reverse("admin:requests_secondopinionrequest_change", args=[world.case.pk])

    response = client.post(url, {"phone": "+16175559999", "first_name": "Changed"})

    assert response.status_code == 403
    world.case.refresh_from_db()
    assert (world.case.first_name, world.case.phone) == ("Maria", "+16175550123")


def test_a_navigator_cannot_add_a_record_item_to_another_navigators_case(
    world: CaseWorld,
) -> None:
    """The record-item add form refuses a case that is not the navigator's own."""
    client = Client()
    client.force_login(world.users["other_navigator"])
    before = RecordItem.objects.filter(case=world.case).count()

    client.post(
        reverse("admin:requests_recorditem_add"),
        {
            "case": world.case.pk,
            "kind": "labs",
            "facility": "Crafted Facility",
            "status": "needed",
            "method": "",
            "tracking_number": "",
            "notes": "",
        },
    )

    assert RecordItem.objects.filter(case=world.case).count() == before


@pytest.mark.parametrize("role", ["records", "advocate"])
@pytest.mark.parametrize("page", ["changelist", "change"])
def test_records_staff_and_advocates_open_no_case_list_or_case_page(
    role: str, page: str, world: CaseWorld
) -> None:
    """Records staff and advocates reach a case only through their work lists (roles.py)."""
    client = Client()
    client.force_login(world.users[role])
    args = [world.case.pk] if page == "change" else []

    response = client.get(reverse(f"admin:requests_secondopinionrequest_{page}", args=args))

    assert response.status_code == 403
    assert SENTINEL_SURNAME not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "model", "shown", "hidden"),
    [
        ("records", "recorditem", ["identity", "document"], ["diagnosis", "contact"]),
        ("advocate", "supporttask", ["identity", "contact", "insurance"], ["diagnosis"]),
    ],
)
def test_the_work_list_page_shows_what_the_work_needs_and_no_more(
    role: str, model: str, shown: list[str], hidden: list[str], world: CaseWorld
) -> None:
    """An item's page shows records staff the patient and the case's documents; a task's page
    shows advocates how to reach the patient and the insurance; neither shows the diagnosis."""
    client = Client()
    client.force_login(world.users[role])
    obj = world.objects[f"requests.{model}"]

    response = client.get(reverse(f"admin:requests_{model}_change", args=[obj.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    marks = {
        "identity": SENTINEL_SURNAME,
        "document": world.document.get_absolute_url(),
        "diagnosis": DIAGNOSIS_TEXT,
        "contact": world.case.phone,
        "insurance": "XJ-WORLD-7",
    }
    for part in shown:
        assert marks[part] in html, part
    for part in hidden:
        assert marks[part] not in html, part
