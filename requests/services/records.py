"""Outside medical records: the usual items of a new case, their retrieval status, the digest."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from navigators.roles import RECORDS_STAFF
from navigators.selectors import staff_with_role

from ..audit import audit_record, changed_fields
from ..choices import DiseaseGroup, Treatment
from ..models import (
    AuditEvent,
    Document,
    Facility,
    Notification,
    RecordItem,
    SecondOpinionRequest,
)
from ..selectors.records import OUTSTANDING, facility_for_name, records_progress, to_chase
from .documents import document_store
from .outbox import notification_owe

Kind = RecordItem.Kind

State = RecordItem.State

BLOOD_CANCERS = {DiseaseGroup.LEUKEMIA, DiseaseGroup.LYMPHOMA, DiseaseGroup.MYELOMA}


# Disease groups whose treatment choices usually hang on molecular or genomic testing.
MOLECULAR_GROUPS = {
    DiseaseGroup.BREAST,
    DiseaseGroup.THORACIC,
    DiseaseGroup.GASTROINTESTINAL,
    DiseaseGroup.HEPATOBILIARY,
    *BLOOD_CANCERS,
}

UNKNOWN_FACILITY = "To confirm with the patient"


# The fields staff edit on an item, compared before and after for the audit trail.
RECORD_FIELDS = ["kind", "facility", "status", "method", "tracking_number", "notes"]


def default_record_kinds(case: SecondOpinionRequest) -> list[str]:
    """Return the items a second opinion usually needs, by cancer type and treatment so far."""
    kinds = [Kind.PATHOLOGY_REPORT]
    if case.cancer_type in BLOOD_CANCERS:
        kinds.append(Kind.LABS)
    else:
        kinds += [Kind.PATHOLOGY_SLIDES, Kind.IMAGING_REPORT, Kind.IMAGING_DISC]
    if case.cancer_type in MOLECULAR_GROUPS:
        kinds.append(Kind.MOLECULAR_REPORT)
    treatments = set(case.treatments or [])
    if Treatment.SURGERY in treatments:
        kinds.append(Kind.OPERATIVE_REPORT)
    if treatments & {Treatment.CHEMOTHERAPY, Treatment.RADIATION, Treatment.SYSTEMIC}:
        kinds.append(Kind.TREATMENT_SUMMARY)
    kinds.append(Kind.CLINIC_NOTES)
    return kinds


def record_items_start(*, case: SecondOpinionRequest) -> list[RecordItem]:
    """List the usual items on a new case that asked for records help, for the navigator."""
    facility = case.current_facility or UNKNOWN_FACILITY
    listed = facility_for_name(facility)
    return RecordItem.objects.bulk_create(
        RecordItem(
            case=case,
            kind=kind,
            facility=facility,
            facility_ref=listed,
            status_changed_at=case.submitted_at,
        )
        for kind in default_record_kinds(case)
    )


@transaction.atomic
def record_item_save(
    *,
    item: RecordItem,
    by: AbstractBaseUser,
    before: dict[str, object] | None = None,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> RecordItem:
    """Save a new or edited record item: its status dates, who changed it, the audit trail.

    `before` holds the field values as they were (None for a new item). When the last
    outstanding item of a case is settled, the case's navigator is told.
    """
    now = now or timezone.now()
    if item.case_id is None:
        raise ValidationError(_("A record item belongs to a case."), code="no_case")
    status_changed = before is None or before.get("status") != item.status
    if status_changed:
        item.status_changed_at = now
        item.status_changed_by = by
        if item.status in OUTSTANDING:
            item.received_at = None  # Outstanding again: whatever came was not the record.
        if item.status == State.REQUESTED and item.requested_at is None:
            item.requested_at = now
        if item.status == State.RECEIVED and item.received_at is None:
            item.received_at = now
    record_item_check(item)
    if before is None or before.get("facility") != item.facility or item.facility_ref_id is None:
        item.facility_ref = facility_for_name(item.facility)
    fields = RECORD_FIELDS
    item.save()
    if before is None:
        audit_record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            case=item.case,
            obj=item,
            detail={"status": item.status},
            http_request=http_request,
        )
    else:
        changes = changed_fields(item, before, fields)
        if changes:
            audit_record(
                actor=by,
                action=AuditEvent.Action.CHANGE,
                case=item.case,
                obj=item,
                detail={"fields": changes},
                http_request=http_request,
            )
    if status_changed and item.status not in OUTSTANDING:
        _tell_navigator_if_complete(item.case)
    return item


@transaction.atomic
def record_items_mark(
    *,
    items: QuerySet[RecordItem],
    status: str,
    by: AbstractBaseUser,
    method: str | None = None,
    on: date | None = None,
    http_request: HttpRequest | None = None,
) -> int:
    """Set many items to `status` at once (the bulk actions); return how many.

    With a method (requested) or a date (received), as the records desk sends, each
    outstanding item goes through record_item_mark_requested or record_item_mark_received,
    and one refusal refuses them all (nothing is half done); the others are skipped. Without,
    as the worklist's actions send, items already in `status` are skipped.
    """
    changed = 0
    desk = method is not None or on is not None
    for item in items.select_for_update(of=("self",)).select_related("case").order_by("pk"):
        if desk:
            if not item.is_outstanding:
                continue
            if status == State.REQUESTED:
                record_item_mark_requested(
                    item=item, method=method or "", on=on, by=by, http_request=http_request
                )
            elif status == State.RECEIVED:
                record_item_mark_received(item=item, on=on, by=by, http_request=http_request)
            else:
                raise ValidationError(_("Choose requested or received."), code="bad_status")
            changed += 1
            continue
        if item.status == status:
            continue
        before = {name: getattr(item, name) for name in RECORD_FIELDS}
        item.status = status
        record_item_save(item=item, by=by, before=before, http_request=http_request)
        changed += 1
    if changed:
        audit_record(
            actor=by,
            action=AuditEvent.Action.BULK,
            case=None,
            detail={"action": f"mark {status}", "items": changed},
            http_request=http_request,
        )
    return changed


def records_digest(*, now: datetime | None = None) -> int:
    """Email records staff the references and counts to chase today; return the item count.

    Each item is in one digest a day at most: items are claimed for today's date with a
    conditional UPDATE, so a second run the same day (or a second beat) finds none.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        due = to_chase(now).filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today))
        ids = list(
            due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
        )
        claimed = RecordItem.objects.filter(pk__in=ids).update(last_digest_on=today)
        if not claimed:
            return 0
        rows = (
            RecordItem.objects.filter(pk__in=ids)
            .values("case__reference")
            .annotate(count=Count("id"))
            .order_by("case__reference")
        )
        cases = [(row["case__reference"], row["count"]) for row in rows]
        staff = staff_with_role(RECORDS_STAFF)
        # Items are claimed once a day, so the claimed set names this run's digest: a later
        # run the same day that claims new items sends their own digest.
        run = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
        for user in staff:
            notification_owe(
                kind=Notification.Kind.RECORDS_DIGEST,
                recipient=user.email,
                dedupe_key=f"records_digest:{today.isoformat()}:{run}:{user.pk}",
                context={
                    "staff_first_name": user.first_name,
                    "cases": cases,
                    "items": claimed,
                    "worklist_url": f"{settings.SITE_URL}{reverse('admin:records_desk')}?chase=yes",
                },
            )
    return claimed


def _tell_navigator_if_complete(case: SecondOpinionRequest) -> None:
    progress = records_progress(case)
    if progress.outstanding or not progress.total or case.navigator is None:
        return
    email = case.navigator.user.email
    if email:
        notification_owe(
            kind=Notification.Kind.RECORDS_COMPLETE,
            recipient=email,
            # Told once per case: reclassifying a settled item later tells nobody again.
            dedupe_key=f"records_complete:{case.pk}",
            case=case,
            context={"staff_first_name": case.navigator.user.first_name, "progress": str(progress)},
        )


# --- The records desk: requested and received, with their dates ---------------------------


def _item_name(item: RecordItem) -> str:
    return f"{item.case.reference}, {item.get_kind_display()}"


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "M j, Y")


def record_item_check(item: RecordItem) -> None:
    """Refuse (ValidationError, in plain words) an item received before it was requested.

    Every save checks it. That a requested item says how it was requested is checked where
    staff say so (record_item_mark_requested): the worklist's older paths record a request
    without its method.
    """
    if item.requested_at and item.received_at and item.received_at < item.requested_at:
        raise ValidationError(
            _(
                "%(item)s: the received date (%(received)s) is before the requested date "
                "(%(requested)s)."
            )
            % {
                "item": _item_name(item),
                "received": _day(item.received_at),
                "requested": _day(item.requested_at),
            },
            code="received_before_requested",
        )


def _moment_of(day: date | None, now: datetime, item: RecordItem) -> datetime:
    """Return the moment to record for a day staff chose: now for today (or no day), that
    day's noon in the center's time zone for an earlier day; a day to come is refused."""
    today = timezone.localdate(now)
    if day is None or day == today:
        return now
    if day > today:
        raise ValidationError(
            _("%(item)s: %(day)s is still to come; give today's date or an earlier one.")
            % {"item": _item_name(item), "day": date_format(day, "M j, Y")},
            code="future_date",
        )
    return timezone.make_aware(datetime.combine(day, time(12)))


def _refuse_unless_outstanding(item: RecordItem) -> None:
    if not item.is_outstanding:
        raise ValidationError(
            _("%(item)s is already %(state)s: nothing was changed.")
            % {"item": _item_name(item), "state": item.get_status_display().lower()},
            code="not_outstanding",
        )


@transaction.atomic
def record_item_mark_requested(
    *,
    item: RecordItem,
    method: str,
    on: date | None = None,
    by: AbstractBaseUser,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> RecordItem:
    """Record that an outstanding item was requested (again) by `method` on `on` (today).

    Requesting an item already requested records the new request: its date restarts the
    chase clock.
    """
    now = now or timezone.now()
    _refuse_unless_outstanding(item)
    if method not in RecordItem.Method.values or not method:
        raise ValidationError(
            _("%(item)s: say how the records were requested (fax, portal, mail ...).")
            % {"item": _item_name(item)},
            code="no_method",
        )
    before = {name: getattr(item, name) for name in RECORD_FIELDS}
    item.requested_at = _moment_of(on, now, item)
    item.received_at = None  # An outstanding item was never received.
    item.status = State.REQUESTED
    item.method = method
    return record_item_save(item=item, by=by, before=before, now=now, http_request=http_request)


@transaction.atomic
def record_item_mark_received(
    *,
    item: RecordItem,
    on: date | None = None,
    by: AbstractBaseUser,
    now: datetime | None = None,
    http_request: HttpRequest | None = None,
) -> RecordItem:
    """Record that an outstanding item was received on `on` (today): it sets the received
    date and keeps the rest (method, requested date). Refused when that day is before the
    day it was requested."""
    now = now or timezone.now()
    _refuse_unless_outstanding(item)
    received_at = _moment_of(on, now, item)
    if item.requested_at is not None:
        requested_day = timezone.localdate(item.requested_at)
        if timezone.localdate(received_at) == requested_day:
            # The same day: received after it was asked, whatever hour each was given.
            received_at = max(received_at, item.requested_at)
    before = {name: getattr(item, name) for name in RECORD_FIELDS}
    item.received_at = received_at
    item.status = State.RECEIVED
    return record_item_save(item=item, by=by, before=before, now=now, http_request=http_request)


@transaction.atomic
def record_item_receive_document(
    *,
    item: RecordItem,
    upload: UploadedFile,
    content_type: str,
    on: date | None = None,
    by: AbstractBaseUser,
    http_request: HttpRequest | None = None,
) -> Document:
    """Store the file records staff received for an item and mark the item received, in one
    transaction: either both happen or neither.

    `upload` has passed requests.documents.validate_upload (type, content, virus scan), which
    gave `content_type`.
    """
    record_item_mark_received(item=item, on=on, by=by, http_request=http_request)
    return document_store(
        case=item.case,
        upload=upload,
        content_type=content_type,
        by=by,
        record_item=item,
        http_request=http_request,
    )


# --- The facility directory ----------------------------------------------------------------


@transaction.atomic
def facility_save(
    *,
    facility: Facility,
    by: AbstractBaseUser,
    http_request: HttpRequest | None = None,
) -> Facility:
    """Save a directory entry and link to it every item typed with its name (whatever the
    case), so that the desk shows its phone and fax and the report counts them under it.

    Items typed before the entry existed, or under its new name, are linked here; an item is
    never unlinked by a rename (it keeps the entry it was requested from).
    """
    created = facility.pk is None
    facility.name = facility.name.strip()
    facility.save()
    linked = (
        RecordItem.objects.filter(facility__iexact=facility.name)
        .exclude(facility_ref=facility)
        .update(facility_ref=facility)
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.CHANGE,
        case=None,
        obj=facility,
        detail={"items_linked": linked},
        http_request=http_request,
    )
    return facility
