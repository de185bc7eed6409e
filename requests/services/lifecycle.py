"""The lifecycle: status changes by its rules, the plan target they start and end, notes."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..choices import TERMINAL_STATUSES, Status, TargetState
from ..models import (
    Appointment,
    AuditEvent,
    CaseNote,
    Notification,
    SecondOpinionRequest,
    StatusChange,
)
from ..selectors.records import records_outstanding
from ..targets import plan_target_date_for, plan_target_state_for
from .outbox import notification_owe


def referrer_update(*, case: SecondOpinionRequest, event: str, occasion: str = "") -> None:
    """Close the referring provider's loop: reference and status only, never clinical content.

    Owed once per event, or once per `occasion` of it (a case closed, reopened and closed
    again tells the provider each time).
    """
    if case.referring_provider is None:
        return
    key = f"referrer_update:{case.pk}:{event}" + (f":{occasion}" if occasion else "")
    notification_owe(
        kind=Notification.Kind.REFERRER_UPDATE,
        recipient=case.referral_email or case.referring_provider.email,
        dedupe_key=key,
        case=case,
        context={"event": event},
    )


def case_transition(
    *,
    case: SecondOpinionRequest,
    to_status: str,
    by: AbstractBaseUser | None,
    note: str = "",
    reason: str = "",
    http_request: HttpRequest | None = None,
) -> StatusChange:
    """Move a case to `to_status` if the lifecycle allows it, and record the change.

    `reason` is a CloseReason of a withdrawn or declined case (services.closing gives it).
    Raise ValidationError, saving nothing, for a transition the lifecycle does not allow.
    """
    with transaction.atomic():
        # Lock the row: two staff clicking at once must not both move it from the same state.
        locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
        _check_transition(locked, to_status, note)
        now = timezone.now()
        from_status = locked.status
        locked.status = to_status
        if to_status in TERMINAL_STATUSES:
            locked.closed_at = now
        if to_status == Status.DECLINED:
            locked.decline_reason = note.strip()
        if to_status == Status.SEEN:
            _start_plan_target(locked, now)
        if to_status == Status.PLAN_DELIVERED:
            _finish_plan_target(locked, now)
            referrer_update(case=locked, event="plan_delivered")
        locked.save(
            update_fields=[
                "status",
                "closed_at",
                "decline_reason",
                "seen_at",
                "plan_target_date",
                "plan_delivered_at",
                "plan_target_state",
                "updated_at",
            ]
        )
        change = StatusChange.objects.create(
            case=locked,
            from_status=from_status,
            to_status=to_status,
            changed_by=by,
            changed_at=now,
            note=note.strip(),
            reason=reason,
        )
        audit_record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            case=locked,
            obj=locked,
            detail={"status": [from_status, to_status], **({"reason": reason} if reason else {})},
            http_request=http_request,
        )
    case.refresh_from_db()
    return change


def _start_plan_target(case: SecondOpinionRequest, now: datetime) -> None:
    """Start the second promise: a treatment plan within PLAN_TARGET_DAYS of the first visit."""
    first_visit = min(case.first_appointment_at or now, now)
    case.seen_at = first_visit
    case.plan_target_date = plan_target_date_for(first_visit)
    case.plan_target_state = TargetState.ON_TRACK


def _finish_plan_target(case: SecondOpinionRequest, now: datetime) -> None:
    case.plan_delivered_at = now
    case.plan_target_state = plan_target_state_for(
        plan_target_date=case.plan_target_date, delivered_at=now
    )


def _check_transition(case: SecondOpinionRequest, to_status: str, note: str) -> None:
    if to_status not in case.allowed_next_statuses():
        raise ValidationError(
            _("A case that is %(from)s cannot move to %(to)s.")
            % {"from": case.get_status_display().lower(), "to": _status_label(to_status).lower()},
            code="transition_not_allowed",
        )
    if to_status == Status.DECLINED and not note.strip():
        raise ValidationError(_("Give the reason for declining the case."), code="reason_needed")
    # "Ready to schedule" by hand says the records are in. Booking needs no such move (records
    # gate the visit: the sweep's records-at-risk alert), and a cancelled appointment goes
    # back to be booked again whatever its records.
    gated = to_status == Status.READY_TO_SCHEDULE and case.status != Status.SCHEDULED
    if gated and (outstanding := records_outstanding(case)):
        raise ValidationError(
            _(
                "%(n)d record item(s) are still needed or requested: mark each received, "
                "unable to obtain or not needed first."
            )
            % {"n": outstanding},
            code="records_outstanding",
        )
    if to_status == Status.ASSIGNED and case.navigator_id is None:
        raise ValidationError(_("Assign a navigator first."), code="no_navigator")
    if (
        to_status == Status.SCHEDULED
        and not case.appointments.filter(state=Appointment.State.BOOKED).exists()
    ):
        raise ValidationError(
            _("Book the appointment: that moves the case to scheduled."), code="no_appointment"
        )


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


@transaction.atomic
def case_note_add(
    *,
    case: SecondOpinionRequest,
    body: str,
    by: AbstractBaseUser | None,
    kind: str = CaseNote.Kind.NOTE,
    outcome: str = "",
    http_request: HttpRequest | None = None,
) -> CaseNote:
    """Add a navigator's note or contact attempt to a case."""
    if not body.strip():
        raise ValidationError(_("Write the note."), code="empty")
    note = CaseNote.objects.create(
        case=case, body=body.strip(), author=by, kind=kind, outcome=outcome
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        case=case,
        obj=note,
        detail={"kind": kind, "outcome": outcome},
        http_request=http_request,
    )
    return note
