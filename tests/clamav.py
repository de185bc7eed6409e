"""A real clamd for tests: Debian's clamav-daemon, run in the foreground with a local
signature that matches the EICAR test string (no signature download is possible, nor needed)."""

from __future__ import annotations

import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.files import EICAR
from tests.infra import wait_until

CLAMD = Path("/usr/sbin/clamd")
# A local signature (clamd's .ndb format, name:target:offset:hex): the EICAR string anywhere
# in a file of any type. No signature download is possible, nor needed, in the tests.
EICAR_SIGNATURE = f"Portal.Test.EICAR:0:*:{EICAR.hex()}\n"


def clamd_config(folder: Path, socket_path: Path) -> Path:
    """Write a clamd.conf for a daemon of our own: our socket, our signature, foreground."""
    database = folder / "signatures"
    database.mkdir(exist_ok=True)
    (database / "portal-test.ndb").write_text(EICAR_SIGNATURE)
    config = folder / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"LocalSocket {socket_path}",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {folder}",
                f"PidFile {folder / 'clamd.pid'}",
                "Foreground yes",
                "StreamMaxLength 64M",
                "SelfCheck 0",
                "",
            ]
        )
    )
    return config


def ping(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(2)
            conn.connect(str(socket_path))
            conn.sendall(b"zPING\0")
            return conn.recv(16) == b"PONG\0"
    except OSError:
        return False


@contextmanager
def running_clamd(socket_path: Path) -> Iterator[str]:
    """Run /usr/sbin/clamd in the foreground on `socket_path`; yield the socket's path."""
    if not CLAMD.exists():
        pytest.skip("/usr/sbin/clamd is missing: install Debian's clamav-daemon")
    folder = socket_path.parent
    log = (folder / "clamd.log").open("wb")
    process = subprocess.Popen(
        [str(CLAMD), "--config-file", str(clamd_config(folder, socket_path))],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        answered = wait_until(lambda: process.poll() is not None or ping(socket_path), 60)
        if not answered or process.poll() is not None:
            raise RuntimeError("clamd did not start:\n" + (folder / "clamd.log").read_text())
        yield str(socket_path)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def clamd_running() -> Iterator[str]:
    """Run clamd in a fresh folder short enough for a socket path (107 bytes at most); yield
    the socket's path."""
    with (
        tempfile.TemporaryDirectory(prefix="clamd-") as folder,
        running_clamd(Path(folder) / "clamd.sock") as path,
    ):
        yield path
