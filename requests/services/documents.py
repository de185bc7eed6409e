"""Documents: validated uploads stored under random names in private storage, scanned for
viruses after commit when the upload could not be, and read by staff only once cleared."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .. import clamd
from ..audit import audit_record
from ..documents import clean_file_name
from ..jobs import enqueue_on_commit
from ..models import AuditEvent, Document, RecordItem, SecondOpinionRequest

logger = logging.getLogger(__name__)

SCAN_TASK = "requests.tasks.document_scan_task"


@transaction.atomic
def document_store(
    *,
    case: SecondOpinionRequest,
    upload: UploadedFile,
    content_type: str,
    by: AbstractBaseUser | None,
    record_item: RecordItem | None = None,
    http_request: HttpRequest | None = None,
) -> Document:
    """Save a validated file under a random name in private storage, and record it.

    It keeps the scan state validate_upload found; a file that did not go through it (a
    script, a fixture) is pending when a scanner is configured. A pending file is scanned by
    a task queued after commit, and by the periodic job if that task is lost or fails.
    """
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    scan_state = getattr(upload, "scan_state", None) or (
        Document.ScanState.PENDING if settings.CLAMD_SOCKET else Document.ScanState.NOT_SCANNED
    )
    document = Document(
        case=case,
        record_item=record_item,
        original_name=clean_file_name(upload.name or "", content_type),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
        scan_state=scan_state,
        scanned_at=timezone.now() if scan_state == Document.ScanState.CLEAN else None,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    if by is not None:
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPLOAD,
            case=case,
            obj=document,
            detail={"size": document.size, "content_type": content_type},
            http_request=http_request,
        )
    if scan_state == Document.ScanState.PENDING:
        enqueue_on_commit(SCAN_TASK, document.pk)
    return document


def document_scan(*, document_id: int) -> str:
    """Scan a pending document with clamd and record the verdict; return its scan state.

    Safe to run twice, and by two workers at once: a document no longer pending is left
    alone, and the verdict is recorded by a conditional UPDATE that only one of them wins.
    Raises clamd.ScanUnavailable when clamd gives no verdict (the caller tries again later).
    """
    document = Document.objects.select_related("case").filter(pk=document_id).first()
    if document is None:
        return ""
    if document.scan_state != Document.ScanState.PENDING:
        return document.scan_state
    if not settings.CLAMD_SOCKET:
        # Scanning was switched off since the upload: the file is treated as the ones stored
        # before scanning existed, rather than hidden for ever.
        return _document_scan_record(
            document=document, state=Document.ScanState.NOT_SCANNED, signature=""
        )
    try:
        with document.file.open("rb") as stored:
            verdict = clamd.instream(
                settings.CLAMD_SOCKET, stored.chunks(), timeout=settings.CLAMD_TIMEOUT
            )
    except OSError as error:  # The storage could not be read: try again later.
        raise clamd.ScanUnavailable(f"storage: {error.__class__.__name__}") from error
    state = Document.ScanState.INFECTED if verdict.infected else Document.ScanState.CLEAN
    return _document_scan_record(document=document, state=state, signature=verdict.signature)


@transaction.atomic
def _document_scan_record(*, document: Document, state: str, signature: str) -> str:
    """Record a verdict on a pending document; an infected file is deleted, its row kept."""
    infected = state == Document.ScanState.INFECTED
    won = Document.objects.filter(pk=document.pk, scan_state=Document.ScanState.PENDING).update(
        scan_state=state,
        scanned_at=None if state == Document.ScanState.NOT_SCANNED else timezone.now(),
        **({"file": ""} if infected else {}),
    )
    if not won:  # Another worker recorded its verdict first.
        return Document.objects.values_list("scan_state", flat=True).get(pk=document.pk)
    if infected:
        audit_record(
            actor=None,
            action=AuditEvent.Action.CHANGE,
            case=document.case,
            obj=document,
            detail={
                "scan_state": [Document.ScanState.PENDING, state],
                "signature": signature,
                "file": "deleted",
            },
        )
        logger.warning("Document %s is infected (%s): file deleted.", document.pk, signature)
        stored, name = document.file.storage, document.file.name
        # The file goes once the verdict is committed: a rollback keeps both.
        transaction.on_commit(lambda: stored.delete(name))
    return state


def document_scan_requeue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue a scan of the documents still pending after CLAMD_RESCAN_MINUTES (clamd was
    down, or their task was lost or gave up); return how many were queued."""
    now = now or timezone.now()
    ids = list(
        Document.objects.filter(
            scan_state=Document.ScanState.PENDING,
            uploaded_at__lt=now - timedelta(minutes=settings.CLAMD_RESCAN_MINUTES),
        )
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:limit]
    )
    for document_id in ids:
        enqueue_on_commit(SCAN_TASK, document_id)
    return len(ids)
