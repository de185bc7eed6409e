"""Workflow writes on requests: each keyword-only, typed, and atomic."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record, changed_fields
from .choices import TERMINAL_STATUSES, Requester, Status, TargetState
from .documents import document_store
from .models import (
    Appointment,
    AuditEvent,
    CaseNote,
    Notification,
    ReferringProvider,
    SecondOpinionRequest,
    StatusChange,
    new_reference,
)
from .outbox import enqueue_on_commit, notification_owe
from .records import record_items_start, records_outstanding
from .support import insurance_verification_open, support_tasks_start
from .targets import plan_target_date_for, target_date_for, target_state_for

_REFERENCE_TRIES = 5


@transaction.atomic
def request_submit(
    *,
    intake: SecondOpinionRequest,
    submission_key: uuid.UUID,
    consent_records: bool,
    attachments: Sequence[tuple[UploadedFile, str]] = (),
    referring_provider: ReferringProvider | None = None,
) -> tuple[SecondOpinionRequest, bool]:
    """Save a request from the public form with its documents and the email it owes.

    `intake` is an unsaved request holding the validated answers; `attachments` are files
    already validated, with their content types. Return the request and whether this call
    created it: a second post of the same form (same `submission_key`) returns the first
    request and saves and owes nothing more. A referral (with `referring_provider`) owes
    the provider a confirmation and the patient a "your doctor referred you" email instead.
    """
    existing = SecondOpinionRequest.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing, False

    now = timezone.now()
    intake.submission_key = submission_key
    intake.submitted_at = now
    intake.target_date = target_date_for(now)
    intake.status = Status.NEW
    intake.target_state = TargetState.ON_TRACK
    intake.consent_contact_at = now
    intake.privacy_acknowledged_at = now
    intake.consent_records_at = now if consent_records else None
    intake.referring_provider = referring_provider

    for _attempt in range(_REFERENCE_TRIES):
        intake.reference = new_reference()
        try:
            # A savepoint, so that a lost race rolls back this insert and nothing else.
            with transaction.atomic():
                intake.save(force_insert=True)
            break
        except IntegrityError:
            intake.pk = None
            # The same form posted twice at once: the other post saved it first.
            existing = SecondOpinionRequest.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing, False
            # Otherwise the random reference was taken: draw another.
    else:
        raise IntegrityError("Could not draw a free reference.")

    for upload, content_type in attachments:
        document_store(case=intake, upload=upload, content_type=content_type, by=None)
    if intake.needs_records_help:
        record_items_start(case=intake)
    support_tasks_start(case=intake)
    StatusChange.objects.create(
        request=intake,
        from_status="",
        to_status=Status.NEW,
        changed_at=now,
        note="Referred by a provider." if referring_provider else "Submitted on the public form.",
    )
    _owe_intake_emails(intake)
    from navigators.tasks import case_auto_assign_task  # Import here: navigators imports us.

    enqueue_on_commit(case_auto_assign_task, intake.pk)
    return intake, True


@transaction.atomic
def referral_submit(
    *,
    intake: SecondOpinionRequest,
    provider: dict[str, str],
    submission_key: uuid.UUID,
    consent_records: bool,
    attachments: Sequence[tuple[UploadedFile, str]] = (),
) -> tuple[SecondOpinionRequest, bool]:
    """Save a provider's referral: the provider (found or updated by NPI) and the request."""
    details = {key: value for key, value in provider.items() if key not in {"npi", "email"}}
    referring, _created = ReferringProvider.objects.update_or_create(
        npi=provider["npi"],
        defaults=details,
        create_defaults={**details, "email": provider["email"]},
    )
    intake.requester_type = Requester.PROVIDER
    intake.referral_email = provider["email"]
    return request_submit(
        intake=intake,
        submission_key=submission_key,
        consent_records=consent_records,
        attachments=attachments,
        referring_provider=referring,
    )


@transaction.atomic
def request_details_update(
    *,
    case: SecondOpinionRequest,
    before: dict[str, object],
    by: AbstractBaseUser,
    http_request: HttpRequest | None = None,
) -> None:
    """Save staff corrections of a request's details (already set on `case`), and record
    which fields changed in the audit trail (their names: the values are the patient's).
    `before` holds the changed fields' old values; the workflow fields are never changed
    this way."""
    case.save()
    if before:
        audit_record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            case=case,
            obj=case,
            detail={"fields": changed_fields(case, before, list(before))},
            http_request=http_request,
        )


def _owe_intake_emails(case: SecondOpinionRequest) -> None:
    if case.referring_provider is None:
        notification_owe(
            kind=Notification.Kind.CONFIRMATION,
            recipient=case.contact_email,
            dedupe_key=f"confirmation:{case.pk}",
            request=case,
            language=case.email_language,
        )
        return
    notification_owe(
        kind=Notification.Kind.REFERRAL_PROVIDER,
        recipient=case.referral_email or case.referring_provider.email,
        dedupe_key=f"referral_provider:{case.pk}",
        request=case,
    )
    if case.contact_email:
        notification_owe(
            kind=Notification.Kind.REFERRAL_PATIENT,
            recipient=case.contact_email,
            dedupe_key=f"referral_patient:{case.pk}",
            request=case,
            language=case.email_language,
        )


def referrer_update(*, case: SecondOpinionRequest, event: str) -> None:
    """Close the referring provider's loop: reference and status only, never clinical content."""
    if case.referring_provider is None:
        return
    notification_owe(
        kind=Notification.Kind.REFERRER_UPDATE,
        recipient=case.referral_email or case.referring_provider.email,
        dedupe_key=f"referrer_update:{case.pk}:{event}",
        request=case,
        context={"event": event},
    )


def case_transition(
    *,
    case: SecondOpinionRequest,
    to_status: str,
    by: AbstractBaseUser | None,
    note: str = "",
    http_request: HttpRequest | None = None,
) -> StatusChange:
    """Move a case to `to_status` if the lifecycle allows it, and record the change.

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
            request=locked,
            from_status=from_status,
            to_status=to_status,
            changed_by=by,
            changed_at=now,
            note=note.strip(),
        )
        audit_record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            case=locked,
            obj=locked,
            detail={"status": [from_status, to_status]},
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
    on_time = case.plan_target_date is None or timezone.localdate(now) <= case.plan_target_date
    case.plan_target_state = TargetState.MET if on_time else TargetState.MISSED


def _check_transition(case: SecondOpinionRequest, to_status: str, note: str) -> None:
    if to_status not in case.allowed_next_statuses():
        raise ValidationError(
            _("A case that is %(from)s cannot move to %(to)s.")
            % {"from": case.get_status_display().lower(), "to": _status_label(to_status).lower()},
            code="transition_not_allowed",
        )
    if to_status == Status.DECLINED and not note.strip():
        raise ValidationError(_("Give the reason for declining the case."), code="reason_needed")
    # Records gate the first booking; a cancelled appointment goes back to be booked again.
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
        request=case, body=body.strip(), author=by, kind=kind, outcome=outcome
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
    http_request: HttpRequest | None = None,
) -> Appointment:
    """Book an appointment, move the case to scheduled, and owe the patient an email.

    While the case's insurance verification is still open, booking needs the navigator's
    `insurance_override` note, which the case's history keeps.
    """
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if locked.status not in {Status.READY_TO_SCHEDULE, Status.SCHEDULED}:
        raise ValidationError(
            _('Move the case to "ready to schedule" before booking (it is %(status)s).')
            % {"status": locked.get_status_display().lower()},
            code="not_ready",
        )
    if starts_at <= timezone.now():
        raise ValidationError(_("The appointment must be in the future."), code="past")
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
        request=locked,
        starts_at=starts_at,
        specialty=specialty,
        clinician=clinician,
        modality=modality,
        location=location.strip(),
        booked_by=by,
    )
    if locked.status != Status.SCHEDULED:
        note = _("Appointment booked.")
        if needs_override:
            note += " " + _("Booked before insurance was verified: %(why)s") % {
                "why": insurance_override.strip()
            }
        case_transition(
            case=locked, to_status=Status.SCHEDULED, by=by, note=note, http_request=http_request
        )
    request_target_refresh(case=locked)
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
        request=case,
        language=case.email_language,
        context={"appointment_id": appointment.pk},
    )


def request_target_refresh(*, case: SecondOpinionRequest, now: datetime | None = None) -> str:
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
    case = SecondOpinionRequest.objects.select_for_update().get(pk=appointment.request_id)
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
    request_target_refresh(case=case)
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
    case = SecondOpinionRequest.objects.select_for_update().get(pk=appointment.request_id)
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
    request_target_refresh(case=case)
    _owe_appointment_email(case, appointment, version=f":{int(starts_at.timestamp())}")
    appointment.refresh_from_db()
    return appointment
