"""Booking, moving and cancelling appointments, and what they do to the 7-day target."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import Status, TargetState
from requests.models import Notification, SecondOpinionRequest
from requests.services import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    case_transition,
)
from requests.targets import target_deadline
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_case(navigator_user, supervisor) -> SecondOpinionRequest:
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    return case


def book(case: SecondOpinionRequest, starts_at, by, late_reason: str = "") -> object:
    return appointment_book(
        late_reason=late_reason,
        case=case,
        starts_at=starts_at,
        specialty="medical",
        clinician="Dr. Helen Park",
        modality="in_person",
        location="Building B, 3rd floor",
        by=by,
    )


def test_booking_within_the_target_is_met_at_once(ready_case, navigator_user) -> None:
    book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    ready_case.refresh_from_db()
    assert ready_case.status == Status.SCHEDULED
    assert ready_case.target_state == TargetState.MET
    assert ready_case.first_appointment_at is not None


def test_booking_after_the_target_is_missed_at_once(ready_case, navigator_user) -> None:
    late = target_deadline(ready_case.target_date) + timedelta(hours=1)
    book(ready_case, late, navigator_user, late_reason="The surgeon's first free clinic.")
    ready_case.refresh_from_db()
    assert ready_case.target_state == TargetState.MISSED  # not on track while time passes


def test_cancelling_the_deciding_appointment_undoes_met(ready_case, navigator_user) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    appointment_cancel(appointment=appointment, by=navigator_user, reason="Patient is unwell.")
    ready_case.refresh_from_db()
    assert ready_case.status == Status.READY_TO_SCHEDULE
    assert ready_case.target_state == TargetState.ON_TRACK
    assert ready_case.first_appointment_at is None
    assert ready_case.status_changes.last().note.startswith("Appointment cancelled.")


def test_rescheduling_beyond_the_target_undoes_met(ready_case, navigator_user) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    late = target_deadline(ready_case.target_date) + timedelta(days=1)
    appointment_move(appointment=appointment, starts_at=late, by=navigator_user)
    ready_case.refresh_from_db()
    assert ready_case.target_state == TargetState.MISSED
    assert ready_case.first_appointment_at == late
    assert Notification.objects.filter(kind="appointment", case=ready_case).count() == 2


def test_rescheduling_earlier_makes_it_met(ready_case, navigator_user) -> None:
    late = target_deadline(ready_case.target_date) + timedelta(days=1)
    appointment = book(ready_case, late, navigator_user, late_reason="No clinic sooner.")
    assert SecondOpinionRequest.objects.get(pk=ready_case.pk).target_state == TargetState.MISSED
    appointment_move(
        appointment=appointment, starts_at=timezone.now() + timedelta(days=1), by=navigator_user
    )
    ready_case.refresh_from_db()
    assert ready_case.target_state == TargetState.MET


def test_only_booked_appointments_can_be_cancelled_or_moved(ready_case, navigator_user) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    appointment_cancel(appointment=appointment, by=navigator_user)
    with pytest.raises(ValidationError) as cancelled_again:
        appointment_cancel(appointment=appointment, by=navigator_user)
    assert cancelled_again.value.code == "not_booked"
    with pytest.raises(ValidationError) as moved:
        appointment_move(
            appointment=appointment, starts_at=timezone.now() + timedelta(days=2), by=navigator_user
        )
    assert moved.value.code == "not_booked"


def test_moving_to_the_past_is_refused(ready_case, navigator_user) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    with pytest.raises(ValidationError) as refused:
        appointment_move(
            appointment=appointment,
            starts_at=timezone.now() - timedelta(hours=1),
            by=navigator_user,
        )
    assert refused.value.code == "past"


def test_the_plan_target_starts_at_the_first_visit(ready_case, navigator_user) -> None:
    book(ready_case, timezone.now() + timedelta(days=1), navigator_user)
    case_transition(case=ready_case, to_status=Status.SEEN, by=navigator_user)
    ready_case.refresh_from_db()
    assert ready_case.plan_target_state == TargetState.ON_TRACK
    assert ready_case.plan_target_date == timezone.localdate() + timedelta(days=7)
    case_transition(case=ready_case, to_status=Status.PLAN_DELIVERED, by=navigator_user)
    ready_case.refresh_from_db()
    assert ready_case.plan_target_state == TargetState.MET
    assert ready_case.plan_delivered_at is not None


def test_a_late_plan_is_missed(ready_case, navigator_user) -> None:
    book(ready_case, timezone.now() + timedelta(days=1), navigator_user)
    case_transition(case=ready_case, to_status=Status.SEEN, by=navigator_user)
    SecondOpinionRequest.objects.filter(pk=ready_case.pk).update(
        plan_target_date=timezone.localdate() - timedelta(days=1)
    )
    case_transition(case=ready_case, to_status=Status.PLAN_DELIVERED, by=navigator_user)
    ready_case.refresh_from_db()
    assert ready_case.plan_target_state == TargetState.MISSED


def test_case_page_buttons_cancel_and_move(client, ready_case, navigator_user) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    client.force_login(navigator_user)
    base = f"/admin/requests/secondopinionrequest/{ready_case.pk}/appointments/{appointment.pk}"
    new_time = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"{base}/move/", {"starts_at": new_time}).status_code == 302
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at).strftime("%Y-%m-%dT%H:%M") == new_time
    assert client.post(f"{base}/cancel/", {"note": "Unwell"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.state == "cancelled"


def test_other_roles_cannot_cancel(
    client, ready_case, navigator_user, records_user, other_navigator_user
) -> None:
    appointment = book(ready_case, timezone.now() + timedelta(days=3), navigator_user)
    case_url = f"/admin/requests/secondopinionrequest/{ready_case.pk}"
    url = f"{case_url}/appointments/{appointment.pk}/cancel/"
    for user in (records_user, other_navigator_user):
        client.force_login(user)
        assert client.post(url).status_code == 403
    appointment.refresh_from_db()
    assert appointment.state == "booked"
