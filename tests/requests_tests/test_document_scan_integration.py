"""The virus scan through the real parts: a Celery worker on Redis retrying while clamd is
down, and Debian's clamd once it is up."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests.models import Document
from tests.clamav import running_clamd
from tests.factories import form_data
from tests.files import EICAR_PDF, PDF
from tests.infra import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_retries_until_clamd_is_up_then_records_each_verdict(
    client, settings, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """Two files arrive while clamd is down: both are saved pending. The worker's task retries
    with backoff; once clamd answers, the clean file is cleared and the infected one deleted."""
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    socket_path = folder / "clamd.sock"
    settings.CLAMD_SOCKET = str(socket_path)
    storage = settings.STORAGES["private"]["OPTIONS"]["location"]
    env = {
        **worker_env,
        "CLAMD_SOCKET": str(socket_path),
        "CLAMD_RETRY_BACKOFF": "1",
        "PRIVATE_MEDIA_ROOT": storage,
    }
    worker = start_worker(tmp_path, env, env["CELERY_QUEUE"])
    try:
        files = [
            SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
            SimpleUploadedFile("labs.pdf", EICAR_PDF, content_type="application/pdf"),
        ]
        response = client.post("/request/", form_data(attachments=files))
        assert response.status_code == 302
        assert set(Document.objects.values_list("scan_state", flat=True)) == {"pending"}
        # The worker's first tries fail against the missing socket, and are retried.
        assert wait_until(lambda: worker.log.read_text().count(" retry: ") >= 2, 60)
        assert set(Document.objects.values_list("scan_state", flat=True)) == {"pending"}

        with running_clamd(socket_path):
            scanned = wait_until(
                lambda: not Document.objects.filter(scan_state="pending").exists(), 60
            )
        assert scanned, worker.log.read_text()[-3000:]
    finally:
        stop_worker(worker)
        shutil.rmtree(folder, ignore_errors=True)

    states = dict(Document.objects.values_list("original_name", "scan_state"))
    assert states == {"report.pdf": "clean", "labs.pdf": "infected"}
    infected = Document.objects.get(original_name="labs.pdf")
    assert not infected.file
    assert [path.name for path in Path(storage).rglob("*") if path.is_file()] == [
        Document.objects.get(original_name="report.pdf").file.name.rsplit("/", 1)[-1]
    ]
