"""Retention: withdrawn and declined requests are anonymised after RETENTION_DAYS.

What the dashboard counts stays (dates, states, disease group, navigator); who the patient
is, how to reach them and what they told us goes, with their documents. The audit trail
stays whole: it never quoted the record.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..audit import audit_record
from ..choices import Status
from ..imaging.upkeep import imaging_case_purge
from ..models import AuditEvent, SecondOpinionRequest

ANONYMOUS = "Anonymised"
BATCH = 200
WIPED = {
    "first_name": ANONYMOUS,
    "last_name": "",
    "date_of_birth": date(1900, 1, 1),
    "email": "",
    "phone": "",
    "other_language": "",
    "city": "",
    "zip_code": "",
    "state": "",
    "requester_first_name": "",
    "requester_last_name": "",
    "requester_relationship": "",
    "requester_email": "",
    "requester_phone": "",
    "diagnosis_date": None,
    "treatments": [],
    "current_oncologist": "",
    "current_facility": "",
    "questions": "",
    "insurance_carrier": "",
    "insurance_member_id": "",
    "decline_reason": "",
    "referral_reason": "",
}


def retention_anonymise(*, now: datetime | None = None) -> int:
    """Anonymise the withdrawn and declined requests past retention; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    due = SecondOpinionRequest.objects.filter(
        status__in=[Status.WITHDRAWN, Status.DECLINED],
        anonymised_at__isnull=True,
        closed_at__lt=cutoff,
    )
    done = 0
    while True:
        with transaction.atomic():
            batch = list(due.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            for case in batch:
                _anonymise(case, now)
            done += len(batch)
        if len(batch) < BATCH:
            return done


def _anonymise(case: SecondOpinionRequest, now: datetime) -> None:
    for field, value in WIPED.items():
        setattr(case, field, value)
    case.anonymised_at = now
    case.save()
    case.notes.update(body="[removed at retention]")
    case.status_changes.update(note="")
    case.record_items.update(notes="", tracking_number="")
    case.support_tasks.update(notes="")
    case.appointments.update(clinician="", location="")
    case.notifications.update(recipient="", context={})
    case.status_links.all().delete()
    # The images hold the patient's name and birth date as read from the disc.
    imaging_case_purge(case=case)
    files = [document.file for document in case.documents.all()]
    case.documents.all().delete()
    # The files go once the rows are gone for good.
    transaction.on_commit(lambda: [stored.delete(save=False) for stored in files])
    # The audit trail is left as it is: it holds field names, ids and counts, never a value
    # of the record (requests.audit), and PostgreSQL refuses to change it.
    audit_record(
        actor=None,
        action=AuditEvent.Action.ANONYMISE,
        case=case,
        obj=case,
        detail={"reason": f"closed as {case.status} more than {settings.RETENTION_DAYS} days ago"},
    )
