"""Imaging upkeep: queue again what a lost task left, and remove a case's imaging at retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from requests.jobs import enqueue_on_commit
from requests.models import SecondOpinionRequest, private_storage

from .archive import MANIFEST
from .models import ImagingStudy, ImagingUpload
from .orthanc import OrthancClient
from .services import PROCESS_TASK, SEND_TASK, Match, Send, open_disc

# A reading or a send not finished this long after it started (or was queued) was lost with
# its worker or its broker message: longer than the task's time limit plus the longest
# retry wait, so a task still alive is never doubled.
LOST_AFTER = timedelta(hours=2)


def imaging_case_purge(*, case: SecondOpinionRequest) -> int:
    """Remove a case's imaging from Orthanc and private storage (retention); return studies.

    Orthanc first: a study left there by a failure is found again by its row, which is
    deleted only after the files are gone.
    """
    studies = list(case.imaging_studies.all())
    client = OrthancClient.from_settings()
    if client is not None:
        with client:
            for study in studies:
                if study.orthanc_id:
                    client.delete_study(study.orthanc_id)
    for upload in case.imaging_uploads.all():
        for series in upload.series.exclude(preview_storage_name=""):
            private_storage.delete(series.preview_storage_name)
        if upload.source == ImagingUpload.Source.FOLDER:
            with open_disc(upload) as folder:
                for name in folder.stored_names():
                    private_storage.delete(name)
            private_storage.delete(f"{upload.storage_name}/{MANIFEST}")
        else:
            private_storage.delete(upload.storage_name)
    with transaction.atomic():
        case.imaging_uploads.all().delete()
    return len(studies)


def imaging_requeue(*, now: datetime | None = None, limit: int = 200) -> int:
    """Queue again the readings and sends whose task was lost; return how many were queued.

    Both tasks are safe to run twice, so a requeue that races a slow task costs time, never
    a duplicate.
    """
    cutoff = (now or timezone.now()) - LOST_AFTER
    uploads = list(
        ImagingUpload.objects.filter(
            Q(state=ImagingUpload.State.RECEIVED, created_at__lt=cutoff)
            | Q(state=ImagingUpload.State.PROCESSING, processing_started_at__lt=cutoff)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    studies = list(
        ImagingStudy.objects.filter(send_state=Send.PENDING, match_state=Match.MATCHED)
        .filter(
            Q(send_attempted_at__lt=cutoff)
            | Q(send_attempted_at__isnull=True, created_at__lt=cutoff)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for upload_id in uploads:
        enqueue_on_commit(PROCESS_TASK, upload_id)
    for study_id in studies:
        enqueue_on_commit(SEND_TASK, study_id)
    return len(uploads) + len(studies)
