"""The imaging services: receive a disc, read it, match it, decide a held study."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image
from pydicom.data import get_testdata_file

from requests.choices import Status
from requests.imaging.models import ImagingSeries, ImagingStudy, ImagingUpload
from requests.imaging.services import (
    imaging_study_decide,
    imaging_upload_process,
    imaging_upload_receive,
)
from requests.imaging.tasks import imaging_upload_process_task
from requests.imaging.upkeep import imaging_case_purge
from requests.models import AuditEvent, RecordItem, SecondOpinionRequest, private_storage
from requests.services import retention_anonymise
from tests.dicom_files import folder_files, write_disc, zip_folder, zip_with
from tests.factories import make_request

pytestmark = pytest.mark.django_db

Match = ImagingStudy.Match


def receive_zip(case, path: Path, by=None) -> ImagingUpload:
    with path.open("rb") as stream:
        return imaging_upload_receive(case=case, files=[(path.name, stream)], by=by)


def receive_folder(case, folder: Path, by=None) -> ImagingUpload:
    files = folder_files(folder)
    try:
        return imaging_upload_receive(case=case, files=files, by=by)
    finally:
        for _name, stream in files:
            stream.close()


def process(upload: ImagingUpload) -> ImagingUpload:
    return imaging_upload_process(upload_id=upload.pk)


def test_a_matched_disc_is_indexed_and_its_record_item_received(tmp_path, records_user) -> None:
    """The patient's own disc: one study, two series, matched; the imaging item received."""
    case = make_request(needs_records_help=True)
    item = case.record_items.get(kind=RecordItem.Kind.IMAGING_DISC)
    assert item.status == RecordItem.State.NEEDED
    disc = write_disc(tmp_path / "disc")
    upload = process(receive_folder(case, disc.folder))
    assert upload.state == ImagingUpload.State.DONE
    assert upload.source == ImagingUpload.Source.FOLDER
    assert (upload.file_count, upload.dicom_count, upload.skipped_count) == (273, 270, 2)
    assert {entry["name"] for entry in upload.skipped} == {"disc/viewer.exe", "disc/autorun.inf"}
    study = ImagingStudy.objects.get(case=case)
    assert study.study_uid == disc.study_uid
    assert study.match_state == Match.MATCHED
    assert (study.series_count, study.instance_count) == (2, 270)
    assert study.modalities == ["CT", "MR"]
    assert study.send_state == ""  # no ORTHANC_URL: kept in private storage
    counts = dict(study.series.values_list("series_uid", "instance_count"))
    assert counts == disc.series
    sops = [sop for s in study.series.all() for _m, sop, _size in s.instances]
    assert sorted(sops) == sorted(disc.sop_uids)
    item.refresh_from_db()
    assert item.status == RecordItem.State.RECEIVED
    assert item.method == RecordItem.Method.PORTAL
    assert item.received_at is not None


def test_each_series_has_a_preview(tmp_path) -> None:
    """Without Orthanc the portal renders a PNG of each series' middle image."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 5), ("MR", 4)), size=64)
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    for series in ImagingSeries.objects.filter(study__case=case):
        assert series.preview_note == ""
        with private_storage.open(series.preview_storage_name) as png:
            image = Image.open(png)
            assert image.format == "PNG"
            assert image.size == (64, 64)


def test_a_compressed_series_explains_why_it_has_no_preview(tmp_path) -> None:
    """A transfer syntax pydicom cannot decode here gets a sentence instead of a preview."""
    case = make_request()
    folder = tmp_path / "disc"
    folder.mkdir()
    (folder / "IM1").write_bytes(
        Path(get_testdata_file("MR_small_jpeg_ls_lossless.dcm")).read_bytes()
    )
    process(receive_zip(case, zip_folder(folder, tmp_path / "disc.zip")))
    series = ImagingSeries.objects.get(study__case=case)
    assert series.preview_storage_name == ""
    assert "JPEG-LS" in series.preview_note
    assert "cannot show by itself" in series.preview_note


def test_a_case_without_an_imaging_item_gets_one_received(tmp_path) -> None:
    case = make_request()
    assert not case.record_items.exists()
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),))
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    item = case.record_items.get()
    assert (item.kind, item.status) == (RecordItem.Kind.IMAGING_DISC, RecordItem.State.RECEIVED)


def test_a_mismatched_patient_is_held_not_attached(tmp_path) -> None:
    """Someone else's disc is held for records staff; the imaging item stays needed."""
    case = make_request(needs_records_help=True)
    disc = write_disc(tmp_path / "disc", series=(("CT", 3),), patient_name="SMITH^JOHN")
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    study = ImagingStudy.objects.get(case=case)
    assert study.match_state == Match.HELD
    assert study.match_reasons == ["The patient name on the images differs from the case."]
    item = case.record_items.get(kind=RecordItem.Kind.IMAGING_DISC)
    assert item.status == RecordItem.State.NEEDED


def test_a_wrong_birth_date_is_held(tmp_path) -> None:
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),), birth_date="19610329")
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    study = ImagingStudy.objects.get(case=case)
    assert study.match_state == Match.HELD
    assert study.match_reasons == ["The birth date on the images differs from the case."]


def test_records_staff_accept_a_held_study_audited(tmp_path, records_user) -> None:
    """Accepting marks the study this patient's and the item received; the audit has no PHI."""
    case = make_request(needs_records_help=True)
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),), patient_name="LOPEZ^M")
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    study = ImagingStudy.objects.get(case=case)
    assert study.match_state == Match.HELD
    imaging_study_decide(
        study=study, accept=True, reason="Initial only; DOB matches", by=records_user
    )
    study.refresh_from_db()
    assert study.match_state == Match.MATCHED
    assert study.decided_by == records_user
    assert study.decision_reason == "Initial only; DOB matches"
    item = case.record_items.get(kind=RecordItem.Kind.IMAGING_DISC)
    assert item.status == RecordItem.State.RECEIVED
    event = AuditEvent.objects.get(object_type="requests.imagingstudy")
    assert event.actor == records_user
    assert event.detail == {"match_state": ["held", "matched"], "reason_given": True}


def test_records_staff_reject_a_held_study_with_a_reason(tmp_path, records_user) -> None:
    case = make_request(needs_records_help=True)
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),), patient_name="SMITH^JOHN")
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    study = ImagingStudy.objects.get(case=case)
    with pytest.raises(ValidationError, match="Say why") as error:
        imaging_study_decide(study=study, accept=False, reason="  ", by=records_user)
    assert error.value.code == "reason_required"
    imaging_study_decide(study=study, accept=False, reason="Another patient", by=records_user)
    study.refresh_from_db()
    assert study.match_state == Match.REJECTED
    assert case.record_items.get(kind=RecordItem.Kind.IMAGING_DISC).status == "needed"
    with pytest.raises(ValidationError, match="not waiting for a decision") as error:
        imaging_study_decide(study=study, accept=True, by=records_user)
    assert error.value.code == "not_held"


def test_a_matched_study_cannot_be_decided_again(tmp_path, records_user) -> None:
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 1),))
    process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    with pytest.raises(ValidationError, match="not waiting"):
        imaging_study_decide(
            study=ImagingStudy.objects.get(case=case), accept=False, reason="x", by=records_user
        )


@pytest.mark.parametrize(
    ("members", "links", "message"),
    [
        ({"../../evil": b"x"}, None, "points outside its folder"),
        ({"IM1": b"x"}, {"IM2": "/etc/passwd"}, "links to other files"),
        ({"IM1": b"x", "more.zip": b"x"}, None, "another archive inside it"),
        ({"IM1": bytes(30 * 1024 * 1024)}, None, "far more than its own size"),
    ],
)
def test_a_hostile_zip_is_refused_with_a_clear_reason(tmp_path, members, links, message) -> None:
    """Traversal, link, nested and bomb archives: refused, nothing indexed, reason kept."""
    case = make_request()
    upload = process(receive_zip(case, zip_with(tmp_path / "h.zip", members, links=links)))
    assert upload.state == ImagingUpload.State.REFUSED
    assert message in upload.reason
    assert upload.reason_code in {"traversal", "link", "nested", "bomb"}
    assert not ImagingStudy.objects.filter(case=case).exists()


def test_a_hostile_folder_is_refused_at_once(tmp_path) -> None:
    """A folder's names are checked as it is received: the uploader sees why at once."""
    case = make_request()
    with pytest.raises(ValidationError, match="another archive inside it") as error:
        imaging_upload_receive(
            case=case, files=[("d/IM1", io.BytesIO(b"x")), ("d/x.zip", io.BytesIO(b"x"))]
        )
    assert error.value.code == "nested"
    assert not ImagingUpload.objects.exists()


def test_a_disc_over_the_limit_is_refused_before_it_is_stored(settings) -> None:
    settings.IMAGING_MAX_BYTES = 10
    case = make_request()
    stream = io.BytesIO(bytes(11))
    stream.size = 11
    with pytest.raises(ValidationError, match="larger than") as error:
        imaging_upload_receive(case=case, files=[("disc.zip", stream)])
    assert error.value.code == "too_large"


def test_an_empty_disc_is_explained(tmp_path) -> None:
    """A disc without images (only the viewer) says where the images usually are."""
    case = make_request()
    upload = process(
        receive_zip(case, zip_with(tmp_path / "e.zip", {"viewer.exe": b"MZ", "autorun.inf": b""}))
    )
    assert upload.state == ImagingUpload.State.REFUSED
    assert "no medical images among the 2 files" in upload.reason
    assert "folder usually named DICOM" in upload.reason
    assert upload.reason_code == "no_images"
    assert upload.skipped_count == 2


def test_an_empty_zip_is_explained(tmp_path) -> None:
    case = make_request()
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    upload = process(receive_zip(case, path))
    assert upload.state == ImagingUpload.State.REFUSED
    assert upload.reason == "The upload is empty: it holds no files."


def test_reading_twice_changes_nothing(tmp_path) -> None:
    """The task is safe to run twice: a read upload is left as it is."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 3),))
    upload = process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    assert imaging_upload_process_task(upload.pk) == ImagingUpload.State.DONE
    assert ImagingSeries.objects.filter(study__case=case).count() == 1


def test_the_same_study_uploaded_again_adds_only_new_series(tmp_path) -> None:
    """A study is unique per case: a second disc with it adds its new series only."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 3),))
    zip_path = zip_folder(disc.folder, tmp_path / "disc.zip")
    process(receive_zip(case, zip_path))
    process(receive_zip(case, zip_path))
    study = ImagingStudy.objects.get(case=case)
    assert (study.series_count, study.instance_count) == (1, 3)
    assert ImagingUpload.objects.filter(case=case, state="done").count() == 2
    previews = list(Path(private_storage.location).rglob("*.png"))
    assert len(previews) == 1  # the known series was not rendered again


def test_a_staff_upload_is_audited_and_processing_queued_after_commit(
    tmp_path, records_user, django_capture_on_commit_callbacks
) -> None:
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 1),), extras=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip"), by=records_user)
    assert upload.state == ImagingUpload.State.RECEIVED
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPLOAD)
    assert (event.actor, event.object_id) == (records_user, str(upload.pk))
    assert set(event.detail) == {"size", "source"}


def test_the_stored_name_keeps_nothing_of_the_patients_file_names(tmp_path) -> None:
    case = make_request()
    path = tmp_path / "Maria Lopez CT.zip"
    zip_with(path, {"IM1": b"x"})
    upload = receive_zip(case, path)
    assert upload.storage_name.startswith("imaging/")
    assert "Lopez" not in upload.storage_name


def test_purge_removes_the_case_imaging_and_its_files(tmp_path) -> None:
    """Retention: the archive, the previews and the index rows go with the case's imaging."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 3),))
    upload = process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    preview = ImagingSeries.objects.get(study__case=case).preview_storage_name
    assert private_storage.exists(upload.storage_name)
    assert private_storage.exists(preview)
    assert imaging_case_purge(case=case) == 1
    assert not private_storage.exists(upload.storage_name)
    assert not private_storage.exists(preview)
    assert not ImagingStudy.objects.filter(case=case).exists()


def test_retention_takes_the_case_imaging_with_it(tmp_path, settings) -> None:
    """A withdrawn case anonymised at retention keeps no study, series or disc of its own."""
    case = make_request()
    disc = write_disc(tmp_path / "disc", series=(("CT", 2),))
    upload = process(receive_zip(case, zip_folder(disc.folder, tmp_path / "disc.zip")))
    closed = timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        status=Status.WITHDRAWN, closed_at=closed
    )

    assert retention_anonymise() == 1

    assert not ImagingUpload.objects.filter(case=case).exists()
    assert not ImagingStudy.objects.filter(case=case).exists()
    assert not private_storage.exists(upload.storage_name)
