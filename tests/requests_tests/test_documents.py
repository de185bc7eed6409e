"""Documents: uploads checked by content, stored privately, downloaded by the right staff only."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_assign
from requests.documents import clean_file_name
from requests.models import AuditEvent, Document, RecordItem, SecondOpinionRequest
from requests.selectors import slowest_facilities
from requests.services import document_store
from tests.clamav import clamd_running
from tests.factories import client_for, form_data, make_request
from tests.files import EICAR_PDF, JPEG, PDF

pytestmark = pytest.mark.django_db

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML_PAGE = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
CASE_CHANGE = "admin:requests_secondopinionrequest_change"
CENTER = ZoneInfo("America/New_York")
SAFE_NAME = re.compile(r"^[A-Za-z0-9 ._()-]+\.(pdf|jpg|png)$")


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> Path:
    """Keep this test's documents in a temporary folder; return the folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    field = Document._meta.get_field("file")
    assert Path(field.storage.location) == tmp_path
    return tmp_path


def stored_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def nothing_saved(folder: Path) -> None:
    assert not SecondOpinionRequest.objects.exists()
    assert not Document.objects.exists()
    assert stored_files(folder) == []


def test_document_storage_follows_the_private_storage_setting(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing STORAGES['private'] changes where new documents are written."""
    monkeypatch.undo()  # Drop this module's work-around: look at the field as the app sets it.
    other = tmp_path / "elsewhere"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(other), "base_url": None},
        },
    }

    assert Path(Document._meta.get_field("file").storage.location) == other


# --- Uploads through the public form -----------------------------------------------------

REFUSED_UPLOADS = [
    pytest.param(
        lambda: [upload("x.pdf", EXECUTABLE)], "is not a PDF, JPEG or PNG file", id="renamed-exe"
    ),
    pytest.param(
        lambda: [upload("letter.pdf", HTML_PAGE)],
        "is not a PDF, JPEG or PNG file",
        id="html-named-pdf",
    ),
    pytest.param(lambda: [upload("empty.pdf", b"")], "One of the files is empty", id="empty"),
    pytest.param(
        lambda: [upload("scan.pdf", PDF + b"0" * (1024 * 1024))],
        "is larger than 1.0\xa0MB",
        id="too-large",
    ),
    pytest.param(
        lambda: [upload(f"scan{n}.pdf", PDF) for n in range(6)],
        "Attach at most 5 files",
        id="too-many",
    ),
    pytest.param(
        lambda: [upload("good.pdf", PDF), upload("bad.png", HTML_PAGE)],
        "is not a PDF, JPEG or PNG file",
        id="one-bad-of-two",
    ),
]


@pytest.mark.parametrize(("files", "message"), REFUSED_UPLOADS)
def test_a_bad_upload_is_refused_with_a_message_and_nothing_saved(
    client, settings: Any, private_storage: Path, files: Any, message: str
) -> None:
    """The form answers 400 saying why; no request, no document, no file is kept."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024

    response = client.post("/request/", form_data(attachments=files()))

    assert response.status_code == 400
    assert message in response.content.decode()
    nothing_saved(private_storage)


def test_a_valid_file_with_a_bad_answer_saves_nothing(client, private_storage: Path) -> None:
    """A good PDF posted with an invalid form is not kept either."""
    response = client.post(
        "/request/", form_data(zip_code="ABCDE", attachments=[upload("scan.pdf", PDF)])
    )

    assert response.status_code == 400
    nothing_saved(private_storage)


def test_a_valid_pdf_is_stored_privately_for_the_new_request(client, private_storage: Path) -> None:
    """The PDF is kept under a random name, with its hash, owned by the request just made."""
    response = client.post(
        "/request/", form_data(attachments=[upload("Pathology report.pdf", PDF)])
    )

    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    document = Document.objects.get()
    assert document.case == case
    assert document.uploaded_by is None
    assert (document.original_name, document.content_type) == (
        "Pathology report.pdf",
        "application/pdf",
    )
    assert (document.size, document.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    [path] = stored_files(private_storage)
    assert path.read_bytes() == PDF
    assert path == private_storage / document.file.name
    assert re.fullmatch(r"documents/[0-9a-f]{32}", document.file.name)
    assert path.stat().st_mode & 0o777 == 0o600


def test_several_files_are_all_stored(client, private_storage: Path) -> None:
    """Five files, the most allowed, are each kept for the request."""
    files = [upload(f"page {n}.pdf", PDF + bytes([n])) for n in range(5)]

    response = client.post("/request/", form_data(attachments=files))

    assert response.status_code == 302
    assert Document.objects.filter(case=SecondOpinionRequest.objects.get()).count() == 5
    assert len(stored_files(private_storage)) == 5


@pytest.mark.parametrize(
    ("raw", "content", "shown"),
    [
        ("../../etc/passwd.pdf", PDF, "passwd.pdf"),
        ("..\\..\\Windows\\win.ini.pdf", PDF, "win.ini.pdf"),
        ("C:\\Users\\maria\\scan.pdf", PDF, "scan.pdf"),
        ("Re\u0301sume\u0301\u202egpj.pdf", PDF, "Resumegpj.pdf"),
        ("名前 <script>.pdf", PDF, "script.pdf"),
        ("..pdf", PDF, "document.pdf"),
        ("photo.pdf", JPEG, "photo.jpg"),
    ],
)
def test_an_odd_name_is_stored_randomly_and_shown_cleaned(
    client, navigator_user, supervisor, private_storage: Path, raw: str, content: bytes, shown: str
) -> None:
    """Folders and odd characters never reach the storage or the page; our extension is used."""
    response = client.post("/request/", form_data(attachments=[upload(raw, content)]))

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_name == shown
    assert SAFE_NAME.match(document.original_name)
    assert "/" not in document.original_name
    assert ".." not in document.original_name
    [path] = stored_files(private_storage)
    assert path.parent == private_storage / "documents"
    assert re.fullmatch(r"[0-9a-f]{32}", path.name)
    case_assign(case=document.case, navigator=navigator_user.navigator, by=supervisor)
    page = client_for(navigator_user).get(reverse(CASE_CHANGE, args=[document.case.pk]))
    html = page.content.decode()
    assert f">{shown}</a>" in html
    assert raw not in html


@pytest.mark.parametrize(
    ("raw", "content_type", "shown"),
    [
        ("../../etc/passwd.pdf", "application/pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "application/pdf", "boot.ini.pdf"),
        ("/abs/path/", "application/pdf", "document.pdf"),
        ("scan.exe", "application/pdf", "scan.pdf"),
        ("x-ray.PNG", "image/jpeg", "x-ray.jpg"),
        ("Ma\u00efa\x00\n\t;rm -rf *.pdf", "application/pdf", "Maia_rm -rf.pdf"),
        ("\u202egpj.exe", "image/png", "gpj.png"),
        ("\u540d\u524d.pdf", "application/pdf", "document.pdf"),
        ("a" * 300 + ".pdf", "application/pdf", "a" * 100 + ".pdf"),
    ],
)
def test_clean_file_name_keeps_a_safe_display_name(raw: str, content_type: str, shown: str) -> None:
    """No folders, no control or odd characters, at most 100 characters, our extension."""
    assert clean_file_name(raw, content_type) == shown


def test_a_repeated_post_stores_its_files_once(client, private_storage: Path) -> None:
    """The same form posted twice (same submission key) keeps one request and one file."""
    data = form_data()

    for _ in range(2):
        response = client.post("/request/", {**data, "attachments": [upload("scan.pdf", PDF)]})
        assert response.status_code == 302

    assert SecondOpinionRequest.objects.count() == 1
    assert Document.objects.count() == 1
    assert len(stored_files(private_storage)) == 1


# --- Downloads ---------------------------------------------------------------------------


@pytest.fixture
def document(navigator_user, supervisor) -> Document:
    """A PDF on a case of navigator_user's, named oddly by the patient."""
    case = make_request()
    stored = document_store(
        case=case,
        upload=upload("../scans/Biopsy 2026.pdf", PDF),
        content_type="application/pdf",
        by=None,
    )
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    return stored


def download(client: Client, document: Document) -> Any:
    return client.get(reverse("requests:document_download", args=[document.public_id]))


def body_of(response: Any) -> bytes:
    """Read a response's body. Not response.close(): that fires request_finished, which
    closes the test's database connection (harmless on SQLite, fatal on PostgreSQL)."""
    if not response.streaming:
        return response.content
    body = b"".join(response.streaming_content)
    if getattr(response, "file_to_stream", None) is not None:
        response.file_to_stream.close()
    return body


def downloads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD))


def test_the_cases_navigator_downloads_the_document_as_an_attachment(
    navigator_user, document: Document
) -> None:
    """200, an attachment under the cleaned name, no sniffing, no caching, the exact bytes."""
    response = download(client_for(navigator_user), document)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Biopsy 2026.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert body_of(response) == PDF
    [event] = downloads()
    assert (event.actor, event.case) == (navigator_user, document.case)
    assert (event.object_type, event.object_id) == ("requests.document", str(document.pk))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("navigator_user", True),
        ("supervisor", True),
        ("records_user", True),
        ("other_navigator_user", False),
        ("advocate_user", False),
    ],
)
def test_who_may_download_a_document(
    request: pytest.FixtureRequest, document: Document, role: str, allowed: bool
) -> None:
    """The case's navigator, supervisors and records staff may; others get 403 and no bytes."""
    user = request.getfixturevalue(role)

    response = download(client_for(user), document)

    body = body_of(response)
    if allowed:
        assert response.status_code == 200
        assert body == PDF
        assert [event.actor for event in downloads()] == [user]
    else:
        assert response.status_code == 403
        assert PDF not in body
        assert downloads() == []


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, document: Document) -> None:
    """No login: a redirect to the admin login, no file bytes, nothing audited."""
    response = download(client, document)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert PDF not in body_of(response)
    assert downloads() == []


def test_an_unknown_document_is_not_found(navigator_user, document: Document) -> None:
    """A random UUID is a 404, and nothing is audited."""
    response = client_for(navigator_user).get(
        reverse("requests:document_download", args=[uuid.uuid4()])
    )

    assert response.status_code == 404
    assert downloads() == []


# Records staff have no case page: the record item's page links the documents for them
# (tests/requests_tests/test_work_list_panels.py).
@pytest.mark.parametrize("role", ["navigator_user"])
def test_the_case_page_links_a_document_only_through_the_download_view(
    request: pytest.FixtureRequest, document: Document, role: str
) -> None:
    """The case page names a document by its clean name and never by its storage key."""
    html = (
        client_for(request.getfixturevalue(role))
        .get(reverse(CASE_CHANGE, args=[document.case.pk]))
        .content.decode()
    )

    assert f'href="{document.get_absolute_url()}"' in html
    assert document.file.name not in html


# --- Staff uploads on the case page ------------------------------------------------------


def case_page_post(client: Client, case: SecondOpinionRequest, **data: Any) -> Any:
    """Post the workspace's upload form, which the case page offers."""
    assert reverse("admin:case_document_add", args=[case.pk]) in (
        client.get(reverse(CASE_CHANGE, args=[case.pk])).content.decode()
    )
    return client.post(reverse("admin:case_document_add", args=[case.pk]), data)


def test_a_navigator_uploads_a_document_on_the_case_page(
    navigator_user, supervisor, private_storage: Path
) -> None:
    """The workspace's upload stores the file for the case, signed, linked to its record item."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    item = RecordItem.objects.create(
        case=case, kind=RecordItem.Kind.PATHOLOGY_REPORT, facility="Mercy General Hospital"
    )

    response = case_page_post(
        client_for(navigator_user),
        case,
        **{
            "file": upload("outside path report.pdf", PDF),
            "record_item": str(item.pk),
        },
    )

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.case, document.record_item) == (case, item)
    assert document.uploaded_by == navigator_user
    assert document.original_name == "outside path report.pdf"
    [path] = stored_files(private_storage)
    assert path.read_bytes() == PDF
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPLOAD, actor=navigator_user, object_id=str(document.pk)
    ).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (EXECUTABLE, "is not a PDF, JPEG or PNG file"),
        (HTML_PAGE, "is not a PDF, JPEG or PNG file"),
        (PDF + b"0" * 2048, "is larger than"),
    ],
)
def test_a_bad_staff_upload_is_refused_and_not_stored(
    navigator_user, supervisor, settings: Any, private_storage: Path, content: bytes, message: str
) -> None:
    """The case page shows why the file was refused, and keeps no document and no file."""
    settings.UPLOAD_MAX_BYTES = 2048
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)

    response = case_page_post(client_for(navigator_user), case, file=upload("scan.pdf", content))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.exists()
    assert stored_files(private_storage) == []


def test_a_staff_upload_clamd_finds_infected_is_refused(
    navigator_user, supervisor, settings: Any, private_storage: Path
) -> None:
    """The case page's upload goes through the same virus scan (a real clamd): refused with
    the message, no document, no file."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)

    with clamd_running() as socket_path:
        settings.CLAMD_SOCKET = socket_path
        response = case_page_post(
            client_for(navigator_user), case, file=upload("labs.pdf", EICAR_PDF)
        )

    assert response.status_code == 400
    assert "“labs” did not pass our virus check" in response.content.decode()
    assert not Document.objects.exists()
    assert stored_files(private_storage) == []


# --- The request size limit ----------------------------------------------------------------

TOO_LARGE_MESSAGE = "What you sent is too large"


def test_a_body_announced_larger_than_the_limit_gets_413(
    client, settings: Any, private_storage: Path
) -> None:
    """A Content-Length over MAX_REQUEST_BYTES is refused before the body is read."""
    response = client.post(
        "/request/",
        form_data(attachments=[upload("scan.pdf", PDF)]),
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )

    assert response.status_code == 413
    assert TOO_LARGE_MESSAGE in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    nothing_saved(private_storage)


def test_a_real_body_over_a_lowered_limit_gets_413(
    client, settings: Any, private_storage: Path
) -> None:
    """With MAX_REQUEST_BYTES lowered, a real post over it is refused with the message."""
    settings.MAX_REQUEST_BYTES = 16 * 1024

    response = client.post(
        "/request/", form_data(attachments=[upload("scan.pdf", PDF + b"0" * 20 * 1024)])
    )

    assert response.status_code == 413
    assert TOO_LARGE_MESSAGE in response.content.decode()
    nothing_saved(private_storage)


def test_a_body_under_the_limit_goes_through(client, settings: Any, private_storage: Path) -> None:
    """Just under the limit, the request is saved as usual."""
    settings.MAX_REQUEST_BYTES = 64 * 1024

    response = client.post("/request/", form_data(attachments=[upload("scan.pdf", PDF)]))

    assert response.status_code == 302
    assert Document.objects.count() == 1


def test_an_unreadable_content_length_gets_413(client) -> None:
    """A Content-Length that is not a number is refused rather than trusted."""
    response = client.post("/request/", form_data(), CONTENT_LENGTH="lots")

    assert response.status_code == 413
    assert not SecondOpinionRequest.objects.exists()


# --- The facility report -------------------------------------------------------------------

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=CENTER)


def received_item(
    case: SecondOpinionRequest, facility: str, days: float, received_days_ago: float = 1
) -> RecordItem:
    """An item received `received_days_ago` days before NOW, `days` days after its request."""
    received_at = NOW - timedelta(days=received_days_ago)
    return RecordItem.objects.create(
        case=case,
        kind=RecordItem.Kind.PATHOLOGY_SLIDES,
        facility=facility,
        status=RecordItem.State.RECEIVED,
        requested_at=received_at - timedelta(days=days),
        received_at=received_at,
    )


def test_slowest_facilities_are_ordered_by_median_days_to_receive() -> None:
    """Facilities come slowest first, by the median (not the mean) of requested-to-received."""
    case = make_request()
    for days in (10, 12, 30):  # median 12, mean 17.3
        received_item(case, "Slow Hospital", days)
    for days in (14, 15, 16, 16.5):  # median 15.5: slower by median, faster by mean
        received_item(case, "Steady Center", days)
    for days in (5, 6):
        received_item(case, "Quick Clinic", days)
    received_item(case, "Fast Lab", 1)
    # Not counted: received too long ago, not received, or never marked requested.
    received_item(case, "Fast Lab", 80, received_days_ago=95)
    RecordItem.objects.create(
        case=case,
        kind=RecordItem.Kind.LABS,
        facility="Quick Clinic",
        status=RecordItem.State.REQUESTED,
        requested_at=NOW - timedelta(days=60),
    )
    RecordItem.objects.create(
        case=case,
        kind=RecordItem.Kind.LABS,
        facility="Fast Lab",
        status=RecordItem.State.RECEIVED,
        received_at=NOW - timedelta(days=2),
    )

    rows = slowest_facilities(now=NOW)

    assert [(row.facility, row.items, row.median_days) for row in rows] == [
        ("Steady Center", 4, 15.5),
        ("Slow Hospital", 3, 12.0),
        ("Quick Clinic", 2, 5.5),
        ("Fast Lab", 1, 1.0),
    ]
    assert [row.facility for row in slowest_facilities(now=NOW, limit=2)] == [
        "Steady Center",
        "Slow Hospital",
    ]


def test_the_dashboard_lists_the_slowest_facility_first(supervisor) -> None:
    """The supervisor's dashboard shows the facility report, slowest first."""
    case = make_request()
    now = timezone.now()
    for facility, days in (("Quick Clinic", 2), ("Slow Hospital", 20)):
        RecordItem.objects.create(
            case=case,
            kind=RecordItem.Kind.LABS,
            facility=facility,
            status=RecordItem.State.RECEIVED,
            requested_at=now - timedelta(days=days + 1),
            received_at=now - timedelta(days=1),
        )

    html = client_for(supervisor).get(reverse("requests:dashboard")).content.decode()

    assert html.index("Slow Hospital") < html.index("Quick Clinic")
