"""The Orthanc client and the sending service against a real Orthanc (Debian's package)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from requests.imaging.models import ImagingStudy
from requests.imaging.orthanc import OrthancClient, OrthancUnavailable
from requests.imaging.services import (
    imaging_send_to_orthanc,
    imaging_study_decide,
    imaging_upload_process,
    imaging_upload_receive,
)
from requests.imaging.tasks import imaging_send_task
from tests.dicom_files import write_disc, zip_folder
from tests.factories import make_request
from tests.infra import OrthancServer, free_port


def test_an_instance_is_stored_once_however_often_it_is_sent(orthanc: OrthancServer) -> None:
    """Orthanc keys instances by SOP Instance UID: the second post is AlreadyStored."""
    path = Path(get_testdata_file("CT_small.dcm"))
    with OrthancClient(orthanc.url) as client:
        assert client.healthy()
        first = client.store(path.read_bytes())
        with path.open("rb") as stream:
            second = client.store(stream, length=path.stat().st_size)
    assert not first.already_stored
    assert second.already_stored
    assert second.orthanc_id == first.orthanc_id
    assert len(orthanc.get("/instances")) == 1


def test_wrong_credentials_are_not_healthy(orthanc: OrthancServer) -> None:
    url = orthanc.url.replace("orthanc-test-secret", "wrong")
    with OrthancClient(url) as client:
        assert not client.healthy()
        with pytest.raises(OrthancUnavailable, match="401"):
            client.store(b"\x00")


def test_an_orthanc_that_is_down_is_unavailable() -> None:
    """Nothing listening: the error is OrthancUnavailable, which the task retries."""
    with OrthancClient(f"http://u:p@127.0.0.1:{free_port()}", timeout=2) as client:
        assert not client.healthy()
        with pytest.raises(OrthancUnavailable, match="did not answer"):
            client.store(b"\x00")


@pytest.mark.django_db
def test_a_matched_study_is_sent_and_a_held_one_only_once_accepted(
    tmp_path, orthanc: OrthancServer, settings, records_user
) -> None:
    """Only a matched study reaches Orthanc; sending twice stores nothing twice."""
    settings.ORTHANC_URL = orthanc.url
    case = make_request()
    mine = write_disc(tmp_path / "mine", series=(("CT", 6), ("MR", 4)))
    other = write_disc(tmp_path / "other", series=(("CT", 3),), patient_name="SMITH^JOHN")
    for disc in (mine, other):
        with zip_folder(disc.folder, tmp_path / f"{disc.folder.name}.zip").open("rb") as stream:
            upload = imaging_upload_receive(case=case, files=[("d.zip", stream)])
        imaging_upload_process(upload_id=upload.pk)
    matched = ImagingStudy.objects.get(study_uid=mine.study_uid)
    held = ImagingStudy.objects.get(study_uid=other.study_uid)
    assert matched.send_state == ImagingStudy.Send.PENDING
    assert held.send_state == ""
    assert imaging_send_to_orthanc(study_id=held.pk) == 0
    assert imaging_send_to_orthanc(study_id=matched.pk) == 10
    matched.refresh_from_db()
    assert matched.send_state == ImagingStudy.Send.SENT
    assert matched.orthanc_id
    assert all(s.orthanc_id for s in matched.series.all())
    stats = orthanc.get(f"/studies/{matched.orthanc_id}/statistics")
    assert (stats["CountSeries"], stats["CountInstances"]) == (2, 10)
    # Sent again (a retried task): nothing new, nothing duplicated.
    ImagingStudy.objects.filter(pk=matched.pk).update(send_state=ImagingStudy.Send.PENDING)
    assert imaging_send_to_orthanc(study_id=matched.pk) == 0
    assert len(orthanc.get("/instances")) == 10

    imaging_study_decide(study=held, accept=True, reason="Same patient, old name", by=records_user)
    assert imaging_send_to_orthanc(study_id=held.pk) == 3
    assert len(orthanc.get("/instances")) == 13


@pytest.mark.django_db
def test_while_orthanc_is_down_the_study_waits(tmp_path, orthanc: OrthancServer, settings) -> None:
    """A failed send leaves the study pending, its files in private storage, for the retry."""
    settings.ORTHANC_URL = orthanc.url
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 4),))
    with zip_folder(disc.folder, tmp_path / "d.zip").open("rb") as stream:
        upload = imaging_upload_receive(case=case, files=[("d.zip", stream)])
    imaging_upload_process(upload_id=upload.pk)
    study = ImagingStudy.objects.get(case=case)
    orthanc.stop()
    with pytest.raises(OrthancUnavailable):
        imaging_send_to_orthanc(study_id=study.pk)
    study.refresh_from_db()
    assert study.send_state == ImagingStudy.Send.PENDING
    orthanc.start()
    assert imaging_send_to_orthanc(study_id=study.pk) == 4


def test_the_viewer_and_dicomweb_plugins_are_loaded(orthanc: OrthancServer) -> None:
    """Debian's orthanc-webviewer and orthanc-dicomweb load with the test configuration."""
    plugins = orthanc.get("/plugins")
    if not plugins:
        pytest.skip("Debian's orthanc-webviewer and orthanc-dicomweb are not installed")
    assert {"web-viewer", "dicom-web"} <= set(plugins)


@pytest.mark.django_db
def test_the_send_task_in_process_leaves_the_study_waiting(tmp_path, settings) -> None:
    """Without a worker (no REDIS_URL) an outage does not fail the caller: the study waits."""
    settings.ORTHANC_URL = f"http://u:p@127.0.0.1:{free_port()}"
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),))
    with zip_folder(disc.folder, tmp_path / "d.zip").open("rb") as stream:
        upload = imaging_upload_receive(case=case, files=[("d.zip", stream)])
    imaging_upload_process(upload_id=upload.pk)
    study = ImagingStudy.objects.get(case=case)
    assert imaging_send_task.delay(study.pk).get() == 0
    study.refresh_from_db()
    assert study.send_state == ImagingStudy.Send.PENDING
