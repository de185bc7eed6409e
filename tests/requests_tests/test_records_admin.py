"""The records worklist and the audit trail in the admin: who may do what, and what it costs."""

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
from django.utils.formats import date_format

from requests.audit import audit_record
from requests.choices import Status
from requests.models import (
    Appointment,
    Assignment,
    AuditEvent,
    CaseNote,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
)
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, client_for, make_request, make_staff
from tests.worlds import CaseWorld, case_world

pytestmark = pytest.mark.django_db

State = RecordItem.State
WORKLIST = "admin:requests_recorditem_changelist"
ITEM_CHANGE = "admin:requests_recorditem_change"
CASE_CHANGE = "admin:requests_secondopinionrequest_change"
MEMBER_ID = "XJ123456"
NOTE_TEXT = "Daughter says the oncologist suspects a recurrence."
CHANGED_QUESTIONS = "Is it stage IV? Rewritten by someone who should not."


def case_for(
    navigator_user: Any | None, status: str = Status.GATHERING_RECORDS, **fields: Any
) -> SecondOpinionRequest:
    """Return a request in `status`, the navigator's if one is given (set directly)."""
    case = make_request(insurance_member_id=MEMBER_ID, **fields)
    updates: dict[str, Any] = {"status": status}
    if navigator_user is not None:
        updates.update(navigator=navigator_user.navigator, assigned_at=timezone.now())
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    case.refresh_from_db()
    return case


def add_item(case: SecondOpinionRequest, status: str = State.NEEDED, **fields: Any) -> RecordItem:
    values = {"kind": RecordItem.Kind.PATHOLOGY_REPORT, "facility": "Mercy General Hospital"}
    return RecordItem.objects.create(case=case, status=status, **{**values, **fields})


# --- The worklist: a generated matrix of roles and item actions ---------------------------


def _list(client: Client, item: RecordItem) -> Any:
    return client.get(reverse(WORKLIST))


def _list_editable(client: Client, item: RecordItem) -> Any:
    return client.post(
        reverse(WORKLIST),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(item.pk),
            "form-0-status": State.REQUESTED,
            "_save": "Save",
        },
    )


def _change_form(client: Client, item: RecordItem) -> Any:
    return client.post(
        reverse(ITEM_CHANGE, args=[item.pk]),
        {
            "kind": item.kind,
            "facility": item.facility,
            "status": State.REQUESTED,
            "method": RecordItem.Method.FAX,
            "tracking_number": "",
            "notes": "Faxed the release form.",
        },
    )


def _bulk(action: str) -> Callable[[Client, RecordItem], Any]:
    def perform(client: Client, item: RecordItem) -> Any:
        return client.post(
            reverse(WORKLIST), {"action": action, ACTION_CHECKBOX_NAME: [item.pk], "index": "0"}
        )

    return perform


@dataclass(frozen=True)
class ItemAction:
    perform: Callable[[Client, RecordItem], Any]
    becomes: str | None  # the item's status afterwards; None for a page that changes nothing


ITEM_ACTIONS = {
    "worklist": ItemAction(_list, None),
    "list-editable": ItemAction(_list_editable, State.REQUESTED),
    "change-form": ItemAction(_change_form, State.REQUESTED),
    "mark-requested": ItemAction(_bulk("mark_requested"), State.REQUESTED),
    "mark-received": ItemAction(_bulk("mark_received"), State.RECEIVED),
}
# Who works the worklist: records staff above all, and the case workers; advocates never.
WORKLIST_ROLES = {
    "records_user": True,
    "supervisor": True,
    "navigator_user": True,
    "advocate_user": False,
}
ITEM_MATRIX = [
    pytest.param(role, action, id=f"{role}-{action}")
    for role, action in product(WORKLIST_ROLES, ITEM_ACTIONS)
]


def item_state(item: RecordItem) -> tuple[Any, ...]:
    row = RecordItem.objects.get(pk=item.pk)
    return (row.status, row.requested_at, row.received_at, row.status_changed_by_id, row.notes)


@pytest.mark.parametrize(("role", "action_name"), ITEM_MATRIX)
def test_worklist_permission_matrix(staff: dict[str, Any], role: str, action_name: str) -> None:
    """Records staff and case workers open the worklist and change items; advocates get 403."""
    action = ITEM_ACTIONS[action_name]
    case = case_for(staff["navigator_user"])
    item = add_item(case)
    before = item_state(item)

    response = action.perform(client_for(staff[role]), item)

    if not WORKLIST_ROLES[role]:
        assert response.status_code == 403
        assert item_state(item) == before
        assert not AuditEvent.objects.exclude(action=AuditEvent.Action.VIEW_CASE).exists()
        return
    assert response.status_code in {200, 302}
    if action.becomes is None:
        assert response.status_code == 200
        assert case.reference in response.content.decode()
        return
    item.refresh_from_db()
    assert item.status == action.becomes
    assert item.status_changed_by == staff[role]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, actor=staff[role], object_id=str(item.pk)
    ).exists()


def test_the_worklist_shows_what_the_phone_call_needs(records_user) -> None:
    """Reference, patient name, date of birth and facility, for each outstanding item."""
    case = case_for(None, first_name="Maria", last_name="Lopez")
    add_item(case, facility="Dana Clinic")

    html = client_for(records_user).get(reverse(WORKLIST)).content.decode()

    assert case.reference in html
    assert "Maria Lopez" in html
    assert date_format(PATIENT_DOB) in html
    assert "Dana Clinic" in html
    assert DIAGNOSIS_TEXT not in html
    assert MEMBER_ID not in html


def listed(response: Any) -> set[int]:
    assert response.status_code == 200
    return {item.pk for item in response.context["cl"].result_list}


def test_the_worklist_lists_outstanding_items_of_open_cases_by_default(records_user) -> None:
    """Received items and closed cases are left off unless every item is asked for."""
    open_case = case_for(None)
    outstanding = add_item(open_case, State.REQUESTED)
    received = add_item(open_case, State.RECEIVED)
    closed = add_item(case_for(None, status=Status.WITHDRAWN), State.NEEDED)
    client = client_for(records_user)

    default = listed(client.get(reverse(WORKLIST)))
    everything = listed(client.get(reverse(WORKLIST) + "?items=all"))

    assert default == {outstanding.pk}
    assert everything == {outstanding.pk, received.pk, closed.pk}


def test_a_bulk_action_writes_one_bulk_audit_event(records_user) -> None:
    """Marking 3 items received audits each change and the bulk action once, with its count."""
    items = [add_item(case_for(None), State.REQUESTED) for _ in range(3)]
    already = add_item(case_for(None), State.RECEIVED)

    response = client_for(records_user).post(
        reverse(WORKLIST) + "?items=all",
        {
            "action": "mark_received",
            ACTION_CHECKBOX_NAME: [item.pk for item in [*items, already]],
            "index": "0",
        },
    )

    assert response.status_code == 302
    assert set(RecordItem.objects.values_list("status", flat=True)) == {State.RECEIVED}
    [bulk] = AuditEvent.objects.filter(action=AuditEvent.Action.BULK)
    assert bulk.actor == records_user
    assert bulk.detail == {"action": "mark received", "items": 3}
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE)
    assert sorted(int(event.object_id) for event in changes) == sorted(i.pk for i in items)


def test_a_bulk_action_that_changes_nothing_writes_no_bulk_event(records_user) -> None:
    """Marking received items received again is no bulk action at all."""
    item = add_item(case_for(None), State.RECEIVED)

    client_for(records_user).post(
        reverse(WORKLIST) + "?items=all",
        {"action": "mark_received", ACTION_CHECKBOX_NAME: [item.pk], "index": "0"},
    )

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BULK).exists()


def test_no_one_deletes_a_record_item(staff: dict[str, Any]) -> None:
    """An item is dropped by marking it not needed: its delete view refuses every role."""
    item = add_item(case_for(None))
    superuser = make_staff("root", None, is_superuser=True)
    for user in [*staff.values(), superuser]:
        response = client_for(user).post(
            reverse("admin:requests_recorditem_delete", args=[item.pk]), {"post": "yes"}
        )
        assert response.status_code == 403, user.username
    assert RecordItem.objects.filter(pk=item.pk).exists()


# --- The case: records staff cannot change it ---------------------------------------------


def _case_change(client: Client, world: CaseWorld) -> Any:
    crafted = {
        **world.change_post,
        "questions": CHANGED_QUESTIONS,
        "status": Status.CLOSED,
        "navigator": world.users["other_navigator_user"].navigator.pk,
    }
    return client.post(reverse("admin:case_details", args=[world.case.pk]), crafted)


def _case_transition(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse("admin:case_transition", args=[world.case.pk]),
        {"to_status": Status.READY_TO_SCHEDULE, "note": "Records are in."},
    )


def _case_assign(client: Client, world: CaseWorld) -> Any:
    return client.post(
        reverse("admin:case_assign", args=[world.case.pk]),
        {"navigator": world.users["other_navigator_user"].navigator.pk, "note": "Cover."},
    )


def _case_take(client: Client, world: CaseWorld) -> Any:
    return client.post(reverse("admin:case_take", args=[world.case.pk]))


def _case_book(client: Client, world: CaseWorld) -> Any:
    starts_at = timezone.localtime() + timedelta(days=3)
    return client.post(
        reverse("admin:case_book", args=[world.case.pk]),
        {
            "starts_at": starts_at.strftime("%Y-%m-%dT%H:%M"),
            "specialty": Appointment.Specialty.MEDICAL,
            "clinician": "Dr. Okafor",
            "modality": Appointment.Modality.IN_PERSON,
            "location": "Yawkey Center, floor 9",
        },
    )


@dataclass(frozen=True)
class CaseAction:
    perform: Callable[[Client, CaseWorld], Any]
    status: str
    assigned: bool
    control: str  # a role that may do it: proves the crafted post is one that works


CASE_ACTIONS = {
    "change-form": CaseAction(_case_change, Status.GATHERING_RECORDS, True, "supervisor"),
    "transition": CaseAction(_case_transition, Status.GATHERING_RECORDS, True, "navigator_user"),
    "assign": CaseAction(_case_assign, Status.GATHERING_RECORDS, True, "supervisor"),
    "take": CaseAction(_case_take, Status.NEW, False, "other_navigator_user"),
    "book": CaseAction(_case_book, Status.READY_TO_SCHEDULE, True, "navigator_user"),
}
REFUSED_ROLES = ("records_user", "advocate_user")
CASE_MATRIX = [
    pytest.param(role, action, id=f"{role}-{action}")
    for action, spec in CASE_ACTIONS.items()
    for role in (*REFUSED_ROLES, spec.control)
]


def case_snapshot(case: SecondOpinionRequest) -> dict[str, Any]:
    row = SecondOpinionRequest.objects.get(pk=case.pk)
    return {
        "status": row.status,
        "navigator": row.navigator_id,
        "questions": row.questions,
        "updated_at": row.updated_at,
        "changes": StatusChange.objects.filter(case=case).count(),
        "assignments": Assignment.objects.filter(case=case).count(),
        "appointments": Appointment.objects.filter(case=case).count(),
    }


def world_for(action: CaseAction, users: dict[str, Any]) -> CaseWorld:
    case = case_for(users["navigator_user"] if action.assigned else None, action.status)
    add_item(case, State.RECEIVED)
    return case_world(users, case)


@pytest.mark.parametrize(("role", "action_name"), CASE_MATRIX)
def test_records_staff_cannot_change_the_case(
    staff: dict[str, Any], role: str, action_name: str
) -> None:
    """Crafted posts to the case page and its actions get 403 and change nothing."""
    action = CASE_ACTIONS[action_name]
    world = world_for(action, staff)
    before = case_snapshot(world.case)

    response = action.perform(client_for(staff[role]), world)

    if role == action.control:
        assert response.status_code == 302
        assert case_snapshot(world.case) != before
        return
    assert response.status_code == 403
    assert case_snapshot(world.case) == before


def test_records_staff_cannot_change_items_through_the_case_page(
    navigator_user, records_user
) -> None:
    """The case pages take no record item posts from records staff: refused, unchanged."""
    case = case_for(navigator_user)
    item = add_item(case)
    data = {"record_items-0-id": item.pk, "record_items-0-status": State.RECEIVED}

    for name in (CASE_CHANGE, "admin:case_details"):
        response = client_for(records_user).post(reverse(name, args=[case.pk]), data)
        assert response.status_code == 403

    item.refresh_from_db()
    assert item.status == State.NEEDED


@pytest.mark.parametrize(("role", "sees"), [("records_user", False), ("navigator_user", True)])
def test_the_records_case_page_hides_diagnosis_insurance_and_notes(
    staff: dict[str, Any], role: str, sees: bool
) -> None:
    """Records staff see no diagnosis questions, member ID or navigator notes on an item's
    page, their way to a case (they have no case page); navigators see them on the case page."""
    case = case_for(staff["navigator_user"])
    item = add_item(case, facility="Dana Clinic")
    CaseNote.objects.create(case=case, body=NOTE_TEXT, author=staff["navigator_user"])
    client = client_for(staff[role])
    if role == "records_user":
        assert client.get(reverse(CASE_CHANGE, args=[case.pk])).status_code == 403
        url = reverse("admin:requests_recorditem_change", args=[item.pk])
    else:
        url = reverse(CASE_CHANGE, args=[case.pk])

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html
    assert "Dana Clinic" in html
    for private in (DIAGNOSIS_TEXT, MEMBER_ID, NOTE_TEXT):
        assert (private in html) is sees, private


# --- The audit trail: read-only for everyone ----------------------------------------------

AUDIT_ROLES = (*WORKLIST_ROLES, "other_navigator_user", "superuser")


@pytest.fixture
def audit_event(staff: dict[str, Any]) -> AuditEvent:
    case = case_for(staff["navigator_user"])
    return audit_record(
        actor=staff["navigator_user"], action=AuditEvent.Action.VIEW_CASE, case=case, obj=case
    )


def audit_rows() -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "actor", "detail"))


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_no_role_can_delete_or_change_an_audit_event(
    staff: dict[str, Any], audit_event: AuditEvent, role: str
) -> None:
    """The delete and change views refuse posts from every role, the superuser included."""
    user = make_staff("root", None, is_superuser=True) if role == "superuser" else staff[role]
    client = client_for(user)
    before = audit_rows()

    delete = client.post(
        reverse("admin:requests_auditevent_delete", args=[audit_event.pk]), {"post": "yes"}
    )
    change = client.post(
        reverse("admin:requests_auditevent_change", args=[audit_event.pk]),
        {"action": AuditEvent.Action.DELETE, "object_type": "x", "detail": "{}"},
    )
    add = client.post(reverse("admin:requests_auditevent_add"), {"action": "view_case"})
    bulk = client.post(
        reverse("admin:requests_auditevent_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [audit_event.pk], "post": "yes"},
    )

    assert delete.status_code == 403
    assert change.status_code == 403
    assert add.status_code == 403
    # Readers of the trail get the list back: the delete action does not exist for them.
    assert bulk.status_code == (200 if role in {"supervisor", "superuser"} else 403)
    after = audit_rows()
    # The rows stay as they were; the list shown back to a reader is itself a read.
    assert after[: len(before)] == before
    assert [row[1] for row in after[len(before) :]] == (
        [AuditEvent.Action.VIEW_LIST] if bulk.status_code == 200 else []
    )


def test_supervisors_read_the_audit_trail_and_others_do_not(staff: dict[str, Any]) -> None:
    """The trail's list opens for supervisors only, with no delete action on it."""
    case_for(staff["navigator_user"])
    url = reverse("admin:requests_auditevent_changelist")

    page = client_for(staff["supervisor"]).get(url)

    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    for role in ("navigator_user", "records_user", "advocate_user"):
        assert client_for(staff[role]).get(url).status_code == 403, role


# --- Queries: the worklist's cost does not grow with its rows -----------------------------


def worklist_queries(client: Client, rows: int) -> int:
    """Return how many queries one GET of the worklist takes, checking that it lists `rows`.

    A first GET renews the new session, which pages do at most once a minute.
    """
    client.get(reverse(WORKLIST))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(WORKLIST))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(queries.captured_queries)


def add_items(count: int, start: int) -> None:
    """Add `count` items, each on its own case at its own facility, half of them requested."""
    for n in range(start, start + count):
        case = case_for(None)
        status = State.REQUESTED if n % 2 else State.NEEDED
        requested_at = timezone.now() - timedelta(days=n % 5) if n % 2 else None
        add_item(case, status, facility=f"Clinic {n}", requested_at=requested_at)


def test_the_worklist_costs_the_same_at_5_and_40_items(records_user) -> None:
    """The worklist takes as many queries for 40 items (40 cases) as for 5."""
    client = client_for(records_user)
    add_items(5, 0)
    client.get(reverse(WORKLIST))  # Warm the caches a first page fills (content types).

    at_5 = worklist_queries(client, 5)
    add_items(35, 5)
    at_40 = worklist_queries(client, 40)

    assert at_40 == at_5
