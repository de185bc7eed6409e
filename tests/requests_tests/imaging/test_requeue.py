"""imaging_requeue: readings and sends whose task was lost are queued again, others not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from requests.imaging.models import ImagingStudy, ImagingUpload
from requests.imaging.services import imaging_upload_process, imaging_upload_receive
from requests.imaging.upkeep import imaging_requeue
from tests.dicom_files import write_disc, zip_folder, zip_with
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def receive(case, path) -> ImagingUpload:
    with path.open("rb") as stream:
        return imaging_upload_receive(case=case, files=[("d.zip", stream)])


def test_a_reading_lost_with_its_worker_is_queued_again(
    tmp_path, django_capture_on_commit_callbacks
) -> None:
    """A disc still unread two hours on is queued again; a fresh one is left to its task."""
    case = make_request()
    upload = receive(case, zip_with(tmp_path / "d.zip", {"IM1": b"x"}))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert imaging_requeue() == 0
    assert callbacks == []
    with (
        time_machine.travel(timezone.now() + timedelta(hours=3)),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        assert imaging_requeue() == 1
    assert len(callbacks) == 1
    imaging_upload_process(upload_id=upload.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert imaging_requeue() == 0


def test_a_send_still_pending_hours_later_is_queued_again(tmp_path, settings) -> None:
    """A matched study waiting for Orthanc past every retry is queued again; a sent one not."""
    settings.ORTHANC_URL = "http://u:p@127.0.0.1:9"
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),))
    upload = receive(case, zip_folder(disc.folder, tmp_path / "d.zip"))
    imaging_upload_process(upload_id=upload.pk)
    study = ImagingStudy.objects.get(case=case)
    assert study.send_state == ImagingStudy.Send.PENDING
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert imaging_requeue() == 1
    ImagingStudy.objects.filter(pk=study.pk).update(send_state=ImagingStudy.Send.SENT)
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert imaging_requeue() == 0


def test_a_held_study_is_never_sent_by_the_requeue(tmp_path, settings) -> None:
    settings.ORTHANC_URL = "http://u:p@127.0.0.1:9"
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 1),), patient_name="SMITH^JOHN")
    imaging_upload_process(upload_id=receive(case, zip_folder(disc.folder, tmp_path / "d.zip")).pk)
    ImagingStudy.objects.filter(case=case).update(send_state=ImagingStudy.Send.PENDING)
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert imaging_requeue() == 0
