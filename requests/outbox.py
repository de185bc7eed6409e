"""The outbox: every email the system owes, recorded first and sent once by a task."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from .emails import notification_message
from .models import Notification, SecondOpinionRequest

logger = logging.getLogger(__name__)

# A pending row never tried for this long lost its task (broker down, process killed).
LOST_AFTER = timedelta(minutes=2)
# A pending row tried before and not retried for this long lost its retry (beyond the backoff).
RETRY_LOST_AFTER = timedelta(minutes=35)


def claim_timeout() -> timedelta:
    """Return the age after which a claim is a dead worker's (beyond the task time limit)."""
    return timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS)


def notification_owe(
    *,
    kind: str,
    recipient: str,
    dedupe_key: str,
    request: SecondOpinionRequest | None = None,
    language: str = "en",
    context: dict[str, object] | None = None,
) -> Notification:
    """Record an email the system owes and queue its sending once the transaction commits.

    Call inside the transaction that causes the email, so that both are saved or neither.
    The same `dedupe_key` twice returns the first row: an email is owed at most once.
    """
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "request": request,
            "language": language,
            "context": context or {},
        },
    )
    if created:
        notification_enqueue(notification_id=notification.pk)
    return notification


# After a failed publish, this process stops trying for a while: one slow timeout per
# outage, not one per task and page (the periodic jobs pick the work up when it is back).
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until = 0.0


def enqueue_on_commit(task: Task, *args: object) -> None:
    """Queue `task` once the current transaction commits; never fail the caller.

    The work a task does is always recorded in the database first (an outbox row, a case in
    the unassigned queue) and found again by a periodic job, so a broker that is down only
    delays it; the patient's submission must not fail, nor hang, because the broker did.
    """

    def enqueue() -> None:
        global _broker_paused_until
        if time.monotonic() < _broker_paused_until:
            return
        try:
            task.delay(*args)
        except Exception:
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning("Could not queue %s; a periodic job will pick it up.", task.name)

    transaction.on_commit(enqueue)


def notification_enqueue(*, notification_id: int) -> None:
    """Queue the sending of an owed email after commit."""
    from .tasks import notification_send_task

    enqueue_on_commit(notification_send_task, notification_id)


def notifications_enqueue(*, notification_ids: list[int]) -> None:
    """Queue the sending of many owed emails as one task after commit (the sweep's alerts).

    One message per batch, not one per email: thousands of alerts at once cost seconds of
    publishing otherwise. Each email is still claimed and sent on its own.
    """
    from .tasks import notification_send_batch_task

    if notification_ids:
        enqueue_on_commit(notification_send_batch_task, notification_ids)


def notification_send(*, notification_id: int) -> bool:
    """Send one owed email if nobody else is; return whether this call sent it.

    Raise the delivery error after recording it, so that the task can retry with backoff.
    """
    now = timezone.now()
    # The claim is a conditional UPDATE: of two workers handed the same row, exactly one
    # changes it (row count 1) and sends; the other sees 0 and stops.
    claimed = (
        Notification.objects.filter(pk=notification_id)
        .filter(
            Q(state=Notification.State.PENDING)
            | Q(state=Notification.State.SENDING, claimed_at__lt=now - claim_timeout())
        )
        .update(state=Notification.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("request").get(pk=notification_id)
    try:
        notification_message(notification, mint_links=True).send()
    except Exception as exc:
        failed = notification.attempts >= settings.EMAIL_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            state=Notification.State.FAILED if failed else Notification.State.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.warning(
            "Notification %s attempt %s failed (%s).",
            notification_id,
            notification.attempts,
            type(exc).__name__,
        )
        raise
    Notification.objects.filter(pk=notification_id, state=Notification.State.SENDING).update(
        state=Notification.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def notification_requeue(*, now: object = None, limit: int = 500) -> int:
    """Queue again the owed emails whose task was lost; return how many were queued."""
    now = now or timezone.now()
    lost = Q(
        state=Notification.State.PENDING, claimed_at__isnull=True, created_at__lt=now - LOST_AFTER
    )
    retry_lost = Q(state=Notification.State.PENDING, claimed_at__lt=now - RETRY_LOST_AFTER)
    stuck = Q(state=Notification.State.SENDING, claimed_at__lt=now - claim_timeout())
    ids = list(
        Notification.objects.filter(lost | retry_lost | stuck)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        notification_enqueue(notification_id=notification_id)
    return len(ids)


def notification_resend(*, notification_id: int) -> bool:
    """Put a failed email back in the queue (a supervisor's action); return whether it was."""
    with transaction.atomic():
        reset = Notification.objects.filter(
            pk=notification_id, state=Notification.State.FAILED
        ).update(state=Notification.State.PENDING, attempts=0, claimed_at=None, last_error="")
        if reset:
            notification_enqueue(notification_id=notification_id)
    return bool(reset)


def outbox_counts() -> dict[str, object]:
    """Return the outbox's rows by state and the age in seconds of the oldest unsent one."""
    counts = dict.fromkeys(Notification.State.values, 0)
    for row in Notification.objects.values("state").annotate(count=Count("id")).order_by():
        counts[row["state"]] = row["count"]
    oldest = (
        Notification.objects.filter(
            state__in=[Notification.State.PENDING, Notification.State.SENDING]
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"counts": counts, "oldest_unsent_seconds": age}
