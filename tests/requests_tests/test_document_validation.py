"""Uploads are accepted only when they read whole as what their first bytes claim, with no
active content and no markup; every hostile file is refused with a plain message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from requests.documents import validate_upload
from requests.models import Document, SecondOpinionRequest
from tests import files
from tests.factories import form_data

ACCEPTED = [
    pytest.param(files.PDF, "application/pdf", id="pdf"),
    pytest.param(files.pdf(pages=3, title="Outside records"), "application/pdf", id="pdf-3-pages"),
    pytest.param(files.RAW_PDF, "application/pdf", id="pdf-by-hand"),
    pytest.param(
        files.pdf_with_open_action({"/S": "/GoTo", "/D": "first"}),
        "application/pdf",
        id="pdf-opening-at-a-page",
    ),
    pytest.param(
        files.pdf_with_object_stream(b"<< /Producer (Scanner) >>"),
        "application/pdf",
        id="pdf-with-object-stream",
    ),
    pytest.param(files.encrypted_pdf(""), "application/pdf", id="pdf-restricted-aes-256"),
    pytest.param(files.encrypted_pdf("", "RC4-128"), "application/pdf", id="pdf-restricted-rc4"),
    pytest.param(files.PNG, "image/png", id="png"),
    pytest.param(files.png_with_text(b"Scanned at Mercy General"), "image/png", id="png-text"),
    pytest.param(files.JPEG, "image/jpeg", id="jpeg"),
    pytest.param(files.image("JPEG", progressive=True), "image/jpeg", id="jpeg-progressive"),
]

REFUSED: list[Any] = [
    pytest.param(lambda: files.HEADER_ONLY_PDF, "unreadable", id="header-only-pdf"),
    pytest.param(lambda: files.HEADER_ON_A_PROGRAM, "unreadable", id="pdf-header-on-a-program"),
    pytest.param(lambda: files.FAKE_PDF, "unreadable", id="pdf-without-pages-or-xref"),
    pytest.param(lambda: files.NO_PAGES_PDF, "unreadable", id="pdf-with-no-pages"),
    pytest.param(lambda: files.PDF[: len(files.PDF) // 2], "unreadable", id="pdf-cut-in-half"),
    pytest.param(lambda: b"%PDF-1.7\n" + files.PDF, "unreadable", id="pdf-header-on-a-pdf"),
    pytest.param(lambda: files.encrypted_pdf("secret"), "password", id="pdf-with-password"),
    pytest.param(lambda: files.POLYGLOT_PDF, "active_content", id="polyglot-pdf-html"),
    pytest.param(lambda: files.PDF_THEN_HTML, "active_content", id="html-after-pdf-end"),
    pytest.param(files.pdf_with_javascript, "active_content", id="pdf-javascript"),
    pytest.param(
        lambda: files.pdf_with_open_action({"/S": "/JavaScript", "/JS": "app.alert(1)"}),
        "active_content",
        id="pdf-open-action-javascript",
    ),
    pytest.param(
        lambda: files.pdf_with_open_action({"/S": "/Launch", "/F": "cmd.exe"}),
        "active_content",
        id="pdf-open-action-launch",
    ),
    pytest.param(
        lambda: files.pdf_with_open_action({"/S": "/URI", "/URI": "https://example.org/"}),
        "active_content",
        id="pdf-open-action-web-page",
    ),
    pytest.param(files.pdf_with_attachment, "active_content", id="pdf-embedded-file"),
    pytest.param(files.pdf_with_page_action, "active_content", id="pdf-page-action"),
    pytest.param(lambda: files.ESCAPED_JAVASCRIPT_PDF, "active_content", id="pdf-escaped-name"),
    pytest.param(lambda: files.ORPHAN_SCRIPT_PDF, "active_content", id="pdf-unused-object"),
    pytest.param(
        lambda: files.pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
        "active_content",
        id="pdf-script-compressed-in-object-stream",
    ),
    pytest.param(lambda: files.LINK_TO_SCRIPT_PDF, "active_content", id="pdf-javascript-link"),
    pytest.param(
        lambda: files.png_with_text(b"<svg onload=alert(1)>"), "active_content", id="png-svg"
    ),
    pytest.param(
        lambda: files.JPEG[:-2] + b"<ScRiPt>alert(1)</script>" + files.JPEG[-2:],
        "active_content",
        id="jpeg-script",
    ),
    pytest.param(lambda: files.JPEG[: len(files.JPEG) // 2], "unreadable", id="jpeg-truncated"),
    pytest.param(lambda: files.PNG[:-20], "unreadable", id="png-truncated"),
    pytest.param(
        lambda: files.PNG[:40] + bytes([files.PNG[40] ^ 0xFF]) + files.PNG[41:],
        "unreadable",
        id="png-bad-checksum",
    ),
    pytest.param(lambda: b"\xff\xd8\xff" + files.PNG, "unreadable", id="png-behind-jpeg-bytes"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + files.JPEG, "unreadable", id="jpeg-behind-png"),
    pytest.param(lambda: files.png_bomb(8000, 8000), "image_too_large", id="png-bomb-64mp"),
    pytest.param(
        lambda: files.png_claiming(100_000, 100_000), "image_too_large", id="png-claims-10gp"
    ),
    pytest.param(lambda: files.png_claiming(2000, 2000), "unreadable", id="png-missing-rows"),
]


def upload(content: bytes, name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(("content", "content_type"), ACCEPTED)
def test_a_whole_file_is_accepted_as_its_type(content: bytes, content_type: str) -> None:
    """A PDF pypdf reads strictly page by page, or an image Pillow decodes whole, is taken."""
    assert validate_upload(upload(content)) == content_type


@pytest.mark.parametrize(("make", "code"), REFUSED)
def test_a_hostile_or_broken_file_is_refused_saying_why(
    make: Callable[[], bytes], code: str
) -> None:
    """Header-only, polyglot, scripted, truncated, mislabelled and bomb files are refused,
    each with its code and a sentence naming the file."""
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(make(), name="Biopsy.pdf"))

    assert refused.value.code == code
    assert refused.value.messages[0].startswith("“Biopsy” ")


def test_the_image_size_limit_is_a_setting(settings: Any) -> None:
    """UPLOAD_MAX_IMAGE_PIXELS bounds the pixels of an image, and the message says the limit."""
    settings.UPLOAD_MAX_IMAGE_PIXELS = 2_000_000

    assert validate_upload(upload(files.png_bomb(1000, 2000))) == "image/png"
    with pytest.raises(ValidationError, match="more than 2 megapixels") as refused:
        validate_upload(upload(files.png_bomb(1000, 2001)))
    assert refused.value.code == "image_too_large"


REFUSED_ON_THE_FORM = [
    pytest.param(files.HEADER_ONLY_PDF, "could not be read as a whole PDF", id="header-only"),
    pytest.param(files.POLYGLOT_PDF, "contains scripts, attached files", id="polyglot"),
    pytest.param(files.pdf_with_javascript(), "contains scripts, attached files", id="javascript"),
]


@pytest.mark.parametrize(("content", "message"), REFUSED_ON_THE_FORM)
def test_the_request_form_refuses_the_file_and_saves_nothing(
    client, db: None, content: bytes, message: str
) -> None:
    """The patient sees why next to the field (400); no request, document or file is kept."""
    response = client.post("/request/", form_data(attachments=[upload(content, "Scan.pdf")]))

    assert response.status_code == 400
    assert f"“Scan” {message}" in response.content.decode().replace("&ldquo;", "“")
    assert not SecondOpinionRequest.objects.exists()
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (files.HEADER_ONLY_PDF, "No pudimos leer “Scan” completo como archivo PDF"),
        (files.POLYGLOT_PDF, "contiene scripts, archivos adjuntos u otro contenido activo"),
        (files.png_claiming(100_000, 100_000), "es demasiado grande (más de 50 megapíxeles)"),
    ],
)
def test_the_messages_are_in_spanish_on_the_spanish_form(content: bytes, message: str) -> None:
    """The upload is on the public form: a Spanish speaker reads why in Spanish."""
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        validate_upload(upload(content, "Scan.pdf"))

    assert message in refused.value.messages[0]


# --- Hostile files of every kind -----------------------------------------------------------

VALID = [files.PDF, files.PNG, files.JPEG, files.RAW_PDF]


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A valid file cut, flipped, spliced or padded: the shapes a fuzzer finds crashes with."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["cut", "flip", "insert", "repeat"]))
        if edit == "cut":
            del data[position : position + draw(st.integers(1, 200))]
        elif edit == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif edit == "insert":
            data[position:position] = draw(
                st.binary(max_size=40)
                | st.sampled_from(
                    [b"/JavaScript", b"<< /S /Launch >>", b"[[[[[[[[[[", b"<script>", b"\0" * 40]
                )
            )
        elif edit == "repeat":
            data[position:position] = bytes(data[position : position + 100]) * 50
    return bytes(data)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mangled() | st.binary(max_size=200).map(lambda tail: b"%PDF-1.7\n" + tail))
def test_a_mangled_file_is_accepted_or_refused_never_an_error(content: bytes) -> None:
    """Whatever the bytes, validate_upload returns a type or raises ValidationError."""
    assert outcome(content) in {"application/pdf", "image/png", "image/jpeg", "refused"}


def outcome(content: bytes) -> str:
    """Return the type validate_upload accepts the file as, or "refused" with a message."""
    try:
        return validate_upload(upload(content))
    except ValidationError as refused:
        return "refused" if refused.messages else "refused without a message"


NASTY_PDFS = [
    b"%PDF-1.7\n1 0 obj\n" + b"[" * 5000 + b"\nendobj\n%%EOF",
    b"%PDF-1.7\n1 0 obj\n" + b"<<" * 5000 + b"\nendobj\n%%EOF",
    files.raw_pdf(b"<< /Type /Catalog /Pages 1 0 R >>"),  # Its page tree is itself.
    files.raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",  # A page tree that contains itself.
    ),
    files.raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 999999999 /Filter /FlateDecode >>\nstream\nx\x9c\nendstream",
    ),
    files.raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 0 0] >>",  # A page of no size.
    ),
    files.PDF.replace(b"startxref\n", b"startxref\n-"),
    files.PDF.replace(b"/Root", b"/Rooo"),
]


@pytest.mark.parametrize("content", NASTY_PDFS, ids=range(len(NASTY_PDFS)))
def test_a_nasty_pdf_is_refused_as_unreadable(content: bytes) -> None:
    """Deep nesting, loops, lying lengths, empty pages and broken trailers: refused, no crash."""
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(content))

    assert refused.value.code == "unreadable"


def test_the_files_module_writes_whole_files(tmp_path: Path) -> None:
    """The helper's valid files are what they claim, as Pillow and pypdf see them."""
    from PIL import Image
    from pypdf import PdfReader

    for content, fmt in ((files.PNG, "PNG"), (files.JPEG, "JPEG")):
        path = tmp_path / f"image.{fmt}"
        path.write_bytes(content)
        with Image.open(path) as image:
            assert image.format == fmt
    for content in (files.PDF, files.RAW_PDF, files.EICAR_PDF):
        path = tmp_path / "doc.pdf"
        path.write_bytes(content)
        assert len(PdfReader(path, strict=True).pages) == 1
    assert files.EICAR in files.EICAR_PDF
