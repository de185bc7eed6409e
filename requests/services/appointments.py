"""Appointments: booked, moved and cancelled, with the first-appointment target they decide."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..choices import BOOKABLE_STATUSES, Status, TargetState
from ..models import (
    Appointment,
    AuditEvent,
    Notification,
    SecondOpinionRequest,
)
from ..selectors.support import insurance_verification_open
from ..targets import late_booking_after, target_state_for
from .lifecycle import case_note_add, case_transition, referrer_update
from .outbox import notification_owe


@transaction.atomic
def appointment_book(
    *,
    case: SecondOpinionRequest,
    starts_at: datetime,
    specialty: str,
    clinician: str,
    modality: str,
    location: str,
    by: AbstractBaseUser | None,
    insurance_override: str = "",
    late_reason: str = "",
    http_request: HttpRequest | None = None,
) -> Appointment:
    """Book an appointment, move the case to scheduled, and owe the patient an email.

    A case is booked once assigned, whatever records are still outstanding: records gate
    the visit (the sweep's records-at-risk alert), not the booking. While the case's
    insurance verification is still open, booking needs the navigator's
    `insurance_override` note; a visit after the target date needs its `late_reason`, and
    the case's target is missed from this moment. The case's history keeps both.
    """
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if locked.status not in BOOKABLE_STATUSES:
        raise ValidationError(
            _("Only an assigned, open case can be booked (it is %(status)s).")
            % {"status": locked.get_status_display().lower()},
            code="not_bookable",
        )
    if starts_at <= timezone.now():
        raise ValidationError(_("The appointment must be in the future."), code="past")
    late_after = late_booking_after(
        target_date=locked.target_date, first_appointment_at=locked.first_appointment_at
    )
    late = late_after is not None and starts_at >= late_after
    if late and not late_reason.strip():
        raise ValidationError(
            _("This visit is after the target date: say why it could not be sooner."),
            code="late_reason_needed",
        )
    if modality == Appointment.Modality.IN_PERSON and not location.strip():
        raise ValidationError(_("Give the place of an in-person visit."), code="no_location")
    needs_override = locked.status != Status.SCHEDULED and insurance_verification_open(locked)
    if needs_override and not insurance_override.strip():
        raise ValidationError(
            _(
                "Insurance verification is still open: record its outcome first, or give a "
                "note to book anyway."
            ),
            code="insurance_open",
        )
    appointment = Appointment.objects.create(
        case=locked,
        starts_at=starts_at,
        specialty=specialty,
        clinician=clinician,
        modality=modality,
        location=location.strip(),
        booked_by=by,
    )
    late_note = (
        _("Booked after the target date: %(why)s") % {"why": late_reason.strip()} if late else ""
    )
    if locked.status != Status.SCHEDULED:
        note = _("Appointment booked.")
        if needs_override:
            note += " " + _("Booked before insurance was verified: %(why)s") % {
                "why": insurance_override.strip()
            }
        if late_note:
            note += " " + late_note
        case_transition(
            case=locked, to_status=Status.SCHEDULED, by=by, note=note, http_request=http_request
        )
    elif late_note:
        case_note_add(case=locked, body=late_note, by=by, http_request=http_request)
    case_target_refresh(case=locked)
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        case=locked,
        obj=appointment,
        http_request=http_request,
    )
    _owe_appointment_email(locked, appointment, version="")
    referrer_update(case=locked, event=f"appointment_booked:{appointment.pk}")
    case.refresh_from_db()
    return appointment


def _owe_appointment_email(
    case: SecondOpinionRequest, appointment: Appointment, *, version: str
) -> None:
    """Owe the patient the email of an appointment's date, time and place (once per version)."""
    notification_owe(
        kind=Notification.Kind.APPOINTMENT,
        recipient=case.contact_email,
        dedupe_key=f"appointment:{appointment.pk}{version}",
        case=case,
        language=case.email_language,
        context={"appointment_id": appointment.pk},
    )


def case_target_refresh(*, case: SecondOpinionRequest, now: datetime | None = None) -> str:
    """Recompute a case's first appointment and met/missed decision, save, return the state.

    Called whenever an appointment is booked, moved or cancelled: met and missed are decided
    at booking and undone when that appointment goes. The time-driven states (at risk,
    overdue) are the target sweep's, which also sends their alerts.
    """
    first = (
        case.appointments.exclude(state=Appointment.State.CANCELLED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    state = target_state_for(
        target_date=case.target_date,
        first_appointment_at=first,
        is_open=case.is_open,
        current=case.target_state,
        now=now or timezone.now(),
    )
    if state not in {TargetState.MET, TargetState.MISSED}:
        # Undo a decision whose appointment is gone; leave the rest to the sweep.
        decided = case.target_state in {TargetState.MET, TargetState.MISSED}
        state = TargetState.ON_TRACK if decided else case.target_state
    if state != case.target_state or first != case.first_appointment_at:
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            target_state=state, first_appointment_at=first
        )
        case.target_state, case.first_appointment_at = state, first
    return state


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    by: AbstractBaseUser | None,
    reason: str = "",
    http_request: HttpRequest | None = None,
) -> None:
    """Cancel an appointment; a scheduled case left without one goes back to be booked again."""
    case = SecondOpinionRequest.objects.select_for_update().get(pk=appointment.case_id)
    updated = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.BOOKED).update(
        state=Appointment.State.CANCELLED
    )
    if not updated:
        raise ValidationError(_("Only a booked appointment can be cancelled."), code="not_booked")
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=case,
        obj=appointment,
        detail={"state": ["booked", "cancelled"]},
        http_request=http_request,
    )
    still_booked = case.appointments.filter(state=Appointment.State.BOOKED).exists()
    if case.status == Status.SCHEDULED and not still_booked:
        note = _("Appointment cancelled.") + (f" {reason.strip()}" if reason.strip() else "")
        case_transition(
            case=case,
            to_status=Status.READY_TO_SCHEDULE,
            by=by,
            note=note,
            http_request=http_request,
        )
    case_target_refresh(case=case)
    appointment.refresh_from_db()


@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    starts_at: datetime,
    by: AbstractBaseUser | None,
    http_request: HttpRequest | None = None,
) -> Appointment:
    """Move a booked appointment to a new time and owe the patient an email about it."""
    case = SecondOpinionRequest.objects.select_for_update().get(pk=appointment.case_id)
    if starts_at <= timezone.now():
        raise ValidationError(_("The appointment must be in the future."), code="past")
    updated = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.BOOKED).update(
        starts_at=starts_at
    )
    if not updated:
        raise ValidationError(_("Only a booked appointment can be moved."), code="not_booked")
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=case,
        obj=appointment,
        detail={"fields": ["starts_at"]},
        http_request=http_request,
    )
    case_target_refresh(case=case)
    _owe_appointment_email(case, appointment, version=f":{int(starts_at.timestamp())}")
    appointment.refresh_from_db()
    return appointment
