"""The virus scan: uploads go through a real clamd (Debian's clamav-daemon) before staff can
open them; an infected file is refused at once, or deleted when found later; a file clamd could
not scan waits, hidden, for the task and the periodic job."""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_assign
from requests import clamd, documents
from requests.models import AuditEvent, Document, SecondOpinionRequest
from requests.services import document_scan, document_scan_requeue, document_store
from requests.tasks import document_scan_requeue_task, document_scan_task
from tests.clamav import clamd_running, running_clamd
from tests.factories import client_for, form_data, make_request
from tests.files import EICAR, EICAR_PDF, PDF, PNG, pdf

CASE_CHANGE = "admin:requests_secondopinionrequest_change"


@pytest.fixture
def clamd_folder() -> Iterator[Path]:
    """A short folder for clamd's socket (a unix socket path holds at most 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def clamd_socket() -> Iterator[str]:
    """One real clamd for the module, with the EICAR signature."""
    with clamd_running() as path:
        yield path


@pytest.fixture
def scanning(settings: Any, clamd_socket: str) -> str:
    """Turn scanning on, against the module's clamd."""
    settings.CLAMD_SOCKET = clamd_socket
    return clamd_socket


def upload(content: bytes, name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(settings: Any) -> list[Path]:
    folder = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [path for path in folder.rglob("*") if path.is_file()]


def staff_sees(user: Any, document: Document) -> tuple[bool, int]:
    """Return whether the case page links the document, and the download's status code."""
    client = client_for(user)
    page = client.get(reverse(CASE_CHANGE, args=[document.case_id])).content.decode()
    download = client.get(reverse("requests:document_download", args=[document.public_id]))
    return document.get_absolute_url() in page, download.status_code


@pytest.fixture
def assigned_case(navigator_user, supervisor) -> SecondOpinionRequest:
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    return case


# --- The client ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "infected"), [(PDF, False), (EICAR_PDF, True), (EICAR, True), (b"", False)]
)
def test_instream_gets_clamds_verdict(scanning: str, content: bytes, infected: bool) -> None:
    """The INSTREAM client reads OK or FOUND, with the signature's name, from a real clamd."""
    verdict = clamd.instream(scanning, [content[:5], content[5:]], timeout=10)

    assert verdict.infected is infected
    assert verdict.signature == ("Portal.Test.EICAR.UNOFFICIAL" if infected else "")


@contextmanager
def fake_clamd(reply: bytes | None) -> Iterator[str]:
    """A TCP server that reads a request and answers `reply` (None: hangs up at once)."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            if reply is not None:
                conn.recv(65536)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        thread.join(timeout=5)
        server.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"INSTREAM size limit exceeded. ERROR\0",
        b"stream: Can't allocate memory ERROR\0",
        b"UNKNOWN COMMAND\0",
        b"stream: FOUND",
        b"",
        None,
    ],
)
def test_an_answer_that_is_no_verdict_is_unavailable(reply: bytes | None) -> None:
    """An ERROR, garbage, or a hang-up is ScanUnavailable, never a clean verdict."""
    with fake_clamd(reply) as address, pytest.raises(clamd.ScanUnavailable, match="clamd"):
        clamd.instream(address, [PDF], timeout=5)


@pytest.mark.parametrize("address", ["/nonexistent/clamd.sock", "tcp://127.0.0.1:1", "tcp://x"])
def test_a_clamd_that_is_not_there_is_unavailable(address: str) -> None:
    """A missing socket, a refused port or a bad address: ScanUnavailable, at once."""
    with pytest.raises(clamd.ScanUnavailable):
        clamd.instream(address, [PDF], timeout=5)


# --- At upload -----------------------------------------------------------------------------


def test_eicar_is_refused_on_the_request_form(client, db: None, scanning: str, settings) -> None:
    """A valid PDF carrying the EICAR string is refused by clamd with a plain message (400),
    and nothing is saved: no request, no document, no file."""
    response = client.post("/request/", form_data(attachments=[upload(EICAR_PDF, "Labs.pdf")]))

    assert response.status_code == 400
    assert "Labs” did not pass our virus check" in response.content.decode()
    assert not SecondOpinionRequest.objects.exists()
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_a_clean_upload_is_stored_clean_and_shown_to_staff(
    client, scanning: str, navigator_user
) -> None:
    """A file clamd passes is stored as clean, with the time of the scan, and staff open it."""
    response = client.post("/request/", form_data(attachments=[upload(PNG, "photo.png")]))

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.scan_state == Document.ScanState.CLEAN
    assert document.scanned_at is not None
    case_assign(case=document.case, navigator=navigator_user.navigator, by=None)
    assert staff_sees(navigator_user, document) == (True, 200)


def test_without_clamd_configured_documents_are_not_scanned_and_shown(
    client, settings, navigator_user
) -> None:
    """CLAMD_SOCKET unset: the document is stored as not_scanned, and staff see it."""
    settings.CLAMD_SOCKET = ""

    client.post("/request/", form_data(attachments=[upload(EICAR_PDF)]))

    document = Document.objects.get()
    assert (document.scan_state, document.scanned_at) == (Document.ScanState.NOT_SCANNED, None)
    case_assign(case=document.case, navigator=navigator_user.navigator, by=None)
    assert staff_sees(navigator_user, document) == (True, 200)


@contextmanager
def silent_clamd() -> Iterator[tuple[str, list[int]]]:
    """A TCP server that accepts connections and never answers; yields its address and the
    list of connections it took (one item each)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[int] = []
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def test_a_clamd_that_hangs_costs_an_upload_one_timeout(
    client, db: None, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """clamd takes the connection and never answers: the first file waits for the upload
    timeout, the others of the post skip clamd; all are saved pending and the request too."""
    monkeypatch.setattr(documents, "UPLOAD_SCAN_TIMEOUT", 0.5)
    monkeypatch.setattr(documents, "_clamd_paused_until", {})
    attachments = [upload(pdf(title=str(n)), f"page {n}.pdf") for n in range(3)]

    with silent_clamd() as (address, accepted):
        settings.CLAMD_SOCKET = address
        response = client.post("/request/", form_data(attachments=attachments))

    assert response.status_code == 302
    assert accepted == [1]
    assert list(Document.objects.values_list("scan_state", flat=True)) == ["pending"] * 3


# --- clamd down, then back -------------------------------------------------------------------


def test_a_file_clamd_cannot_scan_waits_hidden_then_the_task_scans_it(
    client,
    settings,
    clamd_folder: Path,
    supervisor,
    records_user,
    django_capture_on_commit_callbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """clamd down at upload: the request is saved, the document pending and hidden from every
    role (no link, download 404), its scan queued after commit; once clamd is up the task marks
    it clean and staff see it."""
    socket_path = clamd_folder / "clamd.sock"
    settings.CLAMD_SOCKET = str(socket_path)
    queued: list[int] = []
    monkeypatch.setattr(document_scan_task, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/request/", form_data(attachments=[upload(PDF)]))
    assert queued == []
    for callback in callbacks:
        callback()

    assert response.status_code == 302
    document = Document.objects.get()
    assert queued == [document.pk]
    assert document.scan_state == Document.ScanState.PENDING
    for user in (supervisor, records_user):  # Both may open every case's documents.
        assert staff_sees(user, document) == (False, 404)
    monkeypatch.undo()

    with running_clamd(socket_path):
        assert document_scan_task.delay(document.pk).get() == Document.ScanState.CLEAN

    document.refresh_from_db()
    assert document.scan_state == Document.ScanState.CLEAN
    assert document.scanned_at is not None
    assert staff_sees(supervisor, document) == (True, 200)
    # Records staff work from their lists (no case page): the download is theirs too.
    assert staff_sees(records_user, document)[1] == 200


def pending_document(case: SecondOpinionRequest, content: bytes, settings: Any) -> Document:
    """Store `content` on `case` while clamd is unreachable: a pending document."""
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    return document_store(
        case=case, upload=upload(content), content_type="application/pdf", by=None
    )


def test_an_infected_file_found_later_is_deleted_and_the_row_kept(
    assigned_case: SecondOpinionRequest,
    settings,
    scanning: str,
    navigator_user,
    supervisor,
    django_capture_on_commit_callbacks,
) -> None:
    """The task finds EICAR in a stored file: the file is deleted from storage, the row stays
    as infected with the time, the audit trail says so (signature, no PHI), staff never see it."""
    document = pending_document(assigned_case, EICAR_PDF, settings)
    [path] = stored_files(settings)
    settings.CLAMD_SOCKET = scanning

    with django_capture_on_commit_callbacks(execute=True):
        assert document_scan_task.delay(document.pk).get() == Document.ScanState.INFECTED

    document.refresh_from_db()
    assert document.scan_state == Document.ScanState.INFECTED
    assert document.scanned_at is not None
    assert not document.file
    assert not path.exists()
    [event] = AuditEvent.objects.filter(object_type="requests.document", object_id=str(document.pk))
    assert (event.action, event.case, event.actor) == ("change", assigned_case, None)
    assert event.detail == {
        "scan_state": ["pending", "infected"],
        "signature": "Portal.Test.EICAR.UNOFFICIAL",
        "file": "deleted",
    }
    for user in (navigator_user, supervisor):
        assert staff_sees(user, document) == (False, 404)


def test_scanning_twice_scans_once(
    assigned_case: SecondOpinionRequest, settings, scanning: str
) -> None:
    """A second run (a retry, the periodic job) leaves a scanned document as it is."""
    document = pending_document(assigned_case, EICAR_PDF, settings)
    settings.CLAMD_SOCKET = scanning
    assert document_scan(document_id=document.pk) == Document.ScanState.INFECTED

    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"  # Would fail if it scanned again.
    assert document_scan(document_id=document.pk) == Document.ScanState.INFECTED
    assert document_scan(document_id=0) == ""
    events = AuditEvent.objects.filter(object_type="requests.document", object_id=str(document.pk))
    assert events.count() == 1


def test_the_task_leaves_a_document_pending_while_clamd_is_down(
    assigned_case: SecondOpinionRequest, settings
) -> None:
    """In-process, the task does not retry at once: the document stays pending, no error."""
    document = pending_document(assigned_case, PDF, settings)

    assert document_scan_task.delay(document.pk).get() == "pending"
    document.refresh_from_db()
    assert document.scan_state == Document.ScanState.PENDING


def test_a_pending_document_is_released_unscanned_when_scanning_is_switched_off(
    assigned_case: SecondOpinionRequest, settings
) -> None:
    """CLAMD_SOCKET removed since the upload: the task marks it not_scanned, not hidden for ever."""
    document = pending_document(assigned_case, PDF, settings)
    settings.CLAMD_SOCKET = ""

    assert document_scan(document_id=document.pk) == Document.ScanState.NOT_SCANNED
    assert Document.objects.cleared().get() == document


def test_the_periodic_job_scans_the_documents_left_pending(
    assigned_case: SecondOpinionRequest, settings, scanning: str, django_capture_on_commit_callbacks
) -> None:
    """document_scan_requeue queues the documents pending for CLAMD_RESCAN_MINUTES, oldest
    first; a fresh upload (its own task is still trying) waits."""
    settings.CLAMD_RESCAN_MINUTES = 10
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=11), tick=False):
        old = pending_document(assigned_case, pdf(title="old"), settings)
    with time_machine.travel(now - timedelta(minutes=5), tick=False):
        fresh = pending_document(assigned_case, pdf(title="fresh"), settings)
    settings.CLAMD_SOCKET = scanning

    with (
        time_machine.travel(now, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert document_scan_requeue() == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.scan_state, fresh.scan_state) == ("clean", "pending")
    assert list(Document.objects.cleared()) == [old]


def test_the_periodic_job_is_scheduled(settings) -> None:
    """The requeue job runs from beat, with an expiry shorter than its period."""
    entry = settings.CELERY_BEAT_SCHEDULE["document-scan-requeue"]
    assert entry["task"] == document_scan_requeue_task.name
    assert entry["options"]["expires"] < entry["schedule"]
