"""The request lifecycle (case_transition) and booking an appointment (appointment_book)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from requests.choices import Status, TargetState
from requests.emails import notification_message
from requests.models import (
    ALLOWED_TRANSITIONS,
    Appointment,
    Notification,
    SecondOpinionRequest,
    StatusChange,
)
from requests.services import appointment_book, case_transition
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, make_request

pytestmark = pytest.mark.django_db

CENTER = ZoneInfo("America/New_York")
TERMINAL = {Status.CLOSED, Status.WITHDRAWN, Status.DECLINED}
OPEN = [status for status in Status.values if status not in TERMINAL]

# The lifecycle as DESIGN.md draws it, written out here independently of the code. Booking is
# allowed once a case is assigned: records gate the visit, not the booking.
DESIGNED = {
    (Status.NEW, Status.ASSIGNED),
    (Status.ASSIGNED, Status.GATHERING_RECORDS),
    (Status.ASSIGNED, Status.READY_TO_SCHEDULE),
    (Status.ASSIGNED, Status.SCHEDULED),
    (Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE),
    (Status.GATHERING_RECORDS, Status.SCHEDULED),
    (Status.READY_TO_SCHEDULE, Status.SCHEDULED),
    (Status.SCHEDULED, Status.SEEN),
    (Status.SCHEDULED, Status.READY_TO_SCHEDULE),
    (Status.SEEN, Status.PLAN_DELIVERED),
    (Status.PLAN_DELIVERED, Status.CLOSED),
    *((status, Status.WITHDRAWN) for status in OPEN),
    *((status, Status.DECLINED) for status in OPEN),
}
PAIRS = list(product(Status.values, Status.values))
ALLOWED_PAIRS = [pair for pair in PAIRS if pair in DESIGNED]
REFUSED_PAIRS = [pair for pair in PAIRS if pair not in DESIGNED]


def case_in(status: str, navigator: Any | None, **fields: Any) -> SecondOpinionRequest:
    """Return a request arranged in `status` (set directly: the lifecycle is under test)."""
    case = make_request(**fields)
    updates: dict[str, Any] = {"status": status}
    if navigator is not None:
        updates.update(navigator=navigator, assigned_at=timezone.now())
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    case.refresh_from_db()
    return case


def book_directly(case: SecondOpinionRequest, **fields: Any) -> Appointment:
    values = {
        "starts_at": timezone.now() + timedelta(days=3),
        "specialty": Appointment.Specialty.MEDICAL,
        "clinician": "Dr. Okafor",
        "location": "Yawkey Center, floor 9",
        **fields,
    }
    return Appointment.objects.create(case=case, **values)


def state_of(case: SecondOpinionRequest) -> tuple[Any, ...]:
    row = SecondOpinionRequest.objects.get(pk=case.pk)
    return (
        row.status,
        row.closed_at,
        row.decline_reason,
        row.updated_at,
        StatusChange.objects.filter(case=case).count(),
    )


def test_the_code_allows_exactly_the_designed_lifecycle() -> None:
    """ALLOWED_TRANSITIONS holds the transitions DESIGN.md draws, and no other."""
    in_code = {(src, dst) for src, targets in ALLOWED_TRANSITIONS.items() for dst in targets}
    assert in_code == DESIGNED


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED_PAIRS)
def test_an_allowed_transition_moves_the_case_and_records_one_change(
    navigator_user, from_status: str, to_status: str
) -> None:
    """Every transition the lifecycle allows succeeds and leaves exactly one StatusChange."""
    case = case_in(from_status, navigator_user.navigator)
    if to_status == Status.SCHEDULED:
        book_directly(case)
    before = StatusChange.objects.filter(case=case).count()
    note = "Outside our program's scope." if to_status == Status.DECLINED else "  Moving on.  "

    change = case_transition(case=case, to_status=to_status, by=navigator_user, note=note)

    case.refresh_from_db()
    assert case.status == to_status
    assert StatusChange.objects.filter(case=case).count() == before + 1
    recorded = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert recorded == change
    assert (recorded.from_status, recorded.to_status) == (from_status, to_status)
    assert recorded.changed_by == navigator_user
    assert recorded.note == note.strip()
    if to_status in TERMINAL:
        assert case.closed_at == recorded.changed_at
    else:
        assert case.closed_at is None


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED_PAIRS)
def test_any_other_transition_is_refused_and_changes_nothing(
    navigator_user, from_status: str, to_status: str
) -> None:
    """Every pair the lifecycle does not allow raises ValidationError and saves nothing."""
    case = case_in(from_status, navigator_user.navigator)
    if to_status == Status.SCHEDULED:
        book_directly(case)
    before = state_of(case)

    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=to_status, by=navigator_user, note="A reason.")

    assert refused.value.code == "transition_not_allowed"
    assert state_of(case) == before
    case.refresh_from_db()
    assert case.status == from_status


def test_an_unknown_status_is_refused(navigator_user) -> None:
    """A status that is not in the lifecycle at all is refused, not saved."""
    case = case_in(Status.ASSIGNED, navigator_user.navigator)
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status="archived", by=navigator_user)
    assert refused.value.code == "transition_not_allowed"
    assert state_of(case) == before


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_declining_needs_a_reason(navigator_user, reason: str) -> None:
    """Declining without a reason is refused and changes nothing."""
    case = case_in(Status.ASSIGNED, navigator_user.navigator)
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=Status.DECLINED, by=navigator_user, note=reason)
    assert refused.value.code == "reason_needed"
    assert state_of(case) == before


def test_declining_keeps_the_reason_and_closes_the_case(navigator_user) -> None:
    """A declined case keeps its reason and its closing time."""
    case = case_in(Status.GATHERING_RECORDS, navigator_user.navigator)
    case_transition(
        case=case, to_status=Status.DECLINED, by=navigator_user, note="  Pediatric patient.  "
    )
    case.refresh_from_db()
    assert case.decline_reason == "Pediatric patient."
    assert case.closed_at is not None
    assert not case.is_open


@pytest.mark.parametrize("to_status", sorted(TERMINAL))
def test_closing_states_set_closed_at(navigator_user, time_machine, to_status: str) -> None:
    """Closed, withdrawn and declined set closed_at to the moment of the change."""
    moment = datetime(2026, 6, 1, 9, 30, tzinfo=CENTER)
    time_machine.move_to(moment, tick=False)
    source = Status.PLAN_DELIVERED if to_status == Status.CLOSED else Status.ASSIGNED
    case = case_in(source, navigator_user.navigator)
    case_transition(case=case, to_status=to_status, by=navigator_user, note="Done.")
    case.refresh_from_db()
    assert case.closed_at == moment


def test_assigning_without_a_navigator_is_refused() -> None:
    """A new case cannot become assigned while nobody is its navigator."""
    case = make_request()
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=Status.ASSIGNED, by=None)
    assert refused.value.code == "no_navigator"
    assert state_of(case) == before


@pytest.mark.parametrize(
    "appointment_state",
    [None, Appointment.State.CANCELLED, Appointment.State.MISSED],
)
def test_scheduled_needs_a_booked_appointment(
    navigator_user, appointment_state: str | None
) -> None:
    """Moving to scheduled without a booked appointment is refused."""
    case = case_in(Status.READY_TO_SCHEDULE, navigator_user.navigator)
    if appointment_state:
        book_directly(case, state=appointment_state)
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=Status.SCHEDULED, by=navigator_user)
    assert refused.value.code == "no_appointment"
    assert state_of(case) == before


# --- appointment_book ------------------------------------------------------------------


def book(case: SecondOpinionRequest, by: Any, **fields: Any) -> Appointment:
    values = {
        "starts_at": timezone.now() + timedelta(days=3),
        "specialty": Appointment.Specialty.SURGICAL,
        "clinician": "Dr. Evelyn Hartmann",
        "modality": Appointment.Modality.IN_PERSON,
        "location": "Yawkey Center, 9th floor, Breast Oncology Clinic",
        **fields,
    }
    return appointment_book(case=case, by=by, **values)


def appointment_notifications(case: SecondOpinionRequest) -> list[Notification]:
    return list(Notification.objects.filter(case=case, kind=Notification.Kind.APPOINTMENT))


BOOKABLE = {Status.ASSIGNED, Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE, Status.SCHEDULED}


@pytest.mark.parametrize("status", [s for s in Status.values if s not in BOOKABLE])
def test_booking_is_refused_unless_assigned_and_open(navigator_user, status: str) -> None:
    """Only a case assigned and not yet past its visit can be booked (new, seen, closed...
    cannot)."""
    case = case_in(status, navigator_user.navigator)
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        book(case, navigator_user)
    assert refused.value.code == "not_bookable"
    assert state_of(case) == before
    assert not Appointment.objects.filter(case=case).exists()
    assert appointment_notifications(case) == []


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(minutes=1), -timedelta(days=30)])
def test_booking_in_the_past_is_refused(navigator_user, time_machine, offset: timedelta) -> None:
    """An appointment at or before now is refused and nothing is saved."""
    now = datetime(2026, 6, 1, 9, 0, tzinfo=CENTER)
    time_machine.move_to(now, tick=False)
    case = case_in(Status.READY_TO_SCHEDULE, navigator_user.navigator)
    before = state_of(case)
    with pytest.raises(ValidationError) as refused:
        book(case, navigator_user, starts_at=now + offset)
    assert refused.value.code == "past"
    assert state_of(case) == before
    assert not Appointment.objects.filter(case=case).exists()
    assert appointment_notifications(case) == []


def test_an_in_person_visit_needs_a_place(navigator_user) -> None:
    """An in-person appointment without a location is refused."""
    case = case_in(Status.READY_TO_SCHEDULE, navigator_user.navigator)
    with pytest.raises(ValidationError) as refused:
        book(case, navigator_user, location="  ")
    assert refused.value.code == "no_location"
    assert not Appointment.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "status", [Status.ASSIGNED, Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE]
)
def test_booking_moves_the_case_to_scheduled(navigator_user, status: str) -> None:
    """Booking an assigned case schedules it, recorded as one change by the booker."""
    case = case_in(status, navigator_user.navigator)
    appointment = book(case, navigator_user)
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED
    assert appointment.booked_by == navigator_user
    assert appointment.state == Appointment.State.BOOKED
    change = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert (change.from_status, change.to_status) == (status, Status.SCHEDULED)
    assert change.changed_by == navigator_user
    assert case.target_state == TargetState.MET


def test_booking_a_scheduled_case_again_adds_no_status_change(navigator_user) -> None:
    """A second appointment of a scheduled case keeps it scheduled and owes one more email."""
    case = case_in(Status.READY_TO_SCHEDULE, navigator_user.navigator)
    book(case, navigator_user)
    changes = StatusChange.objects.filter(case=case).count()
    book(case, navigator_user, starts_at=timezone.now() + timedelta(days=5))
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED
    assert StatusChange.objects.filter(case=case).count() == changes
    assert len(appointment_notifications(case)) == 2


def test_booking_owes_one_email_with_date_and_place_and_no_clinical_detail(
    navigator_user, time_machine
) -> None:
    """The booking email gives the date and place, and no diagnosis, birth date or clinician."""
    time_machine.move_to(datetime(2026, 6, 1, 9, 0, tzinfo=CENTER), tick=False)
    case = case_in(
        Status.READY_TO_SCHEDULE,
        navigator_user.navigator,
        current_oncologist="Dr. Samuel Whitfield",
    )
    starts_at = datetime(2026, 6, 4, 14, 30, tzinfo=CENTER)
    appointment = book(case, navigator_user, starts_at=starts_at)

    [notification] = appointment_notifications(case)
    assert notification.recipient == "maria.lopez@example.com"
    assert notification.context == {"appointment_id": appointment.pk}
    message = notification_message(notification)
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Thursday, June 4, 2026" in part
        assert "2:30 PM" in part
        assert "Yawkey Center, 9th floor, Breast Oncology Clinic" in part
        assert case.reference in part
        assert "Hello," in part
    for text in (message.subject, message.body, html):
        for private in (
            "Maria",
            DIAGNOSIS_TEXT,
            "carcinoma",
            PATIENT_DOB.isoformat(),
            "03/28/1961",
            "March 28, 1961",
            "1961",
            "Hartmann",
            "Whitfield",
            "Lopez",
        ):
            assert private not in text, private


@pytest.mark.parametrize(
    ("language", "when"),
    [
        ("en", "When: Tuesday, December 8, 2026, 9:30 AM EST"),
        ("es", "Cuándo: martes, 8 de diciembre de 2026, 9:30 (EST)"),
    ],
)
def test_the_booking_email_gives_the_time_with_its_time_zone(
    navigator_user, time_machine, language: str, when: str
) -> None:
    """The emailed time names its time zone, in the order and format of the email's language."""
    time_machine.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=CENTER), tick=False)
    case = case_in(Status.READY_TO_SCHEDULE, navigator_user.navigator)
    book(case, navigator_user, starts_at=datetime(2026, 12, 8, 9, 30, tzinfo=CENTER))
    [notification] = appointment_notifications(case)
    notification.language = language
    message = notification_message(notification)
    for part in (message.body, message.alternatives[0][0]):
        assert when in part
