"""Reading a disc with pydicom: images grouped into studies and series, the rest listed."""

from __future__ import annotations

import shutil
import warnings
from datetime import date
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from requests.imaging.archive import ArchiveRefused, DiscArchive
from requests.imaging.dicom import DiscReading, parse_date, read_disc
from tests.dicom_files import instance_bytes, make_instance, write_disc, zip_folder, zip_with


def read_zip(path: Path) -> DiscReading:
    with path.open("rb") as stream, DiscArchive(stream) as archive:
        return read_disc(archive)


def test_the_disc_is_grouped_into_one_study_of_two_series(tmp_path: Path) -> None:
    """A synthetic disc (DICOMDIR, 270 images over a CT and an MR series) reads whole."""
    disc = write_disc(tmp_path / "disc")
    reading = read_zip(zip_folder(disc.folder, tmp_path / "disc.zip"))
    assert list(reading.studies) == [disc.study_uid]
    study = reading.studies[disc.study_uid]
    assert study.patient_name == "LOPEZ^MARIA"
    assert study.patient_birth_date == date(1961, 3, 28)
    assert study.patient_sex == "F"
    assert study.study_date == date(2026, 10, 15)
    assert study.description == "CT CHEST WITH CONTRAST"
    assert study.institution == "Mercy General Hospital"
    assert study.accession == "ACC12345"
    assert study.modalities == ["CT", "MR"]
    assert {uid: len(s.instances) for uid, s in study.series.items()} == disc.series
    assert sorted(uid for s in study.series.values() for _n, uid, _s in s.instances) == sorted(
        disc.sop_uids
    )
    ct = next(s for s in study.series.values() if s.modality == "CT")
    assert (ct.number, ct.body_part, ct.description) == (1, "CHEST", "CT series 1")
    assert ct.size == sum(size for _n, _u, size in ct.instances) > 0
    assert reading.dicom_count == 270
    assert reading.file_count == 270 + 3  # the DICOMDIR, autorun.inf, viewer.exe
    assert "The disc's index (DICOMDIR) lists 270 files." in reading.notes


def test_instances_come_in_instance_number_order(tmp_path: Path) -> None:
    """Files named in any order are listed by Instance Number (the preview's middle image)."""
    disc = write_disc(tmp_path / "disc", series=(("CT", 12),), extras=False)
    reading = read_zip(zip_folder(disc.folder, tmp_path / "disc.zip"))
    series = next(iter(reading.studies[disc.study_uid].series.values()))
    assert [uid for _n, uid, _s in series.ordered()] == disc.sop_uids


def test_a_viewer_autorun_and_corrupt_file_are_listed_and_skipped(tmp_path: Path) -> None:
    """What is not an image is skipped with the reason; the images are still read."""
    disc = write_disc(tmp_path / "disc", series=(("CT", 5),))
    good = instance_bytes(make_instance(study_uid="1.2.3", series_uid="1.2.3.4"))
    corrupt = good[:132] + b"\xff" * 40  # a DICM preamble, then garbage
    (disc.folder / "DICOM").mkdir()
    (disc.folder / "DICOM" / "IM999").write_bytes(corrupt)
    (disc.folder / "README.TXT").write_text("Insert the disc and run viewer.exe")
    reading = read_zip(zip_folder(disc.folder, tmp_path / "disc.zip"))
    skipped = dict(reading.skipped)
    assert skipped["viewer.exe"] == "not a DICOM file (part of a viewer program)"
    assert skipped["autorun.inf"] == "not a DICOM file (the disc's autorun file)"
    assert skipped["README.TXT"] == "not a DICOM file (a document or viewer file)"
    assert skipped["DICOM/IM999"].startswith("a damaged")
    assert reading.skipped_count == 4
    assert reading.dicom_count == 5
    assert list(reading.studies) == [disc.study_uid]


def test_the_dicomdir_missing_files_are_noted(tmp_path: Path) -> None:
    """Files the DICOMDIR lists but the upload lacks are counted for records staff."""
    disc = write_disc(tmp_path / "disc", series=(("CT", 6),), extras=False)
    images = sorted(disc.folder.rglob("IM*"))
    for path in images[:2]:
        path.unlink()
    reading = read_zip(zip_folder(disc.folder, tmp_path / "disc.zip"))
    assert reading.dicom_count == 4
    assert "2 files listed in the disc's index are not in the upload." in reading.notes


def test_the_files_pydicom_ships_are_read(tmp_path: Path) -> None:
    """Real-world files (pydicom's CT and MR samples, implicit and big endian) are read."""
    folder = tmp_path / "disc"
    folder.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm"):
        shutil.copyfile(get_testdata_file(name), folder / name)
    reading = read_zip(zip_folder(folder, tmp_path / "disc.zip"))
    modalities = sorted(m for study in reading.studies.values() for m in study.modalities)
    assert "CT" in modalities
    assert "MR" in modalities
    # The three MR files are one image in three encodings: the same SOP Instance UID.
    assert reading.dicom_count == 2
    assert dict(reading.skipped) == {
        "MR_small_bigendian.dcm": "a second copy of an image already read",
        "MR_small_implicit.dcm": "a second copy of an image already read",
    }


def test_a_bare_dataset_without_preamble_is_read(tmp_path: Path) -> None:
    """Old discs write datasets without the 128-byte preamble: still images."""
    dataset = make_instance(study_uid="1.2.3", series_uid="1.2.3.4")
    raw = tmp_path / "raw"
    del dataset.file_meta
    dataset.save_as(raw, implicit_vr=True, little_endian=True)
    assert raw.read_bytes()[128:132] != b"DICM"
    path = zip_with(tmp_path / "d.zip", {"DICOM/IM1": raw.read_bytes()})
    assert read_zip(path).dicom_count == 1


def test_a_renamed_archive_on_the_disc_refuses_it(tmp_path: Path) -> None:
    """An archive hidden under an image's name is found by its first bytes."""
    inner = zip_with(tmp_path / "inner.zip", {"IM1": b"x"}).read_bytes()
    path = zip_with(tmp_path / "d.zip", {"DICOM/IM1": inner})
    with pytest.raises(ArchiveRefused, match="another archive"):
        read_zip(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19610328", date(1961, 3, 28)),
        ("1961.03.28", date(1961, 3, 28)),
        ("", None),
        ("19610230", None),
        ("1961", None),
        (None, None),
    ],
)
def test_parse_date(value, expected) -> None:
    assert parse_date(value) == expected


def test_reading_a_damaged_disc_logs_no_file_names_or_values(tmp_path: Path, caplog) -> None:
    """pydicom's own warnings quote file names and values (PHI): none reach the log."""
    good = instance_bytes(make_instance(study_uid="1.2.3", series_uid="1.2.3.4"))
    path = zip_with(
        tmp_path / "d.zip",
        {"LOPEZ_MARIA/IM1": good[:132] + b"\xff" * 40, "LOPEZ_MARIA/IM2": good[:-10]},
    )
    caplog.set_level("DEBUG")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reading = read_zip(path)
    assert reading.skipped_count + reading.dicom_count == 2
    assert not caught
    assert "LOPEZ" not in caplog.text
    assert "MARIA" not in caplog.text
