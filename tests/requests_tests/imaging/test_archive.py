"""Safe reading of an uploaded disc: hostile archives are refused with a plain reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from requests.imaging.archive import (
    ArchiveRefused,
    DiscArchive,
    StoredFolder,
    clean_member_name,
    looks_like_archive,
    store_folder,
)
from tests.dicom_files import write_disc, zip_folder, zip_with


def open_zip(path: Path) -> DiscArchive:
    return DiscArchive(path.open("rb"))


def test_a_disc_zip_lists_its_files(tmp_path: Path) -> None:
    """A well-made disc opens and lists every file with its size, directories left out."""
    disc = write_disc(tmp_path / "disc", series=(("CT", 3),))
    with open_zip(zip_folder(disc.folder, tmp_path / "disc.zip")) as archive:
        names = {member.name for member in archive.members}
        assert "DICOMDIR" in names
        assert {"autorun.inf", "viewer.exe"} <= names
        assert len(names) == 3 + 3
        first = next(m for m in archive.members if m.name.startswith("PT"))
        with archive.open(first.name) as stream:
            assert len(stream.read()) == first.size


@pytest.mark.parametrize(
    "name", ["../evil.dcm", "DICOM/../../etc/passwd", "/etc/passwd", "C:/Windows/x", "a\\..\\b"]
)
def test_a_name_that_leaves_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    """Path traversal in any spelling (relative, absolute, drive, backslashes) is refused."""
    path = zip_with(tmp_path / "t.zip", {"IM1": b"x", name: b"x"})
    with pytest.raises(ArchiveRefused, match="points outside its folder") as refused:
        open_zip(path)
    assert refused.value.code == "traversal"


def test_a_link_is_refused(tmp_path: Path) -> None:
    """A symbolic link stored in the zip is refused, whatever it points to."""
    path = zip_with(tmp_path / "l.zip", {"IM1": b"x"}, links={"IM2": "/etc/shadow"})
    with pytest.raises(ArchiveRefused, match="links to other files") as refused:
        open_zip(path)
    assert refused.value.code == "link"


@pytest.mark.parametrize("name", ["inner.zip", "scans.tar.gz", "images.7z", "DISC.ISO"])
def test_an_archive_inside_the_archive_is_refused(tmp_path: Path, name: str) -> None:
    """A nested archive (by its name) is refused before anything is read."""
    path = zip_with(tmp_path / "n.zip", {"IM1": b"x", name: b"whatever"})
    with pytest.raises(ArchiveRefused, match="another archive inside") as refused:
        open_zip(path)
    assert refused.value.code == "nested"


@pytest.mark.parametrize(
    "head", [b"PK\x03\x04rest", b"\x1f\x8b\x08\x00", b"Rar!\x1a\x07\x00", b"7z\xbc\xaf\x27\x1c"]
)
def test_an_archive_is_recognised_by_its_first_bytes(head: bytes) -> None:
    """A renamed archive is still one: its leading bytes give it away."""
    assert looks_like_archive("IM000001", head)
    assert not looks_like_archive("IM000001", b"\x00" * 128 + b"DICM")


def test_a_tar_is_recognised_by_its_header() -> None:
    assert looks_like_archive("IM1", b"\x00" * 257 + b"ustar\x0000")


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path, settings) -> None:
    """A member that unpacks to far more than its compressed size is refused unread."""
    settings.IMAGING_MAX_RATIO = 100
    path = zip_with(tmp_path / "b.zip", {"IM1": bytes(50 * 1024 * 1024)})
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ArchiveRefused, match="far more than its own size") as refused:
        open_zip(path)
    assert refused.value.code == "bomb"


def test_many_small_members_are_judged_together(tmp_path: Path, settings) -> None:
    """Members each under the floor still add up to a bomb, judged on the whole archive."""
    settings.IMAGING_MAX_RATIO = 100
    members = {f"IM{i}": bytes(512 * 1024) for i in range(20)}
    with pytest.raises(ArchiveRefused, match="far more than its own size"):
        open_zip(zip_with(tmp_path / "b.zip", members))


def test_a_disc_larger_than_the_limit_is_refused(tmp_path: Path, settings) -> None:
    """The total unpacked size is checked against IMAGING_MAX_BYTES before reading."""
    settings.IMAGING_MAX_BYTES = 1000
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("IM1", bytes(600))
        archive.writestr("IM2", bytes(600))
    with pytest.raises(ArchiveRefused, match="larger than") as refused:
        open_zip(path)
    assert refused.value.code == "too_large"


def test_a_password_protected_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("IM1", b"secret")
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag in both the local and the central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match="password-protected"):
        open_zip(path)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(ArchiveRefused, match=r"not a \.zip we can open"):
        open_zip(path)


def test_a_folder_is_kept_file_by_file_with_its_relative_names(tmp_path: Path) -> None:
    """A folder's files are stored under random names and read back by their disc names."""
    storage = FileSystemStorage(location=tmp_path)
    count, total = store_folder(
        [("DISC/DICOM/IM1", io.BytesIO(b"a" * 10)), ("DISC/autorun.inf", io.BytesIO(b"b"))],
        storage,
        "imaging/abc",
    )
    assert (count, total) == (2, 11)
    assert sorted(p.name for p in (tmp_path / "imaging" / "abc").iterdir()) == [
        "000000",
        "000001",
        "manifest.json",
    ]
    with StoredFolder(storage, "imaging/abc") as folder:
        assert [(m.name, m.size) for m in folder.members] == [
            ("DISC/DICOM/IM1", 10),
            ("DISC/autorun.inf", 1),
        ]
        with folder.open("DISC/DICOM/IM1") as stream:
            assert stream.read() == b"a" * 10


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([("../IM1", b"x")], "traversal"),
        ([("DISC/inner.zip", b"x")], "nested"),
        ([("DISC/IM1", b"PK\x03\x04" + bytes(300))], "nested"),
        ([("DISC/IM1", bytes(700)), ("DISC/IM2", bytes(700))], "too_large"),
    ],
)
def test_a_hostile_folder_is_refused_while_stored(tmp_path: Path, settings, files, code) -> None:
    """Names sent by the browser are checked like a zip's, and so are contents and size;
    what was stored before the refusal is removed."""
    settings.IMAGING_MAX_BYTES = 1000
    storage = FileSystemStorage(location=tmp_path)
    with pytest.raises(ArchiveRefused) as refused:
        store_folder([(name, io.BytesIO(data)) for name, data in files], storage, "imaging/x")
    assert refused.value.code == code
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_clean_names_drop_dots_and_empty_parts() -> None:
    assert clean_member_name("./DISC//DICOM/./IM1") == "DISC/DICOM/IM1"
    assert clean_member_name("DISC\\DICOM\\IM1") == "DISC/DICOM/IM1"
