"""Celery tasks of imaging: each takes an id and calls one service; each is safe to run twice."""

from __future__ import annotations

import random

from celery import Task, shared_task
from django.conf import settings

from .orthanc import OrthancUnavailable
from .services import imaging_send_to_orthanc, imaging_upload_process
from .upkeep import imaging_requeue

# Reading a 2 GB disc and sending it takes minutes, not the two of the project's default.
TIME_LIMIT = 3600
SOFT_TIME_LIMIT = 3300


def _backoff(retries: int) -> int:
    """Return seconds before retry `retries`: doubling from IMAGING_RETRY_BACKOFF, with jitter.

    At most 30 minutes: a countdown must stay well under the broker's visibility timeout.
    """
    base = min(settings.IMAGING_RETRY_BACKOFF * 2**retries, 1800)
    return base + random.randint(0, max(base // 4, 1))  # noqa: S311 (jitter, not security)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=SOFT_TIME_LIMIT,
)
def imaging_upload_process_task(upload_id: int) -> str:
    """Read an uploaded disc into studies and series, matched to the case."""
    return imaging_upload_process(upload_id=upload_id).state


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=SOFT_TIME_LIMIT,
)
def imaging_send_task(self: Task, study_id: int) -> int:
    """Send a matched study to Orthanc, retried with backoff while Orthanc is down.

    Sending again is harmless (Orthanc keeps one copy per SOP Instance UID), so a retry
    starts over from the study's first instance.
    """
    try:
        return imaging_send_to_orthanc(study_id=study_id)
    except OrthancUnavailable as exc:
        if self.request.is_eager:
            # In-process mode has no worker to wait in: the study stays waiting to be sent.
            return 0
        raise self.retry(
            exc=exc,
            countdown=_backoff(self.request.retries),
            max_retries=settings.IMAGING_SEND_MAX_RETRIES,
        ) from exc


@shared_task
def imaging_requeue_task() -> int:
    """Queue again the readings and sends whose task was lost (beat, every ten minutes)."""
    return imaging_requeue()
