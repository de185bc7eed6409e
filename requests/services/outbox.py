"""The outbox: every email the system owes, recorded first and sent once by a task.

This module records what is owed and queues it; `delivery` sends one owed email.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..jobs import enqueue_on_commit, requeue_after
from ..models import Notification, SecondOpinionRequest

SEND_TASK = "requests.tasks.notification_send_task"
SEND_BATCH_TASK = "requests.tasks.notification_send_batch_task"
# A pending row tried before and not retried for this long lost its retry (beyond the backoff).
RETRY_LOST_AFTER = timedelta(minutes=35)
# The columns of a bulk-owed email left at the model's defaults.
NOTIFICATION_DEFAULTED = ("language", "state", "attempts", "last_error")
OWE_MANY_CHUNK = 1000


def claim_timeout() -> timedelta:
    """Return the age after which a claim is a dead worker's (beyond the task time limit)."""
    return timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT_SECONDS)


def notification_owe(
    *,
    kind: str,
    recipient: str,
    dedupe_key: str,
    case: SecondOpinionRequest | None = None,
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
            "case": case,
            "language": language,
            "context": context or {},
        },
    )
    if created:
        notification_enqueue(notification_id=notification.pk)
    return notification


def notification_owe_many(
    *, owed: Sequence[tuple[int, str, str, str, dict[str, object]]], now: datetime
) -> list[int]:
    """Record many owed emails at once, in English, and queue them as one task after commit;
    return the ids of the rows this call inserted (a `dedupe_key` already owed is skipped).

    Each of `owed` is (case id, kind, dedupe key, recipient, context); the other columns
    are at the model's defaults (pending, no attempt yet). For the target sweep's alerts:
    one statement per thousand rows, because bulk_create prepared each value of each row in
    Python, a third of a first sweep's time over 10,000 alerts.
    """
    table = connection.ops.quote_name(Notification._meta.db_table)
    defaults = [Notification._meta.get_field(name).get_default() for name in NOTIFICATION_DEFAULTED]
    stamp = connection.ops.adapt_datetimefield_value(now)
    columns = ", ".join(
        ["request_id", "kind", "dedupe_key", "recipient", "context", *NOTIFICATION_DEFAULTED]
    )
    row = "(" + ", ".join(["%s"] * (5 + len(defaults) + 1)) + ")"
    ids: list[int] = []
    for start in range(0, len(owed), OWE_MANY_CHUNK):
        chunk = owed[start : start + OWE_MANY_CHUNK]
        params = [
            value
            for case_id, kind, dedupe_key, recipient, context in chunk
            for value in (
                case_id,
                str(kind),
                dedupe_key,
                recipient,
                json.dumps(context),
                *defaults,
                stamp,
            )
        ]
        sql = (
            f"INSERT INTO {table} ({columns}, created_at) "  # noqa: S608 (names from the model, values are parameters)
            f"VALUES {', '.join([row] * len(chunk))} "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids += [row_id for (row_id,) in cursor.fetchall()]
    notifications_enqueue(notification_ids=ids)
    return ids


def notification_enqueue(*, notification_id: int) -> None:
    """Queue the sending of an owed email after commit."""
    enqueue_on_commit(SEND_TASK, notification_id)


def notifications_enqueue(*, notification_ids: list[int]) -> None:
    """Queue the sending of many owed emails as one task after commit (the sweep's alerts).

    One message per batch, not one per email: thousands of alerts at once cost seconds of
    publishing otherwise. Each email is still claimed and sent on its own.
    """
    if notification_ids:
        enqueue_on_commit(SEND_BATCH_TASK, notification_ids)


def notification_requeue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue again the owed emails whose task was lost; return how many were queued."""
    now = now or timezone.now()
    lost = Q(
        state=Notification.State.PENDING,
        claimed_at__isnull=True,
        created_at__lt=now - requeue_after(),
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
