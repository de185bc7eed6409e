"""Every staff page and export that shows records leaves a trace (SECURITY.md, "Audit controls"):
a matrix generated from every staff URL (tests/project_tests/staff_urls.py: every admin page of
every registered model, the case actions, the document, the dashboard and its export) and every
role, plus what a list's event says and keeps out.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from requests.audit import READ_ACTIONS
from requests.choices import TargetState
from requests.models import USER_AGENT_MAX_LENGTH, AuditEvent, SecondOpinionRequest
from tests.factories import make_staff
from tests.project_tests.staff_urls import Target, request_for, staff_targets
from tests.worlds import ROLE_FIXTURES, SENTINEL_SURNAME, CaseWorld

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.50"
AGENT = "AuditProbe/1.0 (X11; Linux x86_64)"
ROLES = (*ROLE_FIXTURES, "superuser")
# Pages that show no record: the admin's index (model names, and now a redirect), all pages
# (the admin's own index), the team (navigators' names and counts) and an empty add form.
NO_RECORDS = frozenset({"index", "all_pages", "team", "add"})
TARGETS = staff_targets()
MATRIX = [pytest.param(role, target, id=f"{role}-{target}") for role in ROLES for target in TARGETS]


@pytest.fixture
def world(world: CaseWorld) -> CaseWorld:
    """The case world with a superuser among its staff."""
    world.users["superuser"] = make_staff("root", None, is_superuser=True)
    return world


def last_pk() -> int:
    return AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def events_after(pk: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=pk).order_by("pk"))


def shows_records(target: Target) -> bool:
    return target.kind not in NO_RECORDS


@pytest.mark.parametrize(("role", "target"), MATRIX)
def test_every_staff_page_is_audited_with_address_and_agent(
    role: str, target: Target, world: CaseWorld
) -> None:
    """A page or file a role opens writes a read event by that person, from the address and
    browser of the request; every event the request writes (reads and changes) carries both;
    a refused request writes no read."""
    user = world.users[role]
    client = Client()
    client.force_login(user)
    method, url, data = request_for(target, world)
    before = last_pk()

    response = getattr(client, method)(url, data, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)

    written = events_after(before)
    assert [(e.client_address, e.user_agent, e.actor_id) for e in written] == [
        (ADDRESS, AGENT, user.pk)
    ] * len(written), url
    reads = [event for event in written if event.action in READ_ACTIONS]
    if method == "get" and response.status_code == 200 and shows_records(target):
        assert reads, f"{role} read {url} and left no trace"
    if response.status_code in {403, 404} or (
        response.status_code == 302 and response["Location"].startswith(reverse("admin:index"))
    ):
        assert reads == [], url


def test_the_matrix_opens_every_page_that_shows_records(world: CaseWorld) -> None:
    """Someone can open each page of the matrix above that shows records (so that it checks
    something), except the delete pages of what is never deleted and the case actions that
    are posted: the superuser opens them all."""
    client = Client()
    client.force_login(world.users["superuser"])
    never_deleted = {
        "requests.secondopinionrequest",
        "requests.recorditem",
        "requests.supporttask",
        "requests.notification",
        "requests.auditevent",
        # A facility's items point to it: the directory keeps every entry.
        "requests.facility",
        # Devices go only through the audited reset action, never the delete page.
        "otp_totp.totpdevice",
    }
    opened = []
    for target in TARGETS:
        method, url, data = request_for(target, world)
        if method != "get" or not shows_records(target):
            continue
        if target.kind == "delete" and target.model in never_deleted:
            continue
        before = last_pk()
        response = client.get(url, data, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
        assert response.status_code == 200, url
        assert any(event.action in READ_ACTIONS for event in events_after(before)), url
        opened.append(target.kind)
    assert {"changelist", "change", "history", "delete", "document", "dashboard"} <= set(opened)


# --- What a list's event says ----------------------------------------------------------


def test_a_list_event_names_its_filters_and_counts_its_search_but_never_quotes_it(
    world: CaseWorld,
) -> None:
    """A filtered, searched case list is recorded with the filters' names, the search's
    length, the number of results and the ids shown; not the term nor the filter values."""
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(
        reverse("admin:requests_secondopinionrequest_changelist"),
        {"q": SENTINEL_SURNAME, "queue": "all", "cancer_type__exact": "breast"},
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_LIST)
    detail = dict(event.detail)
    ids = detail.pop("ids")
    assert detail == {
        "view": "requests_secondopinionrequest_changelist",
        "model": "requests.secondopinionrequest",
        "filters": ["cancer_type__exact", "queue"],
        "undeclared_filters": 0,
        "search": True,
        "search_length": len(SENTINEL_SURNAME),
        "page_number": 1,
        "results": 2,
    }
    assert sorted(ids) == sorted([str(world.case.pk), str(world.unassigned.pk)])
    assert SENTINEL_SURNAME not in str(event.detail)
    assert "breast" not in str(event.detail)
    assert (event.client_address, event.user_agent) == (ADDRESS, AGENT)


def test_an_object_page_event_names_its_case(world: CaseWorld) -> None:
    """Opening a record item's page is recorded against the item and its case."""
    item = world.objects["requests.recorditem"]
    client = Client()
    client.force_login(world.users["records"])

    client.get(reverse("admin:requests_recorditem_change", args=[item.pk]))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("requests.recorditem", str(item.pk))
    assert event.case == world.case
    assert event.detail == {"view": "requests_recorditem_change"}


def test_the_case_page_writes_one_read_only(world: CaseWorld) -> None:
    """The case page records its own view_case event; the generic audit adds no second one."""
    client = Client()
    client.force_login(world.users["navigator"])
    before = last_pk()

    client.get(reverse("admin:requests_secondopinionrequest_change", args=[world.case.pk]))

    assert [event.action for event in events_after(before)] == [AuditEvent.Action.VIEW_CASE]


def test_the_dashboard_event_lists_the_cases_it_shows(world: CaseWorld) -> None:
    """The dashboard's event holds the ids of the at-risk and overdue cases on it."""
    SecondOpinionRequest.objects.filter(pk=world.case.pk).update(target_state=TargetState.AT_RISK)
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(reverse("requests:dashboard"))

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.detail == {"view": "dashboard", "at_risk": [world.case.pk], "overdue": []}


def test_the_address_behind_trusted_proxies_is_kept_and_the_agent_cut(
    world: CaseWorld, settings: Any
) -> None:
    """Behind one trusted proxy the client's address is the last forwarded one (not what the
    client wrote before it); a long user agent is cut to its first 300 characters."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.2"]
    client = Client()
    client.force_login(world.users["supervisor"])

    client.get(
        reverse("admin:requests_supporttask_changelist"),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.23",
        HTTP_USER_AGENT="A" * 1000,
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_LIST)
    assert event.client_address == "198.51.100.23"
    assert event.user_agent == "A" * USER_AGENT_MAX_LENGTH


def test_an_autocomplete_search_is_audited_without_its_term(world: CaseWorld) -> None:
    """The record item form's case search (the admin's autocomplete, answered in JSON) is a
    list read: the field, the search's length and the ids found, not the term."""
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": SENTINEL_SURNAME,
            "app_label": "requests",
            "model_name": "recorditem",
            "field_name": "case",
        },
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
    )

    assert response.status_code == 200
    found = sorted(result["id"] for result in response.json()["results"])
    assert found == sorted([str(world.case.pk), str(world.unassigned.pk)])
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_LIST)
    assert event.detail == {
        "view": "autocomplete",
        "model": "requests.recorditem",
        "field": "case",
        "search": True,
        "search_length": len(SENTINEL_SURNAME),
        "results": 2,
        "ids": [result["id"] for result in response.json()["results"]],
    }
    assert (event.client_address, event.user_agent) == (ADDRESS, AGENT)


def test_a_refused_autocomplete_is_not_a_read(world: CaseWorld) -> None:
    """An autocomplete the admin refuses (a field with no autocomplete) writes nothing."""
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "x", "app_label": "requests", "model_name": "recorditem", "field_name": "notes"},
    )

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_LIST).exists()


def test_a_user_agent_with_a_nul_character_is_kept_without_it(world: CaseWorld) -> None:
    """A NUL in the User-Agent header (which PostgreSQL text cannot hold) is dropped: the page
    opens and its read is recorded."""
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(
        reverse("admin:requests_notification_changelist"), HTTP_USER_AGENT="Probe\x00/2"
    )

    assert response.status_code == 200
    assert AuditEvent.objects.get(action=AuditEvent.Action.VIEW_LIST).user_agent == "Probe/2"
