"""Sending one owed email of the outbox: claimed by one worker, sent, its outcome recorded.

Apart from the outbox (which records what is owed) because rendering an email may mint a
status link, and the status links owe their emails through the outbox.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from ..emails import notification_message
from ..models import Notification
from .outbox import claim_timeout

logger = logging.getLogger(__name__)


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
    notification = Notification.objects.select_related("case").get(pk=notification_id)
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
