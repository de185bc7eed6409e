"""Fixtures of the imaging tests: a real Orthanc, and a worker that can reach it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra import ORTHANC, OrthancServer, WorkerProcess, start_worker, stop_worker

USER, PASSWORD = "portal", "orthanc-test-secret"


@pytest.fixture
def orthanc(tmp_path: Path) -> Iterator[OrthancServer]:
    """A real Orthanc (Debian's package) with authentication, on 127.0.0.1 only."""
    if not Path(ORTHANC).exists():
        pytest.skip("Orthanc is not installed (apt-get install orthanc)")
    server = OrthancServer(tmp_path / "orthanc", USER, PASSWORD).configure(plugins=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_folder(settings: Any) -> Path:
    """The folder of this test's private storage (set by tests/conftest.py), for a worker."""
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
