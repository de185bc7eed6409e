"""A disc from upload to Orthanc through the real parts: a Celery worker on Redis, Orthanc."""

from __future__ import annotations

import re

import pytest

from requests.imaging.models import ImagingStudy, ImagingUpload
from requests.imaging.services import imaging_upload_receive
from requests.models import RecordItem
from tests.dicom_files import folder_files, write_disc
from tests.factories import make_request
from tests.infra import OrthancServer, WorkerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def upload_folder(case, folder) -> ImagingUpload:
    files = folder_files(folder)
    try:
        return imaging_upload_receive(case=case, files=files)
    finally:
        for _name, stream in files:
            stream.close()


def sent(study_uid: str) -> bool:
    return ImagingStudy.objects.filter(study_uid=study_uid, send_state="sent").exists()


def orthanc_sop_uids(orthanc: OrthancServer) -> list[str]:
    instances = orthanc.get("/instances?expand") or []
    return [instance["MainDicomTags"]["SOPInstanceUID"] for instance in instances]


def test_a_disc_is_listed_matched_and_stored_in_orthanc(
    tmp_path, imaging_worker: WorkerProcess, orthanc: OrthancServer
) -> None:
    """The patient's folder upload: read by the worker, matched, every instance in Orthanc once."""
    case = make_request(needs_records_help=True)
    disc = write_disc(tmp_path / "disc")
    upload = upload_folder(case, disc.folder)
    wait_until(
        lambda: sent(disc.study_uid), 120, what="The study reaching Orthanc", log=imaging_worker.log
    )
    upload.refresh_from_db()
    assert (upload.state, upload.dicom_count, upload.skipped_count) == ("done", 270, 2)
    study = ImagingStudy.objects.get(case=case)
    assert study.match_state == ImagingStudy.Match.MATCHED
    assert study.instance_count == 270
    stats = orthanc.get(f"/studies/{study.orthanc_id}/statistics")
    assert (stats["CountSeries"], stats["CountInstances"]) == (2, 270)
    assert sorted(orthanc_sop_uids(orthanc)) == sorted(disc.sop_uids)
    item = case.record_items.get(kind=RecordItem.Kind.IMAGING_DISC)
    assert item.status == RecordItem.State.RECEIVED
    assert all(s.preview_storage_name for s in study.series.all())


def test_orthanc_stopped_mid_ingest_then_started_gets_every_instance_once(
    tmp_path, imaging_worker: WorkerProcess, orthanc: OrthancServer
) -> None:
    """An outage halfway through: the task retries with backoff and nothing is duplicated."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 250), ("MR", 150)), size=128)
    upload_folder(case, disc.folder)

    def some_arrived() -> bool:
        stats = orthanc.get("/statistics") or {}
        return stats.get("CountInstances", 0) >= 20

    wait_until(
        some_arrived, 120, what="The first instances reaching Orthanc", log=imaging_worker.log
    )
    orthanc.kill()

    def retry_scheduled() -> bool:
        return bool(
            re.search(r"imaging_send_task\[[^\]]+\] retry:", imaging_worker.log.read_text())
        )

    wait_until(
        retry_scheduled, 60, what="The worker meeting the dead Orthanc", log=imaging_worker.log
    )
    assert not sent(disc.study_uid)
    orthanc.start()
    wait_until(
        lambda: sent(disc.study_uid), 120, what="The study reaching Orthanc", log=imaging_worker.log
    )
    uids = orthanc_sop_uids(orthanc)
    assert len(uids) == len(set(uids)) == 400
    assert set(uids) == set(disc.sop_uids)
    # The worker met the outage and retried (rather than the send finishing before it).
    assert re.search(r"imaging_send_task\[[^\]]+\] retry:", imaging_worker.log.read_text())
