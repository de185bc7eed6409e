"""Reading a disc's files with pydicom: which are images, and the studies and series they form.

Every file is tried, not only those a DICOMDIR lists: discs from some viewers carry a
DICOMDIR that is stale or absent. The DICOMDIR is read for what it promises, and a promise
the disc does not keep (files it lists that are missing) is noted for records staff. What is
not DICOM (the viewer program a disc carries, autorun.inf, a corrupt file) is listed with
the reason and left out. Only the headers are read here (`stop_before_pixels`), one file at
a time: memory stays flat whatever the size of the disc.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import IO

import pydicom
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError

from .archive import HEAD_SIZE, DiscArchive, StoredFolder, looks_like_archive, nested_refused

logger = logging.getLogger(__name__)

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
# Files without the DICM preamble are tried only when their name could be an image's
# (older discs write bare datasets named IM0001 or 1.2.3.4.dcm), and only up to this size.
BARE_SUFFIXES = ("", ".dcm", ".dicom", ".dic", ".ima", ".img")
BARE_MAX_BYTES = 64 * 1024 * 1024
# How many skipped files are listed by name (the count is always kept).
SKIPPED_LISTED = 500
# A value larger than this is not read into memory while the headers are read.
DEFER_SIZE = "256 KB"


@dataclass
class SeriesReading:
    series_uid: str
    number: int | None = None
    modality: str = ""
    body_part: str = ""
    description: str = ""
    # (member name, SOP Instance UID, size), in the order the instances are numbered.
    instances: list[tuple[str, str, int]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(size for _name, _uid, size in self.instances)

    def ordered(self) -> list[tuple[str, str, int]]:
        """Return the instances in Instance Number order (file order where unnumbered)."""
        order = sorted(range(len(self.instances)), key=lambda i: (self.numbers[i], i))
        return [self.instances[i] for i in order]


@dataclass
class StudyReading:
    study_uid: str
    patient_name: str = ""
    patient_birth_date: date | None = None
    patient_sex: str = ""
    study_date: date | None = None
    description: str = ""
    institution: str = ""
    accession: str = ""
    series: dict[str, SeriesReading] = field(default_factory=dict)

    @property
    def modalities(self) -> list[str]:
        return sorted({s.modality for s in self.series.values() if s.modality})

    @property
    def instance_count(self) -> int:
        return sum(len(s.instances) for s in self.series.values())

    @property
    def size(self) -> int:
        return sum(s.size for s in self.series.values())


@dataclass
class DiscReading:
    file_count: int = 0
    dicom_count: int = 0
    studies: dict[str, StudyReading] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    skipped_count: int = 0
    notes: list[str] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_LISTED:
            self.skipped.append((name, reason))


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's warnings and log while a disc is read: they quote file names and
    values, which may be PHI, and a damaged file is reported to staff, not to the log."""
    pydicom_logger = logging.getLogger("pydicom")
    disabled = pydicom_logger.disabled
    pydicom_logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        pydicom_logger.disabled = disabled


def read_disc(
    archive: DiscArchive | StoredFolder, progress: Callable[[int], None] | None = None
) -> DiscReading:
    """Read every file of the disc; group its images into studies and series."""
    with quiet_pydicom():
        return _read_disc(archive, progress)


def _read_disc(
    archive: DiscArchive | StoredFolder, progress: Callable[[int], None] | None
) -> DiscReading:
    reading = DiscReading()
    seen: set[str] = set()
    promised: list[str] = []
    names = {member.name.upper() for member in archive.members}
    for index, member in enumerate(archive.members):
        reading.file_count += 1
        if progress is not None and index % 100 == 0:
            progress(index)
        with archive.open(member.name) as stream:
            dataset, reason = _read_header(member.name, member.size, stream)
        if dataset is None:
            reading.skip(member.name, reason)
            continue
        if str(dataset.file_meta.get("MediaStorageSOPClassUID", "")) == DICOMDIR_SOP_CLASS or (
            "DirectoryRecordSequence" in dataset
        ):
            folder = PurePosixPath(member.name).parent
            promised += [_joined(folder, ref) for ref in _dicomdir_files(dataset)]
            continue
        uids = (
            str(dataset.get("StudyInstanceUID", "")).strip(),
            str(dataset.get("SeriesInstanceUID", "")).strip(),
            str(dataset.get("SOPInstanceUID", "")).strip(),
        )
        if not all(uids):
            reading.skip(member.name, _("a damaged DICOM file, or one that is not an image"))
            continue
        if uids[2] in seen:
            reading.skip(member.name, _("a second copy of an image already read"))
            continue
        seen.add(uids[2])
        reading.dicom_count += 1
        _add(reading, dataset, uids, member.name, member.size)
    if promised:
        missing = sum(1 for name in promised if name.upper() not in names)
        reading.notes.append(
            _("The disc's index (DICOMDIR) lists %(n)d files.") % {"n": len(promised)}
        )
        if missing:
            reading.notes.append(
                _("%(n)d files listed in the disc's index are not in the upload.") % {"n": missing}
            )
    return reading


def _read_header(name: str, size: int, stream: IO[bytes]) -> tuple[pydicom.Dataset | None, str]:
    head = stream.read(HEAD_SIZE)
    if head[128:132] != b"DICM":
        if looks_like_archive(name, head):
            raise nested_refused()
        suffix = PurePosixPath(name).suffix.lower()
        bare = suffix in BARE_SUFFIXES or suffix[1:].isdigit()
        if not bare or size > BARE_MAX_BYTES or size < 8:
            return None, _("not a DICOM file (%(kind)s)") % {"kind": _describe(name)}
    stream.seek(0)
    try:
        dataset = pydicom.dcmread(
            stream, stop_before_pixels=True, defer_size=DEFER_SIZE, force=head[128:132] != b"DICM"
        )
        # Reading the UIDs here makes a dataset whose elements are garbage fail now.
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            dataset.get(keyword)
    except (InvalidDicomError, Exception) as error:  # pydicom raises many kinds on garbage
        # The error's text may quote the file's content: only its kind is logged.
        logger.info("Skipped an unreadable file on a disc: %s", type(error).__name__)
        return None, _("a damaged or unreadable DICOM file")
    if not hasattr(dataset, "file_meta"):
        dataset.file_meta = pydicom.dataset.FileMetaDataset()
    if head[128:132] != b"DICM" and "SOPInstanceUID" not in dataset:
        return None, _("not a DICOM file (%(kind)s)") % {"kind": _describe(name)}
    return dataset, ""


def _describe(name: str) -> str:
    lower = PurePosixPath(name).name.lower()
    suffix = PurePosixPath(lower).suffix
    if lower == "autorun.inf":
        return _("the disc's autorun file")
    if suffix in (".exe", ".dll", ".msi", ".app", ".dylib", ".so", ".jar", ".bat", ".cmd"):
        return _("part of a viewer program")
    if suffix in (".htm", ".html", ".txt", ".pdf", ".xml", ".ini", ".css", ".js", ".ico"):
        return _("a document or viewer file")
    return _("another kind of file")


def _dicomdir_files(dataset: pydicom.Dataset) -> list[str]:
    files = []
    for record in dataset.get("DirectoryRecordSequence", []):
        ref = record.get("ReferencedFileID")
        if ref is None:
            continue
        parts = [str(ref)] if isinstance(ref, str) else [str(part) for part in ref]
        files.append("/".join(part.replace("\\", "/") for part in parts))
    return files


def _joined(folder: PurePosixPath, ref: str) -> str:
    return str(folder / ref) if str(folder) != "." else ref


def _text(dataset: pydicom.Dataset, keyword: str, limit: int = 200) -> str:
    value = dataset.get(keyword)
    if value is None:
        return ""
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        value = "\\".join(str(v) for v in value)
    return str(value).strip()[:limit]


def parse_date(value: object) -> date | None:
    """Return a DICOM DA value (YYYYMMDD) as a date, or None when it is not one."""
    text = str(value or "").strip().replace(".", "").replace("-", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _number(dataset: pydicom.Dataset, keyword: str) -> int | None:
    try:
        value = dataset.get(keyword)
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _add(
    reading: DiscReading, dataset: pydicom.Dataset, uids: tuple[str, str, str], name: str, size: int
) -> None:
    study_uid, series_uid, sop_uid = uids
    study = reading.studies.get(study_uid)
    if study is None:
        study = reading.studies[study_uid] = StudyReading(
            study_uid=study_uid,
            patient_name=_text(dataset, "PatientName"),
            patient_birth_date=parse_date(dataset.get("PatientBirthDate")),
            patient_sex=_text(dataset, "PatientSex", 16),
            study_date=parse_date(dataset.get("StudyDate")),
            description=_text(dataset, "StudyDescription"),
            institution=_text(dataset, "InstitutionName"),
            accession=_text(dataset, "AccessionNumber", 64),
        )
    series = study.series.get(series_uid)
    if series is None:
        series = study.series[series_uid] = SeriesReading(
            series_uid=series_uid,
            number=_number(dataset, "SeriesNumber"),
            modality=_text(dataset, "Modality", 16),
            body_part=_text(dataset, "BodyPartExamined", 64),
            description=_text(dataset, "SeriesDescription"),
        )
    series.instances.append((name, sop_uid, size))
    number = _number(dataset, "InstanceNumber")
    series.numbers.append(number if number is not None else 1_000_000_000)
