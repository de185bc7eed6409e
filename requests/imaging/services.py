"""Imaging writes: receive a disc, read it, decide a held study, send a study to Orthanc.

The order of work keeps every disc safe: the upload is in private storage before anything
is read, reading happens in a task, and only a study whose patient matches the case (or
that records staff accepted) is sent to Orthanc. Sending is idempotent (Orthanc keys
instances by SOP Instance UID), so a task that dies or retries halfway sends again from
the start without duplicating anything.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import IO

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests.audit import audit_record
from requests.jobs import enqueue_on_commit
from requests.models import AuditEvent, RecordItem, SecondOpinionRequest, private_storage

from .archive import (
    ArchiveRefused,
    DiscArchive,
    StoredFolder,
    max_bytes,
    store_folder,
    too_large_refused,
)
from .dicom import DiscReading, StudyReading, read_disc
from .matching import study_matches
from .models import ImagingSeries, ImagingStudy, ImagingUpload
from .orthanc import OrthancClient
from .previews import PreviewUnavailable, render_preview

logger = logging.getLogger(__name__)

Match = ImagingStudy.Match
Send = ImagingStudy.Send
ZIP_MAGIC = b"PK\x03\x04"
PROGRESS_SECONDS = 6 * 3600
PROGRESS_EVERY = 50
PROCESS_TASK = "requests.imaging.tasks.imaging_upload_process_task"
SEND_TASK = "requests.imaging.tasks.imaging_send_task"


def progress_key(upload_id: int) -> str:
    """Return the cache key under which a disc's reading progress is kept (files read)."""
    return f"imaging:progress:{upload_id}"


def send_progress_key(study_id: int) -> str:
    """Return the cache key under which a study's sending progress is kept (instances sent)."""
    return f"imaging:send:{study_id}"


@transaction.atomic
def imaging_upload_receive(
    *,
    case: SecondOpinionRequest,
    files: Sequence[tuple[str, IO[bytes]]],
    by: AbstractBaseUser | None = None,
) -> ImagingUpload:
    """Keep an uploaded disc in private storage and queue its reading.

    `files` is one `.zip`, or the files of a folder with their paths relative to it (the
    browser's directory picker), kept file by file under one random folder name. Files are
    streamed (or moved, when Django spooled them to disk), never held whole in memory.
    `by` is the staff member who uploaded it, None for the patient.
    """
    if not files:
        raise ValidationError(_("Choose the disc's folder or a .zip of it."), code="empty")
    sizes = [getattr(source, "size", None) for _name, source in files]
    if all(size is not None for size in sizes) and sum(sizes) > max_bytes():
        raise ValidationError(too_large_refused().message, code="too_large")
    name = f"imaging/{uuid.uuid4().hex}"
    first_name, first = files[0]
    head = first.read(4)
    first.seek(0)
    try:
        if len(files) == 1 and (head == ZIP_MAGIC or first_name.lower().endswith(".zip")):
            source = ImagingUpload.Source.ZIP
            stored = private_storage.save(f"{name}.zip", File(first))
            size = private_storage.size(stored)
        else:
            source = ImagingUpload.Source.FOLDER
            _count, size = store_folder(files, private_storage, name)
            stored = name
    except ArchiveRefused as refused:
        raise ValidationError(refused.message, code=refused.code) from refused
    upload = ImagingUpload.objects.create(
        case=case, uploaded_by=by, source=source, storage_name=stored, size=size
    )
    if by is not None:
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPLOAD,
            case=case,
            obj=upload,
            detail={"size": size, "source": source},
        )
    enqueue_on_commit(PROCESS_TASK, upload.pk)
    return upload


@contextmanager
def open_disc(upload: ImagingUpload) -> Iterator[DiscArchive | StoredFolder]:
    """Open an upload's files for reading, whether it came as a .zip or as a folder."""
    if upload.source == ImagingUpload.Source.ZIP:
        with (
            private_storage.open(upload.storage_name, "rb") as stored,
            DiscArchive(stored) as archive,
        ):
            yield archive
    else:
        with StoredFolder(private_storage, upload.storage_name) as folder:
            yield folder


def imaging_upload_process(*, upload_id: int, now: datetime | None = None) -> ImagingUpload:
    """Read a received disc: refuse it, or index its studies and match them to the case.

    Safe to run twice: a study is unique per case and a series per study, and the index is
    written in one transaction at the end; an upload already read is left as it is.
    """
    now = now or timezone.now()
    claimed = ImagingUpload.objects.filter(
        pk=upload_id, state__in=[ImagingUpload.State.RECEIVED, ImagingUpload.State.PROCESSING]
    ).update(state=ImagingUpload.State.PROCESSING, processing_started_at=now)
    upload = ImagingUpload.objects.select_related("case").get(pk=upload_id)
    if not claimed:
        return upload
    key = progress_key(upload.pk)
    try:
        with open_disc(upload) as archive:
            reading = read_disc(
                archive, progress=lambda n: cache.set(key, n, timeout=PROGRESS_SECONDS)
            )
            known = set(
                ImagingSeries.objects.filter(study__case_id=upload.case_id).values_list(
                    "study__study_uid", "series_uid"
                )
            )
            previews = _render_previews(upload, archive, reading, known)
    except ArchiveRefused as refused:
        return _upload_refuse(upload=upload, reason=refused.message, code=refused.code, now=now)
    cache.set(key, reading.file_count, timeout=PROGRESS_SECONDS)
    return _upload_record(upload=upload, reading=reading, previews=previews, now=now)


@transaction.atomic
def _upload_refuse(
    *, upload: ImagingUpload, reason: str, code: str, now: datetime
) -> ImagingUpload:
    upload.state = ImagingUpload.State.REFUSED
    upload.reason = reason
    upload.reason_code = code
    upload.processed_at = now
    upload.save(update_fields=["state", "reason", "reason_code", "processed_at"])
    return upload


@transaction.atomic
def _upload_record(
    *,
    upload: ImagingUpload,
    reading: DiscReading,
    previews: dict[str, tuple[str, str]],
    now: datetime,
) -> ImagingUpload:
    # One reader of a case's discs at a time: two uploads of the same study at once would
    # otherwise both find it new and the second would fail on the unique constraint.
    case = SecondOpinionRequest.objects.select_for_update().get(pk=upload.case_id)
    upload.file_count = reading.file_count
    upload.dicom_count = reading.dicom_count
    upload.skipped_count = reading.skipped_count
    upload.skipped = [{"name": name, "reason": reason} for name, reason in reading.skipped]
    upload.notes = reading.notes
    upload.processed_at = now
    if not reading.studies:
        upload.state = ImagingUpload.State.REFUSED
        upload.reason = (
            _(
                "We found no medical images among the %(n)d files. Discs keep them in a folder "
                "usually named DICOM: please check that it was included, or ask for the disc "
                "to be sent to us."
            )
            % {"n": reading.file_count}
            if reading.file_count
            else _("The upload is empty: it holds no files.")
        )
        upload.reason_code = "no_images" if reading.file_count else "empty"
    else:
        upload.state = ImagingUpload.State.DONE
        upload.reason = upload.reason_code = ""
    upload.save()
    for study_reading in reading.studies.values():
        _study_record(case=case, upload=upload, reading=study_reading, previews=previews, now=now)
    return upload


def _study_record(
    *,
    case: SecondOpinionRequest,
    upload: ImagingUpload,
    reading: StudyReading,
    previews: dict[str, tuple[str, str]],
    now: datetime,
) -> ImagingStudy:
    study = ImagingStudy.objects.filter(case=case, study_uid=reading.study_uid).first()
    if study is None:
        match = study_matches(
            patient_name=reading.patient_name,
            patient_birth_date=reading.patient_birth_date,
            first_name=case.first_name,
            last_name=case.last_name,
            date_of_birth=case.date_of_birth,
        )
        study = ImagingStudy.objects.create(
            case=case,
            upload=upload,
            study_uid=reading.study_uid,
            patient_name=reading.patient_name,
            patient_birth_date=reading.patient_birth_date,
            patient_sex=reading.patient_sex,
            study_date=reading.study_date,
            description=reading.description,
            institution=reading.institution,
            accession=reading.accession,
            match_state=Match.MATCHED if match.matched else Match.HELD,
            match_reasons=list(match.reasons),
            created_at=now,
        )
        if study.match_state == Match.MATCHED:
            _imaging_item_receive(case=case, by=upload.uploaded_by, now=now)
    known = set(study.series.values_list("series_uid", flat=True))
    added = [
        ImagingSeries(
            study=study,
            upload=upload,
            series_uid=series.series_uid,
            number=series.number,
            modality=series.modality,
            body_part=series.body_part,
            description=series.description,
            instance_count=len(series.instances),
            size=series.size,
            instances=[list(instance) for instance in series.ordered()],
            preview_storage_name=previews.get(series.series_uid, ("", ""))[0],
            preview_note=previews.get(series.series_uid, ("", ""))[1],
        )
        for uid, series in reading.series.items()
        if uid not in known
    ]
    ImagingSeries.objects.bulk_create(added)
    if added:
        _study_totals(study)
        if study.match_state == Match.MATCHED:
            _queue_send(study)
    return study


def _study_totals(study: ImagingStudy) -> None:
    series = list(study.series.all())
    study.series_count = len(series)
    study.instance_count = sum(s.instance_count for s in series)
    study.size = sum(s.size for s in series)
    study.modalities = sorted({s.modality for s in series if s.modality})
    study.save(update_fields=["series_count", "instance_count", "size", "modalities"])


def _queue_send(study: ImagingStudy) -> None:
    """Queue the sending of a matched study to Orthanc, when the portal has one."""
    if OrthancClient.from_settings() is None:
        return
    study.send_state = Send.PENDING
    study.save(update_fields=["send_state"])
    enqueue_on_commit(SEND_TASK, study.pk)


def _imaging_item_receive(
    *, case: SecondOpinionRequest, by: AbstractBaseUser | None, now: datetime
) -> None:
    """Mark the case's imaging-disc record item received, adding it if the case has none."""
    from requests.services.records import RECORD_FIELDS, UNKNOWN_FACILITY, record_item_save

    items = case.record_items.select_for_update().filter(kind=RecordItem.Kind.IMAGING_DISC)
    item = items.filter(status__in=[RecordItem.State.NEEDED, RecordItem.State.REQUESTED]).first()
    if item is None and items.exists():
        return  # already received (or settled otherwise by staff): theirs to change
    if item is None:
        item = RecordItem(
            case=case,
            kind=RecordItem.Kind.IMAGING_DISC,
            facility=case.current_facility or UNKNOWN_FACILITY,
            status=RecordItem.State.RECEIVED,
            method=RecordItem.Method.PORTAL,
        )
        record_item_save(item=item, by=by, before=None, now=now)
        return
    before = {name: getattr(item, name) for name in RECORD_FIELDS}
    item.status = RecordItem.State.RECEIVED
    item.method = item.method or RecordItem.Method.PORTAL
    record_item_save(item=item, by=by, before=before, now=now)


def _render_previews(
    upload: ImagingUpload,
    archive: DiscArchive | StoredFolder,
    reading: DiscReading,
    known: set[tuple[str, str]],
) -> dict[str, tuple[str, str]]:
    """Render each new series' middle image to PNG in private storage.

    Returns {series UID: (storage name, note)}; series the case already has (`known`, as
    (study UID, series UID)) keep the preview they have.
    """
    previews = {}
    folder = upload.storage_name.removesuffix(".zip")
    for study in reading.studies.values():
        for index, series in enumerate(study.series.values()):
            if (study.study_uid, series.series_uid) in known:
                continue
            ordered = series.ordered()
            member = ordered[len(ordered) // 2][0]
            try:
                with archive.open(member) as stream:
                    png = render_preview(stream)
            except PreviewUnavailable as why:
                previews[series.series_uid] = ("", str(why)[:200])
                continue
            name = private_storage.save(
                f"{folder}/preview-{index}-{uuid.uuid4().hex[:8]}.png", File(io.BytesIO(png))
            )
            previews[series.series_uid] = (name, "")
    return previews


@transaction.atomic
def imaging_study_decide(
    *,
    study: ImagingStudy,
    accept: bool,
    reason: str = "",
    by: AbstractBaseUser,
    now: datetime | None = None,
) -> ImagingStudy:
    """Record a records-staff decision on a held study: this patient's, or rejected.

    A rejection needs a reason; an acceptance marks the imaging record received and sends
    the study to Orthanc. Audited without the reason's text (it may name the patient).
    """
    now = now or timezone.now()
    study = ImagingStudy.objects.select_for_update().select_related("case").get(pk=study.pk)
    if study.match_state != Match.HELD:
        raise ValidationError(_("This study is not waiting for a decision."), code="not_held")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError(_("Say why the study is rejected."), code="reason_required")
    before = study.match_state
    study.match_state = Match.MATCHED if accept else Match.REJECTED
    study.decided_by = by
    study.decided_at = now
    study.decision_reason = reason[:2000]
    study.save(update_fields=["match_state", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=study.case,
        obj=study,
        detail={"match_state": [before, study.match_state], "reason_given": bool(reason)},
    )
    if accept:
        _imaging_item_receive(case=study.case, by=by, now=now)
        _queue_send(study)
    return study


def imaging_send_to_orthanc(*, study_id: int, now: datetime | None = None) -> int:
    """Send a matched study's instances to Orthanc; return how many were new to it.

    Raises OrthancUnavailable while Orthanc is down (the task retries). Nothing here is
    lost on failure: the instances stay in the upload's archive in private storage.
    """
    study = ImagingStudy.objects.get(pk=study_id)
    if study.match_state != Match.MATCHED or study.send_state != Send.PENDING:
        return 0
    client = OrthancClient.from_settings()
    if client is None:
        return 0
    ImagingStudy.objects.filter(pk=study.pk).update(send_attempted_at=timezone.now())
    key = send_progress_key(study.pk)
    new = done = 0
    study_orthanc_id = ""
    series_ids: dict[int, str] = {}
    series_list = list(study.series.select_related("upload").order_by("upload_id", "pk"))
    with client:
        for upload_id in sorted({s.upload_id for s in series_list}):
            upload = next(s.upload for s in series_list if s.upload_id == upload_id)
            with open_disc(upload) as archive:
                for series in (s for s in series_list if s.upload_id == upload_id):
                    for member, _sop_uid, size in series.instances:
                        with archive.open(member) as stream:
                            stored_instance = client.store(stream, length=size)
                        new += not stored_instance.already_stored
                        done += 1
                        if done % PROGRESS_EVERY == 0:
                            cache.set(key, done, timeout=PROGRESS_SECONDS)
                        study_orthanc_id = stored_instance.study_id
                        series_ids[series.pk] = stored_instance.series_id
    cache.set(key, done, timeout=PROGRESS_SECONDS)
    _study_sent(study_id=study.pk, orthanc_id=study_orthanc_id, series_ids=series_ids, now=now)
    return new


@transaction.atomic
def _study_sent(
    *, study_id: int, orthanc_id: str, series_ids: dict[int, str], now: datetime | None
) -> None:
    for series_pk, series_orthanc_id in series_ids.items():
        ImagingSeries.objects.filter(pk=series_pk).update(orthanc_id=series_orthanc_id)
    study = ImagingStudy.objects.select_for_update().get(pk=study_id)
    study.orthanc_id = orthanc_id
    # A series added by another disc while this one was sending is not in Orthanc yet: the
    # study stays pending for the task that disc queued.
    if not study.series.filter(orthanc_id="").exists():
        study.send_state = Send.SENT
        study.sent_at = now or timezone.now()
    study.save(update_fields=["orthanc_id", "send_state", "sent_at"])
