"""Booking while records are on their way: a case is booked once assigned, a late visit asks
for a reason and misses the target at once, and the target is told in words and colour."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from requests.choices import Status, TargetState
from requests.models import Appointment, RecordItem, SecondOpinionRequest, StatusChange
from requests.services import appointment_book, appointment_cancel
from requests.targets import target_colour, target_deadline, target_words
from tests.factories import client_for, make_request

pytestmark = pytest.mark.django_db

CENTER = ZoneInfo("America/New_York")


def case_in(status: str, navigator_user: Any, **fields: Any) -> SecondOpinionRequest:
    """Return a case of the navigator in `status`, set directly (arrangement only)."""
    case = make_request(**fields)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        status=status, navigator=navigator_user.navigator, assigned_at=timezone.now()
    )
    case.refresh_from_db()
    return case


def outstanding_item(case: SecondOpinionRequest, status: str = RecordItem.State.NEEDED) -> None:
    RecordItem.objects.create(
        case=case, kind=RecordItem.Kind.PATHOLOGY_REPORT, facility="Mercy General", status=status
    )


def book(case: SecondOpinionRequest, by: Any, starts_at: datetime, **extra: Any) -> Appointment:
    return appointment_book(
        case=case,
        starts_at=starts_at,
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Helen Park",
        modality=Appointment.Modality.IN_PERSON,
        location="Yawkey Center, floor 9",
        by=by,
        **extra,
    )


def form_post(starts_at: datetime, **extra: str) -> dict[str, str]:
    return {
        "starts_at": timezone.localtime(starts_at).strftime("%Y-%m-%dT%H:%M"),
        "specialty": Appointment.Specialty.MEDICAL,
        "clinician": "Dr. Helen Park",
        "modality": Appointment.Modality.IN_PERSON,
        "location": "Yawkey Center, floor 9",
        **extra,
    }


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Booking with records outstanding ----------------------------------------------------


@pytest.mark.parametrize(
    "status", [Status.ASSIGNED, Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE]
)
@pytest.mark.parametrize("item_state", [RecordItem.State.NEEDED, RecordItem.State.REQUESTED])
def test_booking_with_records_outstanding_schedules_the_case(
    navigator_user, status: str, item_state: str
) -> None:
    """Records still needed or requested do not stop the booking: the case is scheduled,
    recorded as one StatusChange from where it was."""
    case = case_in(status, navigator_user)
    outstanding_item(case, item_state)

    book(case, navigator_user, timezone.now() + timedelta(days=3))

    case.refresh_from_db()
    assert case.status == Status.SCHEDULED
    change = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert (change.from_status, change.to_status) == (status, Status.SCHEDULED)
    assert case.target_state == TargetState.MET


def test_the_case_page_offers_booking_to_a_case_gathering_records(navigator_user) -> None:
    """The case panel shows "Book an appointment" while records are still outstanding."""
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    outstanding_item(case)

    response = client_for(navigator_user).get(
        reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    )

    assert reverse("admin:case_book", args=[case.pk]) in response.content.decode()


def test_booking_through_the_page_with_records_outstanding(navigator_user) -> None:
    """The booking page books an assigned case with an outstanding item and goes back."""
    case = case_in(Status.ASSIGNED, navigator_user)
    outstanding_item(case)

    response = client_for(navigator_user).post(
        reverse("admin:case_book", args=[case.pk]), form_post(timezone.now() + timedelta(days=2))
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED
    assert case.appointments.get().state == Appointment.State.BOOKED


def test_a_new_case_without_a_navigator_cannot_be_booked(navigator_user) -> None:
    """Booking needs the case assigned first."""
    case = make_request()
    with pytest.raises(ValidationError) as refused:
        book(case, navigator_user, timezone.now() + timedelta(days=3))
    assert refused.value.code == "not_bookable"
    assert not case.appointments.exists()


def test_cancelling_the_visit_sends_the_case_back_to_be_booked(navigator_user) -> None:
    """A case booked from gathering records goes to ready to schedule when its visit goes."""
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    outstanding_item(case)
    appointment = book(case, navigator_user, timezone.now() + timedelta(days=3))
    appointment_cancel(appointment=appointment, by=navigator_user)
    case.refresh_from_db()
    assert case.status == Status.READY_TO_SCHEDULE
    assert case.target_state == TargetState.ON_TRACK


# --- A visit after the target -------------------------------------------------------------


def test_a_late_booking_without_a_reason_is_refused(navigator_user) -> None:
    """A visit after the target date needs a reason; nothing is saved without one."""
    case = case_in(Status.ASSIGNED, navigator_user)
    late = target_deadline(case.target_date) + timedelta(hours=10)
    with pytest.raises(ValidationError) as refused:
        book(case, navigator_user, late, late_reason="  ")
    assert refused.value.code == "late_reason_needed"
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert not case.appointments.exists()


def test_the_booking_page_asks_for_the_late_reason_next_to_the_field(navigator_user) -> None:
    """Posted without a reason, the page says so next to the reason field and books nothing."""
    case = case_in(Status.ASSIGNED, navigator_user)
    client = client_for(navigator_user)
    url = reverse("admin:case_book", args=[case.pk])

    page = text_of(client.get(url))
    assert 'name="late_reason"' in page
    assert "Required only if the visit is on or after" in page

    late = target_deadline(case.target_date) + timedelta(days=1, hours=10)
    response = client.post(url, form_post(late))

    assert response.status_code == 200
    html = text_of(response)
    error = re.search(r'<ul class="errorlist" id="id_late_reason_error">(.*?)</ul>', html)
    assert error is not None
    assert "This visit is after the target date: say why it could not be sooner." in error[1]
    assert 'href="#id_late_reason"' in html  # the error summary links to the field
    assert not case.appointments.exists()


def test_a_late_booking_with_a_reason_is_booked_and_missed_at_once(navigator_user) -> None:
    """With a reason the late visit is booked, the case scheduled and its target missed the
    moment it is booked; the reason is in the case's history."""
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    late = target_deadline(case.target_date) + timedelta(days=1, hours=10)

    response = client_for(navigator_user).post(
        reverse("admin:case_book", args=[case.pk]),
        form_post(late, late_reason="The surgeon's first free clinic."),
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED
    assert case.target_state == TargetState.MISSED
    change = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert "The surgeon's first free clinic." in change.note
    assert target_words(case) == "missed (visit after target)"
    assert target_colour(case) == "danger"


def test_a_later_second_visit_needs_no_reason_once_the_target_is_met(navigator_user) -> None:
    """A follow-up visit after the target date misses nothing when the first was in time."""
    case = case_in(Status.ASSIGNED, navigator_user)
    book(case, navigator_user, timezone.now() + timedelta(days=2))
    book(case, navigator_user, target_deadline(case.target_date) + timedelta(days=3))
    case.refresh_from_db()
    assert case.target_state == TargetState.MET
    page = client_for(navigator_user).get(reverse("admin:case_book", args=[case.pk]))
    assert 'name="late_reason"' not in page.content.decode()


def test_a_late_second_booking_of_a_missed_case_is_noted(navigator_user) -> None:
    """A scheduled, missed case booked again late keeps the reason as a note."""
    case = case_in(Status.ASSIGNED, navigator_user)
    deadline = target_deadline(case.target_date)
    book(case, navigator_user, deadline + timedelta(days=1), late_reason="No clinic sooner.")
    book(case, navigator_user, deadline + timedelta(days=2), late_reason="Radiation consult.")
    assert case.notes.filter(body__contains="Radiation consult.").exists()


# --- The target in words and colour --------------------------------------------------------

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=CENTER)


@pytest.mark.parametrize(
    ("submitted_days_ago", "words", "colour"),
    [
        (4, "3 days left", "ok"),
        (6, "1 day left", "warn"),
        (7, "due today", "warn"),
        (9, "2 days overdue", "danger"),
    ],
)
def test_an_open_unbooked_case_counts_its_days(
    navigator_user, time_machine, submitted_days_ago: int, words: str, colour: str
) -> None:
    time_machine.move_to(NOW, tick=False)
    case = case_in(Status.ASSIGNED, navigator_user)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        target_date=(NOW - timedelta(days=submitted_days_ago)).date() + timedelta(days=7)
    )
    case.refresh_from_db()
    assert (target_words(case), target_colour(case)) == (words, colour)


def test_a_scheduled_case_shows_its_visit_not_days_left(navigator_user) -> None:
    """A booked case in time is "met" in the badge and the panel, with no days left."""
    case = case_in(Status.ASSIGNED, navigator_user)
    book(case, navigator_user, timezone.now() + timedelta(days=2))
    case.refresh_from_db()
    assert (target_words(case), target_colour(case)) == ("met", "done")

    page = text_of(
        client_for(navigator_user).get(
            reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
        )
    )
    assert "days left" not in page
    assert "day left" not in page
    assert '<span class="so-badge badge-done"' in page


def test_a_closed_case_shows_no_days_left(navigator_user) -> None:
    case = case_in(Status.WITHDRAWN, navigator_user)
    assert (target_words(case), target_colour(case)) == ("closed", "done")


# --- The moves a case offers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outstanding", "visit_in", "moves"),
    [
        (Status.NEW, 0, None, [Status.WITHDRAWN, Status.DECLINED]),
        (
            Status.ASSIGNED,
            0,
            None,
            [Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE, Status.WITHDRAWN, Status.DECLINED],
        ),
        (Status.ASSIGNED, 1, None, [Status.GATHERING_RECORDS, Status.WITHDRAWN, Status.DECLINED]),
        (Status.GATHERING_RECORDS, 2, None, [Status.WITHDRAWN, Status.DECLINED]),
        (
            Status.GATHERING_RECORDS,
            0,
            None,
            [Status.READY_TO_SCHEDULE, Status.WITHDRAWN, Status.DECLINED],
        ),
        (Status.READY_TO_SCHEDULE, 0, None, [Status.WITHDRAWN, Status.DECLINED]),
        (Status.SCHEDULED, 1, timedelta(days=2), [Status.WITHDRAWN, Status.DECLINED]),
        (
            Status.SCHEDULED,
            1,
            -timedelta(hours=2),
            [Status.READY_TO_SCHEDULE, Status.SEEN, Status.WITHDRAWN, Status.DECLINED],
        ),
        (
            Status.SEEN,
            0,
            -timedelta(days=1),
            [Status.PLAN_DELIVERED, Status.WITHDRAWN, Status.DECLINED],
        ),
        (Status.PLAN_DELIVERED, 0, None, [Status.CLOSED, Status.WITHDRAWN, Status.DECLINED]),
        (Status.CLOSED, 0, None, []),
        (Status.WITHDRAWN, 0, None, []),
        (Status.DECLINED, 0, None, []),
    ],
)
def test_manual_moves_are_the_ones_that_make_sense(
    navigator_user, status: str, outstanding: int, visit_in: timedelta | None, moves: list[str]
) -> None:
    """Never assignment or booking; "ready to schedule" once the records are in (or to book
    again after a visit's time); "seen" once the visit's time has come."""
    case = case_in(status, navigator_user)
    for _ in range(outstanding):
        outstanding_item(case)
    if visit_in is not None:
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            first_appointment_at=timezone.now() + visit_in
        )
        case.refresh_from_db()
    assert case.manual_moves() == moves
    assert case.manual_moves(outstanding=outstanding) == moves


def test_the_case_page_offers_only_the_manual_moves(navigator_user) -> None:
    """No "Move to Scheduled" or "Move to Ready to schedule" while records are outstanding;
    withdraw and decline are links to their confirmation pages."""
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    outstanding_item(case)
    html = client_for(navigator_user).get(
        reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    )
    page = html.content.decode()
    assert 'name="to_status"' not in page
    assert reverse("admin:case_close", args=[case.pk, "withdraw"]) in page
    assert reverse("admin:case_close", args=[case.pk, "decline"]) in page
