"""DICOM files for the imaging tests and bench: synthetic instances, discs and archives.

Everything is written with pydicom: instances of any size, a disc with a DICOMDIR (through
pydicom's FileSet, as a burning program writes one), and the hostile archives a portal must
refuse. The patient is the one of tests.factories.make_request unless a test says otherwise.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
SOP_CLASSES = {"CT": CT_STORAGE, "MR": MR_STORAGE}
PATIENT_NAME = "LOPEZ^MARIA"
PATIENT_BIRTH_DATE = "19610328"


def make_instance(
    *,
    study_uid: str,
    series_uid: str,
    sop_uid: str | None = None,
    modality: str = "CT",
    series_number: int = 1,
    instance_number: int = 1,
    size: int = 16,
    patient_name: str = PATIENT_NAME,
    birth_date: str = PATIENT_BIRTH_DATE,
    patient_id: str = "MRN0001",
    seed: int = 0,
) -> Dataset:
    """Return one 16-bit greyscale image instance, `size` pixels a side."""
    sop_uid = sop_uid or generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP_CLASSES.get(modality, CT_STORAGE)
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = birth_date
    ds.PatientSex = "F"
    ds.StudyDate = "20261015"
    ds.StudyTime = "101500"
    ds.StudyID = "1"
    ds.StudyDescription = "CT CHEST WITH CONTRAST"
    ds.AccessionNumber = "ACC12345"
    ds.InstitutionName = "Mercy General Hospital"
    ds.Modality = modality
    ds.BodyPartExamined = "CHEST"
    ds.SeriesNumber = series_number
    ds.SeriesDescription = f"{modality} series {series_number}"
    ds.InstanceNumber = instance_number
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    rng = np.random.default_rng(seed + instance_number)
    ramp = np.add.outer(np.arange(size), np.arange(size)) * (4000 // (2 * size))
    pixels = (ramp + rng.integers(0, 64, (size, size))).astype(np.uint16)
    ds.PixelData = pixels.tobytes()
    return ds


def write_instance(path: Path, dataset: Dataset) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(path, enforce_file_format=True)
    return path


@dataclass
class Disc:
    folder: Path
    study_uid: str
    series: dict[str, int] = field(default_factory=dict)
    sop_uids: list[str] = field(default_factory=list)

    @property
    def instance_count(self) -> int:
        return len(self.sop_uids)


def write_disc(
    folder: Path,
    *,
    series: tuple[tuple[str, int], ...] = (("CT", 150), ("MR", 120)),
    size: int = 16,
    patient_name: str = PATIENT_NAME,
    birth_date: str = PATIENT_BIRTH_DATE,
    dicomdir: bool = True,
    extras: bool = True,
) -> Disc:
    """Write a disc as a burning program does: a DICOMDIR, the images, a viewer, autorun.inf."""
    folder.mkdir(parents=True, exist_ok=True)
    disc = Disc(folder=folder, study_uid=generate_uid())
    datasets = []
    for number, (modality, count) in enumerate(series, start=1):
        series_uid = generate_uid()
        disc.series[series_uid] = count
        for index in range(1, count + 1):
            ds = make_instance(
                study_uid=disc.study_uid,
                series_uid=series_uid,
                modality=modality,
                series_number=number,
                instance_number=index,
                size=size,
                patient_name=patient_name,
                birth_date=birth_date,
            )
            disc.sop_uids.append(ds.SOPInstanceUID)
            datasets.append(ds)
    if dicomdir:
        fileset = FileSet()
        for ds in datasets:
            fileset.add(ds)
        fileset.write(folder)
    else:
        for index, ds in enumerate(datasets):
            write_instance(folder / "DICOM" / f"IM{index:06d}", ds)
    if extras:
        (folder / "autorun.inf").write_text("[autorun]\nopen=viewer.exe\n")
        (folder / "viewer.exe").write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 40)
    return disc


def folder_files(folder: Path) -> list[tuple[str, io.BufferedReader]]:
    """Return a folder's files as (path relative to its parent, open file), as a browser's
    directory picker sends them."""
    return [
        (str(path.relative_to(folder.parent)), path.open("rb"))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]


def zip_folder(folder: Path, target: Path, *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(target, "w", compression) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, str(path.relative_to(folder)))
    return target


def zip_with(
    target: Path, members: dict[str, bytes], *, links: dict[str, str] | None = None
) -> Path:
    """Write a zip of the given members, and symbolic links (name -> where it points)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, pointed in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, pointed)
    return target


def instance_bytes(dataset: Dataset) -> bytes:
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
