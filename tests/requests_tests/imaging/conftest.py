"""Fixtures of the imaging tests: a real Orthanc, and a worker that can reach it."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WorkerProcess, free_port, start_worker, stop_worker

ORTHANC = "/usr/sbin/Orthanc"
PLUGINS = Path("/usr/share/orthanc/plugins")
USER, PASSWORD = "portal", "orthanc-test-secret"


@dataclass
class OrthancServer:
    """An Orthanc process on a loopback port, which a test may stop and start again."""

    config: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [ORTHANC, str(self.config)], stdout=handle, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.get("/system") is not None:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("Orthanc did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Stop Orthanc at once, as a crash or a pulled cable would, mid-request."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def get(self, path: str) -> Any:
        """GET a path of the REST API with the test user; None when Orthanc does not answer."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        request.add_header("Authorization", _basic())
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                return json.loads(response.read())
        except (urllib.error.URLError, OSError):
            return None


def _basic() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture
def orthanc(tmp_path: Path) -> Iterator[OrthancServer]:
    """A real Orthanc (Debian's package) with authentication, on 127.0.0.1 only."""
    if not Path(ORTHANC).exists():
        pytest.skip("Orthanc is not installed (apt-get install orthanc)")
    folder = tmp_path / "orthanc"
    folder.mkdir()
    port = free_port()
    plugins = [
        str(PLUGINS / name)
        for name in ("libOrthancDicomWeb.so", "libOrthancWebViewer.so")
        if (PLUGINS / name).exists()
    ]
    config = {
        "Name": "portal-test",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "DicomPort": free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": plugins,
        "HttpCompressionEnabled": False,
    }
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config))
    server = OrthancServer(config=path, port=port, log=folder / "orthanc.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_folder(settings: Any) -> Path:
    """The folder of this test's private storage (set by tests.conftest), for a worker."""
    return Path(settings.STORAGES["private"]["OPTIONS"]["location"])


@pytest.fixture
def imaging_worker(
    worker_env: dict[str, str],
    tmp_path: Path,
    orthanc: OrthancServer,
    private_folder: Path,
    settings: Any,
) -> Iterator[WorkerProcess]:
    """A real Celery worker that reads this test's private storage and sends to Orthanc."""
    settings.ORTHANC_URL = orthanc.url
    env = {
        **worker_env,
        "ORTHANC_URL": orthanc.url,
        "PRIVATE_MEDIA_ROOT": str(private_folder),
        "IMAGING_RETRY_BACKOFF": "1",
    }
    worker = start_worker(tmp_path, env, env["CELERY_QUEUE"])
    yield worker
    stop_worker(worker)
