"""The case admin: who may do what, the lists each role starts on, the case page, queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import product
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from navigators.models import Navigator
from navigators.roles import NAVIGATORS
from requests.choices import Status, TargetState
from requests.models import (
    Appointment,
    Assignment,
    CaseNote,
    Notification,
    SecondOpinionRequest,
    StatusChange,
)
from tests.factories import DIAGNOSIS_TEXT, client_for, make_request, make_staff
from tests.html import form_fields
from tests.worlds import CaseWorld, case_world

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:requests_secondopinionrequest_changelist"
CHANGE = "admin:requests_secondopinionrequest_change"  # the case workspace
DETAILS = "admin:case_details"  # the patient's details: the admin's change form
NEW_PHONE = "+16175559876"


def assign_directly(case: SecondOpinionRequest, user: Any, status: str = Status.ASSIGNED) -> None:
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        navigator=user.navigator, assigned_at=timezone.now(), status=status
    )
    case.refresh_from_db()


def snapshot(case: SecondOpinionRequest) -> dict[str, Any]:
    """Everything a case action could change."""
    row = SecondOpinionRequest.objects.get(pk=case.pk)
    return {
        "status": row.status,
        "navigator": row.navigator_id,
        "assigned_at": row.assigned_at,
        "phone": row.phone,
        "closed_at": row.closed_at,
        "updated_at": row.updated_at,
        "changes": StatusChange.objects.filter(case=case).count(),
        "assignments": Assignment.objects.filter(case=case).count(),
        "appointments": Appointment.objects.filter(case=case).count(),
        "notes": CaseNote.objects.filter(case=case).count(),
        "notifications": Notification.objects.filter(case=case).count(),
    }


def booking(days: int = 3) -> dict[str, str]:
    starts_at = timezone.localtime() + timedelta(days=days)
    return {
        "starts_at": starts_at.strftime("%Y-%m-%dT%H:%M"),
        "specialty": Appointment.Specialty.MEDICAL,
        "clinician": "Dr. Okafor",
        "modality": Appointment.Modality.IN_PERSON,
        "location": "Yawkey Center, floor 9",
    }


# --- The permission matrix --------------------------------------------------------------

ROLES = ("supervisor", "navigator_user", "other_navigator_user", "records_user", "advocate_user")


@dataclass(frozen=True)
class Action:
    """One thing staff can do to a case in the admin, and how to tell that it happened."""

    allowed: frozenset[str]
    status: str  # the case's status before the action
    assigned: bool  # whether the case is navigator_user's before the action
    perform: Callable[[Client, CaseWorld], Any]
    happened: Callable[[CaseWorld, str], bool] | None  # None: a page, which changes nothing
    is_list_action: bool = False


def _changelist(client: Client, world: CaseWorld) -> Any:
    return client.get(reverse(CHANGELIST) + "?queue=all")


def _change_get(client: Client, world: CaseWorld) -> Any:
    return client.get(reverse(CHANGE, args=[world.case.pk]))


def _change_post(client: Client, world: CaseWorld) -> Any:
    return client.post(reverse(DETAILS, args=[world.case.pk]), world.change_post)


def _transition(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse("admin:case_transition", args=[world.case.pk]),
        {"to_status": Status.GATHERING_RECORDS, "note": "Records requested."},
    )


def _assign(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse("admin:case_assign", args=[world.case.pk]),
        {"navigator": world.users["other_navigator_user"].navigator.pk, "note": "Cover."},
    )


def _take(client: Client, world: CaseWorld) -> Any:
    return client.post(reverse("admin:case_take", args=[world.case.pk]))


def _book_get(client: Client, world: CaseWorld) -> Any:
    return client.get(reverse("admin:case_book", args=[world.case.pk]))


def _book_post(client: Client, world: CaseWorld) -> Any:
    return client.post(reverse("admin:case_book", args=[world.case.pk]), booking())


def _assign_selected(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse(CHANGELIST) + "?queue=all",
        {
            "action": "assign_selected",
            ACTION_CHECKBOX_NAME: [world.case.pk],
            "apply": "Assign",
            "navigator": world.users["other_navigator_user"].navigator.pk,
            "note": "Cover.",
        },
    )


def _take_selected(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse(CHANGELIST) + "?queue=unassigned",
        {"action": "take_selected", ACTION_CHECKBOX_NAME: [world.case.pk]},
    )


def _saved(world: CaseWorld, role: str) -> bool:
    return SecondOpinionRequest.objects.get(pk=world.case.pk).phone == NEW_PHONE


def _moved(world: CaseWorld, role: str) -> bool:
    return (
        SecondOpinionRequest.objects.get(pk=world.case.pk).status == Status.GATHERING_RECORDS
        and StatusChange.objects.filter(
            case=world.case, to_status=Status.GATHERING_RECORDS, changed_by=world.users[role]
        ).exists()
    )


def _reassigned(world: CaseWorld, role: str) -> bool:
    case = SecondOpinionRequest.objects.get(pk=world.case.pk)
    return (
        case.navigator == world.users["other_navigator_user"].navigator
        and Assignment.objects.filter(case=case, assigned_by=world.users[role]).exists()
    )


def _taken(world: CaseWorld, role: str) -> bool:
    case = SecondOpinionRequest.objects.get(pk=world.case.pk)
    navigator = Navigator.objects.filter(user=world.users[role]).first()
    return (
        navigator is not None
        and case.navigator == navigator
        and Assignment.objects.filter(case=case, assigned_by=world.users[role]).exists()
    )


def _booked(world: CaseWorld, role: str) -> bool:
    case = SecondOpinionRequest.objects.get(pk=world.case.pk)
    return case.status == Status.SCHEDULED and case.appointments.count() == 1


WORKERS = frozenset({"supervisor", "navigator_user"})
NAVIGATING = frozenset({"navigator_user", "other_navigator_user"})
# Records staff and advocates reach cases through their work lists only (roles.py).
BROWSERS = frozenset({"supervisor", *NAVIGATING})
ACTIONS: dict[str, Action] = {
    "changelist": Action(BROWSERS, Status.ASSIGNED, True, _changelist, None),
    "change-get": Action(BROWSERS, Status.ASSIGNED, True, _change_get, None),
    "change-post": Action(WORKERS, Status.ASSIGNED, True, _change_post, _saved),
    "transition": Action(WORKERS, Status.ASSIGNED, True, _transition, _moved),
    "assign": Action(frozenset({"supervisor"}), Status.ASSIGNED, True, _assign, _reassigned),
    "take-unassigned": Action(NAVIGATING, Status.NEW, False, _take, _taken),
    "take-assigned": Action(frozenset(), Status.ASSIGNED, True, _take, _taken),
    "book-get": Action(WORKERS, Status.READY_TO_SCHEDULE, True, _book_get, None),
    "book-post": Action(WORKERS, Status.READY_TO_SCHEDULE, True, _book_post, _booked),
    "assign-selected": Action(
        frozenset({"supervisor"}), Status.ASSIGNED, True, _assign_selected, _reassigned, True
    ),
    "take-selected": Action(NAVIGATING, Status.NEW, False, _take_selected, _taken, True),
}
MATRIX = [
    pytest.param(role, action, id=f"{role}-{action}") for role, action in product(ROLES, ACTIONS)
]


def world_for(action: Action, users: dict[str, Any]) -> CaseWorld:
    case = make_request(insurance_carrier="Blue Cross", insurance_member_id="XJ123456")
    if action.assigned:
        assign_directly(case, users["navigator_user"], action.status)
    else:
        SecondOpinionRequest.objects.filter(pk=case.pk).update(status=action.status)
        case.refresh_from_db()
    world = case_world(users, case)
    world.change_post["phone"] = NEW_PHONE
    return world


@pytest.mark.parametrize(("role", "action_name"), MATRIX)
def test_permission_matrix(staff: dict[str, Any], role: str, action_name: str) -> None:
    """Each role may do exactly what its job needs to a case; anything else changes nothing."""
    action = ACTIONS[action_name]
    world = world_for(action, staff)
    before = snapshot(world.case)

    response = action.perform(client_for(staff[role]), world)

    if role in action.allowed:
        assert response.status_code in {200, 302}, response.status_code
        if action.happened is None:
            assert response.status_code == 200
            assert world.case.reference in response.content.decode()
        else:
            assert action.happened(world, role)
        return
    if action.is_list_action and role in BROWSERS:
        assert response.status_code in {200, 302}
    else:
        assert response.status_code == 403
    assert snapshot(world.case) == before


@pytest.mark.parametrize("role", ["records_user", "advocate_user", "other_navigator_user"])
def test_a_crafted_case_page_post_is_refused(staff: dict[str, Any], role: str) -> None:
    """Staff who may not work the case cannot save its page, status or navigator included."""
    world = world_for(ACTIONS["change-post"], staff)
    before = snapshot(world.case)
    crafted = {
        **world.change_post,
        "status": Status.CLOSED,
        "navigator": staff["other_navigator_user"].navigator.pk,
        "target_state": TargetState.MET,
    }
    for name in (CHANGE, DETAILS):
        response = client_for(staff[role]).post(reverse(name, args=[world.case.pk]), crafted)
        assert response.status_code == 403
    assert snapshot(world.case) == before


@pytest.mark.parametrize("role", sorted(WORKERS))
def test_the_case_page_never_changes_status_or_navigator(staff: dict[str, Any], role: str) -> None:
    """Status and navigator posted with the details page are ignored: only the services set
    them."""
    world = world_for(ACTIONS["change-post"], staff)
    crafted = {
        **world.change_post,
        "status": Status.CLOSED,
        "navigator": staff["other_navigator_user"].navigator.pk,
        "target_state": TargetState.MET,
        "closed_at_0": "2026-01-01",
        "closed_at_1": "10:00",
    }
    response = client_for(staff[role]).post(reverse(DETAILS, args=[world.case.pk]), crafted)
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get(pk=world.case.pk)
    assert case.phone == NEW_PHONE
    assert (case.status, case.navigator, case.target_state, case.closed_at) == (
        Status.ASSIGNED,
        staff["navigator_user"].navigator,
        world.case.target_state,
        None,
    )
    assert StatusChange.objects.filter(case=case).count() == 1
    assert Assignment.objects.filter(case=case).count() == 0


def test_a_navigator_takes_an_unassigned_case_from_the_queue(navigator_user) -> None:
    """The Take button makes an unassigned case the navigator's own."""
    case = make_request()
    response = client_for(navigator_user).post(reverse("admin:case_take", args=[case.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.navigator == navigator_user.navigator
    assert case.status == Status.ASSIGNED


@pytest.mark.parametrize("role", ["navigator_user", "other_navigator_user"])
def test_navigators_cannot_assign_even_to_themselves(staff: dict[str, Any], role: str) -> None:
    """Only supervisors assign: a navigator's post to assign is refused."""
    case = make_request()
    response = client_for(staff[role]).post(
        reverse("admin:case_assign", args=[case.pk]),
        {"navigator": staff[role].navigator.pk},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.navigator is None
    assert not Assignment.objects.exists()


# --- The lists each role starts on ------------------------------------------------------


def listed(response: Any) -> list[int]:
    assert response.status_code == 200
    return [case.pk for case in response.context["cl"].result_list]


def case_with(
    navigator: Any | None, target_days: int, target_state: str, status: str | None = None
) -> SecondOpinionRequest:
    case = make_request()
    updates: dict[str, Any] = {
        "status": status or (Status.ASSIGNED if navigator else Status.NEW),
        "target_date": timezone.localdate() + timedelta(days=target_days),
        "target_state": target_state,
    }
    if navigator is not None:
        updates.update(navigator=navigator.navigator, assigned_at=timezone.now())
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    return case


def test_a_navigator_starts_on_their_open_cases_most_urgent_first(
    navigator_user, other_navigator_user
) -> None:
    """A navigator's case list with no choice made shows their open cases, most urgent first."""
    mine = navigator_user
    on_track_late = case_with(mine, 6, TargetState.ON_TRACK)
    overdue_recent = case_with(mine, -1, TargetState.OVERDUE)
    at_risk = case_with(mine, -5, TargetState.AT_RISK)  # a stale state: the state comes first
    on_track_soon = case_with(mine, 3, TargetState.ON_TRACK, Status.SCHEDULED)
    overdue_oldest = case_with(mine, -3, TargetState.OVERDUE, Status.GATHERING_RECORDS)
    case_with(mine, -9, TargetState.OVERDUE, Status.CLOSED)
    case_with(mine, -9, TargetState.OVERDUE, Status.WITHDRAWN)
    case_with(other_navigator_user, -9, TargetState.OVERDUE)
    case_with(None, -9, TargetState.OVERDUE)

    response = client_for(navigator_user).get(reverse(CHANGELIST))

    assert listed(response) == [
        overdue_oldest.pk,
        overdue_recent.pk,
        at_risk.pk,
        on_track_soon.pk,
        on_track_late.pk,
    ]


def test_the_unassigned_queue_shows_only_open_unassigned_cases(supervisor, navigator_user) -> None:
    """?queue=unassigned lists the open cases nobody has, and nothing else."""
    waiting_long = case_with(None, 1, TargetState.AT_RISK)
    waiting = case_with(None, 6, TargetState.ON_TRACK)
    case_with(None, 6, TargetState.ON_TRACK, Status.WITHDRAWN)
    case_with(None, 6, TargetState.ON_TRACK, Status.DECLINED)
    case_with(navigator_user, 6, TargetState.ON_TRACK)
    for user in (navigator_user, supervisor):
        response = client_for(user).get(reverse(CHANGELIST) + "?queue=unassigned")
        assert listed(response) == [waiting_long.pk, waiting.pk]


def test_everyone_else_starts_on_all_open_cases(supervisor, navigator_user) -> None:
    """Staff who do not navigate start on every open case, assigned or not."""
    assigned = case_with(navigator_user, 2, TargetState.ON_TRACK)
    unassigned = case_with(None, 3, TargetState.ON_TRACK)
    case_with(navigator_user, 1, TargetState.ON_TRACK, Status.CLOSED)
    response = client_for(supervisor).get(reverse(CHANGELIST))
    assert listed(response) == [assigned.pk, unassigned.pk]


@pytest.mark.parametrize("role", ["supervisor"])
def test_my_open_cases_is_empty_for_staff_who_do_not_navigate(
    staff: dict[str, Any], role: str
) -> None:
    """Choosing "My open cases" as a supervisor lists nothing (records staff and advocates
    have no case list at all)."""
    case_with(None, 3, TargetState.ON_TRACK)
    case_with(staff["navigator_user"], 3, TargetState.ON_TRACK)
    response = client_for(staff[role]).get(reverse(CHANGELIST) + "?queue=mine")
    assert listed(response) == []


# --- What each role sees on the case page ------------------------------------------------


PRIVATE_CASE = {
    "insurance_carrier": "Blue Cross",
    "insurance_member_id": "XJ123456",
    "current_oncologist": "Dr. Samuel Whitfield",
}


@pytest.mark.parametrize(
    ("role", "sees_diagnosis", "sees_insurance"),
    [
        ("supervisor", True, True),
        ("navigator_user", True, True),
    ],
)
def test_each_role_sees_what_its_job_needs(
    staff: dict[str, Any], role: str, sees_diagnosis: bool, sees_insurance: bool
) -> None:
    """The case workers see everything on the case page (records staff and advocates have
    none: tests/requests_tests/test_work_list_panels.py covers what their work lists show)."""
    case = make_request(**PRIVATE_CASE)
    assign_directly(case, staff["navigator_user"])
    html = client_for(staff[role]).get(reverse(CHANGE, args=[case.pk])).content.decode()
    assert case.reference in html
    for text in (DIAGNOSIS_TEXT, "Whitfield"):
        assert (text in html) is sees_diagnosis, text
    for text in ("Blue Cross", "XJ123456"):
        assert (text in html) is sees_insurance, text


def test_records_staff_do_not_see_the_notes(records_user, navigator_user) -> None:
    """A navigator's note, which may hold clinical detail, is not on the records page."""
    case = make_request()
    assign_directly(case, navigator_user)
    CaseNote.objects.create(case=case, body="Discussed the HER2 result.", author=navigator_user)
    html = client_for(records_user).get(reverse(CHANGE, args=[case.pk])).content.decode()
    assert "HER2" not in html


# --- Notes through the case page ---------------------------------------------------------


@pytest.mark.parametrize("role", sorted(WORKERS))
def test_a_note_added_on_the_case_page_is_signed_by_its_author(
    staff: dict[str, Any], role: str
) -> None:
    """The workspace's contact log saves one CaseNote whose author is the user."""
    case = make_request()
    assign_directly(case, staff["navigator_user"])
    client = client_for(staff[role])
    html = client.get(reverse(CHANGE, args=[case.pk])).content.decode()
    assert 'value="voicemail:left_message"' in html

    response = client.post(
        reverse("admin:case_contact", args=[case.pk]),
        {
            "attempt": "voicemail:left_message",
            "note": "  Left a voicemail about the records release.  ",
        },
    )

    assert response.status_code == 302
    note = CaseNote.objects.get(case=case)
    assert note.author == staff[role]
    assert (note.kind, note.outcome) == (CaseNote.Kind.VOICEMAIL, CaseNote.Outcome.LEFT_MESSAGE)
    assert note.body == "Left a voicemail about the records release."


def test_the_timeline_tells_what_happened_and_who_did_it_newest_first(
    supervisor, navigator_user, other_navigator_user
) -> None:
    """Receipt, (re)assignments, status changes, notes and emails, in one list."""
    from navigators.services import case_assign
    from requests.selectors import case_timeline
    from requests.services import case_note_add

    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_assign(case=case, navigator=other_navigator_user.navigator, by=supervisor, note="Leave")
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=2),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr Rivera",
        booked_by=other_navigator_user,
    )
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty=Appointment.Specialty.SURGICAL,
        clinician="Dr Okoye",
    )

    case_note_add(
        case=case,
        body="Left a message about the pathology slides.",
        by=other_navigator_user,
        kind=CaseNote.Kind.VOICEMAIL,
        outcome=CaseNote.Outcome.LEFT_MESSAGE,
    )

    entries = case_timeline(case)
    titles = [(entry.kind, entry.title, entry.by) for entry in entries]

    assert titles[0] == ("note", "Voicemail left: left a message", "Othernav")
    assert entries[0].detail == "Left a message about the pathology slides."
    assert ("assignment", "Reassigned from Navigator to Othernav", "Supervisor") in titles
    assert ("assignment", "Assigned to Navigator", "Supervisor") in titles
    assert ("status", "New → Assigned", "Supervisor") in titles
    assert ("appointment", "Appointment booked: Medical oncology", "Othernav") in titles
    assert ("appointment", "Appointment booked: Surgical oncology", "patient or system") in titles
    assert titles[-1] == ("status", "Request received (New)", "patient or system")
    emails = [title for kind, title, _by in titles if kind == "email"]
    assert emails
    assert emails[-1].startswith("Email: Request confirmation")
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    html = client_for(supervisor).get(reverse(CHANGE, args=[case.pk])).content.decode()
    assert "Reassigned from Navigator to Othernav" in html


def test_an_overdue_case_shows_its_days_left_only_while_there_are_some(navigator_user) -> None:
    """Two days past its target, the header says overdue (the badge), never "-2 days left";
    one day before it, "1 day left", never "1 days"."""
    late = case_with(navigator_user, -2, TargetState.OVERDUE)
    soon = case_with(navigator_user, 3, TargetState.ON_TRACK)
    tomorrow = case_with(navigator_user, 1, TargetState.ON_TRACK)
    client = client_for(navigator_user)

    late_page = client.get(reverse(CHANGE, args=[late.pk])).content.decode()
    soon_page = client.get(reverse(CHANGE, args=[soon.pk])).content.decode()
    tomorrow_page = client.get(reverse(CHANGE, args=[tomorrow.pk])).content.decode()

    assert "days left" not in late_page
    assert "2 days overdue" in late_page
    assert "3 days left" in soon_page
    assert "1 day left" in tomorrow_page
    assert "1 days" not in tomorrow_page


def test_saving_the_details_page_adds_no_note(navigator_user) -> None:
    """The details page saved as it is adds no note."""
    case = make_request()
    assign_directly(case, navigator_user)
    client = client_for(navigator_user)
    url = reverse(DETAILS, args=[case.pk])
    response = client.post(url, form_fields(client.get(url).content.decode()))
    assert response.status_code == 302
    assert not CaseNote.objects.exists()


# --- Queries: a page's cost does not grow with its rows ----------------------------------


def queries_for(client: Client, url: str, rows: int, assert_max: Any = None) -> int:
    """Return how many queries one GET of a list takes, checking that it lists `rows`.

    A first GET renews the new session, which pages do at most once a minute; `assert_max`
    (pytest-django's django_assert_max_num_queries) checks the second against the budget.
    """
    client.get(url)
    if assert_max is None:
        counting = CaptureQueriesContext(connection)
    else:
        counting = assert_max(CHANGELIST_BUDGET)
    with counting as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(queries.captured_queries)


def add_cases(count: int, navigators: list[Any]) -> None:
    """Add cases spread over the navigators and the queue, in various states."""
    states = [TargetState.ON_TRACK, TargetState.AT_RISK, TargetState.OVERDUE]
    for n in range(count):
        owner = navigators[n % len(navigators)] if navigators else None
        case_with(owner, n % 9 - 2, states[n % 3])


def add_navigators(count: int, start: int = 0) -> list[Any]:
    users = []
    for n in range(start, start + count):
        user = make_staff(f"nav{n}", NAVIGATORS)
        Navigator.objects.create(user=user, disease_groups=["breast"], languages=["en"])
        users.append(user)
    return users


# The most queries a case list may take, whatever its length: session, user, permissions,
# the navigator profile, the filters' choices, the page and its count.
CHANGELIST_BUDGET = 15


def test_the_supervisor_case_list_costs_the_same_at_5_and_40_cases(
    supervisor, navigator_user, other_navigator_user, django_assert_max_num_queries
) -> None:
    """All cases, listed for a supervisor, take as many queries for 40 cases as for 5."""
    owners = [navigator_user, other_navigator_user, None]
    client = client_for(supervisor)
    url = reverse(CHANGELIST) + "?queue=all"
    add_cases(5, owners)
    at_5 = queries_for(client, url, rows=5, assert_max=django_assert_max_num_queries)
    add_cases(35, owners)
    at_40 = queries_for(client, url, rows=40, assert_max=django_assert_max_num_queries)
    assert at_40 == at_5


def test_my_cases_costs_the_same_at_5_and_40_cases(
    navigator_user, other_navigator_user, django_assert_max_num_queries
) -> None:
    """A navigator's own list takes as many queries for 40 of their cases as for 5."""
    client = client_for(navigator_user)
    url = reverse(CHANGELIST)
    add_cases(5, [navigator_user])
    at_5 = queries_for(client, url, rows=5, assert_max=django_assert_max_num_queries)
    add_cases(35, [navigator_user])
    add_cases(5, [other_navigator_user, None])
    at_40 = queries_for(client, url, rows=40, assert_max=django_assert_max_num_queries)
    assert at_40 == at_5


def test_the_case_list_costs_the_same_with_more_navigators(supervisor, navigator_user) -> None:
    """The case list's navigator filter takes as many queries for 10 navigators as for 2."""
    navigators = [navigator_user, *add_navigators(1)]
    add_cases(10, navigators)
    client = client_for(supervisor)
    url = reverse(CHANGELIST) + "?queue=all"
    few = queries_for(client, url, rows=10)
    add_navigators(8, start=1)
    many = queries_for(client, url, rows=10)
    assert many == few


def test_the_navigator_list_costs_the_same_at_2_and_10_navigators(
    supervisor, django_assert_max_num_queries
) -> None:
    """The navigators' admin list, with their loads, takes as many queries for 10 as for 2."""
    client = client_for(supervisor)
    url = reverse("admin:navigators_navigator_changelist")
    add_cases(6, add_navigators(2))
    few = queries_for(client, url, rows=2, assert_max=django_assert_max_num_queries)
    add_cases(30, add_navigators(8, start=2))
    many = queries_for(client, url, rows=10, assert_max=django_assert_max_num_queries)
    assert many == few


# --- The booking form ----------------------------------------------------------------------


def _ready_case(navigator_user: Any) -> SecondOpinionRequest:
    case = make_request(insurance_carrier="Blue Cross", insurance_member_id="XJ123456")
    assign_directly(case, navigator_user, Status.READY_TO_SCHEDULE)
    return case


def test_the_booking_form_marks_every_required_field(navigator_user) -> None:
    """Date, specialty, clinician and modality carry `aria-required` and a visible mark, the
    text inputs `required` too (the specialty's select always has a choice, so HTML gives it no
    `required`); the location says it is required for an in-person visit."""
    case = _ready_case(navigator_user)

    html = client_for(navigator_user).get(reverse("admin:case_book", args=[case.pk])).content
    page = html.decode()

    for name in ("starts_at", "specialty", "clinician"):
        tag = page[page.index(f'name="{name}"') :].split(">", 1)[0]
        assert 'aria-required="true"' in tag, name
        if name != "specialty":
            assert " required" in tag, name
        label = page[page.index(f'<label for="id_{name}"') :].split("</label>", 1)[0]
        assert 'class="required-mark"' in label, name
    legend = page[page.index('role="radiogroup"') :].split("</legend>", 1)[0]
    assert 'aria-required="true"' in legend
    assert 'class="required-mark"' in legend
    assert "Location (required for an in-person visit)" in page
    assert "marks a required field." in page
    assert 'id="error-summary"' not in page


def test_a_bad_booking_lists_each_error_at_the_top_linking_to_its_field(navigator_user) -> None:
    """A post missing the clinician, with a past date and no place for an in-person visit
    shows the summary with one link per field, and books nothing."""
    case = _ready_case(navigator_user)
    data = booking() | {
        "clinician": "",
        "location": "",
        "starts_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }

    response = client_for(navigator_user).post(reverse("admin:case_book", args=[case.pk]), data)

    page = response.content.decode()
    assert response.status_code == 200
    summary = page[page.index('id="error-summary"') :].split("</div>", 1)[0]
    assert "Please correct 3 answers" in summary
    for anchor in ("id_starts_at", "id_clinician", "id_location"):
        assert f'href="#{anchor}"' in summary, anchor
        assert f'id="{anchor}"' in page, anchor
    assert "The appointment must be in the future." in summary
    assert "Give the place of an in-person visit." in summary
    assert "Give the clinician&#x27;s name." in summary
    assert not Appointment.objects.filter(case=case).exists()


def test_a_refused_booking_links_its_reason_to_the_form(navigator_user) -> None:
    """The service's refusal (insurance verification still open, no note) is an error about
    the whole booking: the summary links it to the form."""
    case = make_request(coverage_checked="help")
    assign_directly(case, navigator_user, Status.READY_TO_SCHEDULE)

    response = client_for(navigator_user).post(
        reverse("admin:case_book", args=[case.pk]), booking()
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="#book-form"' in page
    assert 'id="book-form"' in page
    assert not Appointment.objects.filter(case=case).exists()


def test_a_valid_booking_still_books_and_returns_to_the_case(navigator_user) -> None:
    """The form's markup changed; its post books the appointment as before."""
    case = _ready_case(navigator_user)

    response = client_for(navigator_user).post(
        reverse("admin:case_book", args=[case.pk]), booking()
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGE, args=[case.pk])
    appointment = Appointment.objects.get(case=case)
    assert appointment.clinician == "Dr. Okafor"
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED


def test_the_move_form_marks_its_required_time(navigator_user) -> None:
    """The workspace's move form marks its one field as required."""
    case = _ready_case(navigator_user)
    appointment = Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Rivera",
        modality=Appointment.Modality.VIDEO,
        booked_by=navigator_user,
    )

    page = client_for(navigator_user).get(reverse(CHANGE, args=[case.pk])).content.decode()

    at = page.index(f'id="move-{appointment.pk}"')
    tag = page[page.rindex("<input", 0, at) :].split(">", 1)[0]
    assert " required" in tag
    assert 'aria-required="true"' in tag
    label = page[page.index(f'<label for="move-{appointment.pk}"') :].split("</label>", 1)[0]
    assert 'class="required-mark"' in label
