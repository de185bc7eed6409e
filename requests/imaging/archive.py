"""Reading an uploaded disc safely: a .zip, or a folder's files kept one by one.

Nothing is ever extracted to a file system: members are streamed out of the zip one at a
time, and a folder's files are read where they were stored. Hostile archives are still
refused outright, with a sentence the uploader can act on, because a disc that holds them
was not made by a radiology department: names that climb out of the folder (`../`, absolute
paths, drive letters), links, archives inside the archive, password-protected members, and
zip bombs (by the total uncompressed size and by the compression ratio). The sizes a zip
declares are binding: `zipfile` never returns more bytes of a member than its header
announced (and checks its CRC), so the checks below, made on the central directory before
any byte is decompressed, cannot be talked round.
"""

from __future__ import annotations

import json
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.translation import gettext as _

# More files than any disc holds (a whole-body CT set is a few thousand): the cost of
# listing an archive of millions of empty members is refused before it is paid.
MAX_FILES = 100_000
# The compression ratio is judged on members at least this large, and on the whole
# archive past that size: a small text file of spaces compresses a hundredfold and is harmless.
RATIO_FLOOR = 1024 * 1024
MANIFEST = "manifest.json"
# File name endings and leading bytes of archives (zip, gzip, bzip2, xz, 7-Zip, RAR, tar).
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".iso", ".dmg")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf")
RAR_MAGIC = b"Rar!\x1a\x07"
TAR_MAGIC_OFFSET = 257
HEAD_SIZE = 264


class ArchiveRefused(ValueError):
    """The upload cannot be read safely; `message` says why, `code` names the problem."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Member:
    name: str
    size: int


def max_bytes() -> int:
    return settings.IMAGING_MAX_BYTES


def max_ratio() -> int:
    return settings.IMAGING_MAX_RATIO


def clean_member_name(raw: str) -> str:
    """Return a member's path as `a/b/c`, or refuse one that could leave its folder."""
    name = raw.replace("\\", "/")
    parts = name.split("/")
    if (
        not name
        or "\x00" in name
        or name.startswith("/")
        or (len(parts[0]) == 2 and parts[0][1] == ":")
        or ".." in parts
    ):
        raise ArchiveRefused(
            _(
                "The disc has a file whose name points outside its folder. Please copy the "
                "disc's files again and upload them."
            ),
            "traversal",
        )
    return str(PurePosixPath(*[part for part in parts if part not in ("", ".")]))


def looks_like_archive(name: str, head: bytes) -> bool:
    """Return whether a file is itself an archive, by its name or its first bytes."""
    if name.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    if head.startswith(ARCHIVE_MAGIC) or head.startswith(RAR_MAGIC):
        return True
    return head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar"


def nested_refused() -> ArchiveRefused:
    return ArchiveRefused(
        _(
            "The disc holds another archive inside it. Please unpack it and upload the "
            "disc's files (or one .zip of them)."
        ),
        "nested",
    )


def too_large_refused() -> ArchiveRefused:
    limit_gb = max_bytes() / 1024**3
    return ArchiveRefused(
        _("The disc is larger than %(limit)s GB once unpacked, more than we can receive.")
        % {"limit": f"{limit_gb:.3g}"},
        "too_large",
    )


def store_folder(
    files: Iterable[tuple[str, IO[bytes]]], storage: Storage, prefix: str
) -> tuple[int, int]:
    """Keep a folder's files (relative name, file) under `prefix` in `storage`, file by file.

    Returns (file count, total bytes). Each file keeps a random storage name; its name on
    the disc goes into the folder's manifest, written last. A file Django already spooled to
    disk is moved, not copied, where the storage is on the same file system. A browser's
    directory picker sends no links, but the names come from the client and are checked as
    a zip's would be.
    """
    limit = max_bytes()
    total = 0
    manifest: list[list[object]] = []
    try:
        for index, (raw_name, source) in enumerate(files):
            name = clean_member_name(raw_name)
            if index >= MAX_FILES:
                raise ArchiveRefused(_("The disc has more files than we can read."), "too_many")
            head = source.read(HEAD_SIZE)
            source.seek(0)
            if looks_like_archive(name, head):
                raise nested_refused()
            size = getattr(source, "size", None)
            if size is not None and total + size > limit:
                raise too_large_refused()
            stored = storage.save(f"{prefix}/{index:06d}", File(source))
            size = storage.size(stored) if size is None else size
            manifest.append([name, stored, size])
            total += size
            if total > limit:
                raise too_large_refused()
    except ArchiveRefused:
        for _name, stored, _size in manifest:
            storage.delete(stored)
        raise
    storage.save(f"{prefix}/{MANIFEST}", ContentFile(json.dumps(manifest).encode()))
    return len(manifest), total


class StoredFolder:
    """A folder kept file by file in private storage, read like a zip (see store_folder)."""

    def __init__(self, storage: Storage, prefix: str) -> None:
        self._storage = storage
        with storage.open(f"{prefix}/{MANIFEST}", "rb") as manifest:
            entries = json.load(manifest)
        self._stored = {name: stored for name, stored, _size in entries}
        self.members = [Member(name, size) for name, _stored, size in entries]

    def __enter__(self) -> StoredFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def open(self, name: str) -> IO[bytes]:
        return self._storage.open(self._stored[name], "rb")

    def stored_names(self) -> list[str]:
        """Return every storage name of the folder (its files), for retention."""
        return list(self._stored.values())


class DiscArchive:
    """A zip opened for reading, its members checked before any is read."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ArchiveRefused(
                _("The file is not a .zip we can open. Please upload the disc's folder instead."),
                "not_zip",
            ) from error
        self.members = self._check()
        self._infos = {clean_member_name(i.filename): i for i in self._zip.infolist()}

    def __enter__(self) -> DiscArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def _check(self) -> list[Member]:
        infos = self._zip.infolist()
        if len(infos) > MAX_FILES:
            raise ArchiveRefused(_("The disc has more files than we can read."), "too_many")
        members = []
        total = compressed = 0
        ratio = max_ratio()
        for info in infos:
            name = clean_member_name(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveRefused(
                    _(
                        "The .zip holds links to other files, which we do not follow. Please "
                        "upload the disc's files themselves."
                    ),
                    "link",
                )
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveRefused(
                    _("The .zip is password-protected. Please upload it without a password."),
                    "encrypted",
                )
            if looks_like_archive(name, b""):
                raise nested_refused()
            if info.file_size >= RATIO_FLOOR and info.file_size > ratio * max(
                info.compress_size, 1
            ):
                raise bomb_refused()
            total += info.file_size
            compressed += info.compress_size
            members.append(Member(name, info.file_size))
        if total > max_bytes():
            raise too_large_refused()
        if total >= RATIO_FLOOR and total > ratio * max(compressed, 1):
            raise bomb_refused()
        return members

    def open(self, name: str) -> IO[bytes]:
        """Return a stream of one member's bytes (decompressed as it is read)."""
        return self._zip.open(self._infos[name])

    def iter_members(self) -> Iterator[Member]:
        return iter(self.members)


def bomb_refused() -> ArchiveRefused:
    return ArchiveRefused(
        _(
            "The .zip unpacks to far more than its own size, which discs never do. Please "
            "upload the disc's folder instead."
        ),
        "bomb",
    )
