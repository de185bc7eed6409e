"""Intake: a request saved from the public form or a referral, and staff corrections of it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..audit import audit_record, changed_fields
from ..choices import Requester, Status, TargetState
from ..jobs import enqueue_on_commit
from ..models import (
    AuditEvent,
    Notification,
    ReferringProvider,
    SecondOpinionRequest,
    StatusChange,
    new_reference,
)
from ..targets import target_date_for
from .documents import document_store
from .outbox import notification_owe
from .records import record_items_start
from .support import support_tasks_start

_REFERENCE_TRIES = 5


@transaction.atomic
def case_submit(
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
        case=intake,
        from_status="",
        to_status=Status.NEW,
        changed_at=now,
        note="Referred by a provider." if referring_provider else "Submitted on the public form.",
    )
    _owe_intake_emails(intake)
    enqueue_on_commit("navigators.tasks.case_auto_assign_task", intake.pk)
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
    return case_submit(
        intake=intake,
        submission_key=submission_key,
        consent_records=consent_records,
        attachments=attachments,
        referring_provider=referring,
    )


@transaction.atomic
def case_details_update(
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
            case=case,
            language=case.email_language,
        )
        return
    notification_owe(
        kind=Notification.Kind.REFERRAL_PROVIDER,
        recipient=case.referral_email or case.referring_provider.email,
        dedupe_key=f"referral_provider:{case.pk}",
        case=case,
    )
    if case.contact_email:
        notification_owe(
            kind=Notification.Kind.REFERRAL_PATIENT,
            recipient=case.contact_email,
            dedupe_key=f"referral_patient:{case.pk}",
            case=case,
            language=case.email_language,
        )
