"""Withdrawing, declining and reopening a case: the terminal moves, each confirmed with a
reason on a page of its own, never a one-click status change.

Closing cancels the case's booked appointments, records the change with its reason, and owes
the patient and the referring provider an email (no reason in it: those addresses are
typed by whoever filled in a public form). A supervisor may reopen the case to the status it
had before.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..choices import (
    CLOSE_REASONS,
    OPEN_STATUSES,
    REOPENABLE_STATUSES,
    CloseReason,
    Status,
    TargetState,
)
from ..models import Appointment, AuditEvent, Notification, SecondOpinionRequest, StatusChange
from ..selectors.closing import closing_effects
from ..targets import case_target_state
from .appointments import appointment_cancel, case_target_refresh
from .lifecycle import case_transition, referrer_update
from .outbox import notification_owe

# The close page's URL names the move; the status it leads to.
CLOSE_MOVES: dict[str, str] = {"withdraw": Status.WITHDRAWN, "decline": Status.DECLINED}
CLOSE_MOVE_OF: dict[str, str] = {status: move for move, status in CLOSE_MOVES.items()}


@transaction.atomic
def case_close(
    *,
    case: SecondOpinionRequest,
    move: str,
    reason: str,
    note: str,
    by: AbstractBaseUser | None,
    http_request: HttpRequest | None = None,
) -> StatusChange:
    """Withdraw or decline a case (`move`: "withdraw" or "decline") with its reason.

    Cancel its booked appointments, record the change (reason and note), and owe the
    patient and the referring provider one email each. Decline needs a reason; "another
    reason" needs the note. Raise ValidationError, saving nothing, otherwise.
    """
    to_status = CLOSE_MOVES.get(move)
    if to_status is None:
        raise ValidationError(_("Withdraw or decline: nothing else."), code="unknown_move")
    # Lock the row: a second click, or a colleague closing it at once, waits and then finds
    # it closed.
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if not locked.is_open:
        raise ValidationError(
            _("The case is already %(status)s.") % {"status": locked.get_status_display().lower()},
            code="not_open",
        )
    if reason and reason not in CLOSE_REASONS[to_status]:
        raise ValidationError(_("Choose one of the reasons listed."), code="invalid_reason")
    if to_status == Status.DECLINED and not reason:
        raise ValidationError(_("Give the reason for declining the case."), code="reason_needed")
    if reason == CloseReason.OTHER and not note.strip():
        raise ValidationError(_("Say what the other reason is."), code="note_needed")
    effects = closing_effects(locked)
    for appointment in effects.cancelled:
        appointment_cancel(
            appointment=appointment,
            by=by,
            reason=_("The case was %(status)s.") % {"status": Status(to_status).label.lower()},
            http_request=http_request,
        )
    locked.refresh_from_db()
    words = [str(CloseReason(reason).label) + "." if reason else "", note.strip()]
    change = case_transition(
        case=locked,
        to_status=to_status,
        by=by,
        note=" ".join(word for word in words if word),
        reason=reason,
        http_request=http_request,
    )
    if effects.patient is not None:
        notification_owe(
            kind=Notification.Kind.CASE_CLOSED,
            recipient=locked.contact_email,
            dedupe_key=f"case_closed:{change.pk}",
            case=locked,
            language=locked.email_language,
            context={"closed_as": to_status},
        )
    referrer_update(case=locked, event="closed", occasion=str(change.pk))
    case.refresh_from_db()
    return change


@transaction.atomic
def case_reopen(
    *,
    case: SecondOpinionRequest,
    note: str,
    by: AbstractBaseUser | None,
    http_request: HttpRequest | None = None,
) -> StatusChange:
    """Reopen a withdrawn or declined case to the status it had before closing.

    Its target state is recomputed (the sweep takes it on from there). Appointments cancelled
    by the closing stay cancelled: a case closed while scheduled comes back ready to schedule.
    """
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if locked.status not in REOPENABLE_STATUSES:
        raise ValidationError(
            _("Only a withdrawn or declined case can be reopened (it is %(status)s).")
            % {"status": locked.get_status_display().lower()},
            code="not_reopenable",
        )
    if locked.anonymised_at is not None:
        raise ValidationError(
            _("The case was anonymised after its retention period: it cannot be reopened."),
            code="anonymised",
        )
    if not note.strip():
        raise ValidationError(_("Say why the case is reopened."), code="note_needed")
    closing = (
        locked.status_changes.filter(to_status=locked.status).order_by("-changed_at", "-pk").first()
    )
    back_to = closing.from_status if closing and closing.from_status in OPEN_STATUSES else ""
    if not back_to:
        back_to = Status.ASSIGNED if locked.navigator_id else Status.NEW
    booked = locked.appointments.filter(state=Appointment.State.BOOKED).exists()
    if back_to == Status.SCHEDULED and not booked:
        back_to = Status.READY_TO_SCHEDULE
    now = timezone.now()
    from_status = locked.status
    locked.status = back_to
    locked.closed_at = None
    locked.decline_reason = ""
    locked.save(update_fields=["status", "closed_at", "decline_reason", "updated_at"])
    change = StatusChange.objects.create(
        case=locked,
        from_status=from_status,
        to_status=back_to,
        changed_by=by,
        changed_at=now,
        note=note.strip(),
    )
    case_target_refresh(case=locked, now=now)
    state = case_target_state(locked, now=now)
    if state != locked.target_state and state not in {TargetState.MET, TargetState.MISSED}:
        SecondOpinionRequest.objects.filter(pk=locked.pk).update(target_state=state)
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=locked,
        obj=locked,
        detail={"status": [from_status, back_to], "reopened": True},
        http_request=http_request,
    )
    case.refresh_from_db()
    return change
