"""Celery tasks of the requests app: each takes ids and calls one service."""

from __future__ import annotations

import random
from smtplib import SMTPException

from celery import Task, shared_task
from django.conf import settings

from .clamd import ScanUnavailable
from .services.delivery import notification_send
from .services.documents import document_scan, document_scan_requeue
from .services.outbox import notification_requeue
from .services.records import records_digest
from .services.retention import retention_anonymise
from .services.sweep import target_sweep


def _backoff(retries: int) -> int:
    """Return seconds before retry `retries`: doubling from EMAIL_RETRY_BACKOFF, with jitter.

    At most 30 minutes: a countdown must stay well under the broker's visibility timeout.
    """
    base = min(settings.EMAIL_RETRY_BACKOFF * 2**retries, 1800)
    return base + random.randint(0, base // 4)  # noqa: S311 (jitter, not security)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def notification_send_task(self: Task, notification_id: int) -> None:
    """Send one owed email; safe to run twice (the row is claimed before sending)."""
    try:
        notification_send(notification_id=notification_id)
    except (SMTPException, OSError) as exc:
        if self.request.is_eager:
            # In-process mode has no beat to wait for: the row stays pending for the next
            # requeue rather than blocking the web request with retries.
            return
        raise self.retry(
            exc=exc,
            countdown=_backoff(self.request.retries),
            max_retries=settings.EMAIL_MAX_ATTEMPTS - 1,
        ) from exc


@shared_task(acks_late=True)
def notification_send_batch_task(notification_ids: list[int]) -> int:
    """Send several owed emails; one that fails stays pending (with its error) for the requeue
    job to try again, so the others are not held back. Safe to run twice."""
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += notification_send(notification_id=notification_id)
        except (SMTPException, OSError):
            continue
    return sent


@shared_task
def notification_requeue_task() -> int:
    """Queue again the owed emails whose task was lost (beat, every two minutes)."""
    return notification_requeue()


@shared_task(acks_late=True)
def target_sweep_task() -> dict[str, object]:
    """Bring every open case's target state up to date and owe its alerts (beat)."""
    result = target_sweep()
    return {"checked": result.checked, "changed": result.changed, "alerts": result.alerts}


@shared_task(acks_late=True)
def records_digest_task() -> int:
    """Email records staff what to chase today; each item once a day (beat, daily)."""
    return records_digest()


@shared_task(acks_late=True)
def retention_task() -> int:
    """Anonymise withdrawn and declined requests past retention (beat, nightly)."""
    return retention_anonymise()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def document_scan_task(self: Task, document_id: int) -> str:
    """Scan one pending document with clamd and record the verdict; safe to run twice.

    Retried with backoff while clamd gives no verdict; after the last try the document stays
    pending (hidden from staff) and document_scan_requeue_task queues it again.
    """
    try:
        return document_scan(document_id=document_id)
    except ScanUnavailable as exc:
        if self.request.is_eager:
            # In-process mode retries at once, not later: leave it pending for the requeue.
            return "pending"
        raise self.retry(
            exc=exc,
            countdown=min(settings.CLAMD_RETRY_BACKOFF * 2**self.request.retries, 1800),
            max_retries=settings.CLAMD_MAX_RETRIES,
        ) from exc


@shared_task
def document_scan_requeue_task() -> int:
    """Queue again the scans of documents still pending (beat, every few minutes)."""
    return document_scan_requeue()
