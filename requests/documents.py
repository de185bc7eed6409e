"""Uploads checked by their whole content and scanned for viruses before they are accepted.

Storing them (under random names) and the later scans are services.documents'.
"""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

from . import clamd
from .models import Document

logger = logging.getLogger(__name__)

# What we accept, recognised by the first bytes of the file (never by its name or the type
# the browser claims): a renamed program or an HTML page called .pdf is refused. The file
# must then read whole as that type (pypdf, Pillow).
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")

# PDF names that make a viewer act rather than show: scripts, launching programs, attached
# files, Flash and forms that run (XFA), actions on open, close or focus (AA), sending data
# out (SubmitForm, ImportData) and opening other files (GoToE, GoToR). Plain links stay.
ACTIVE_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/AA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
    }
)
# The long ones spelled out in the raw bytes (they do not turn up in compressed data by
# chance): catches what the parser skips, such as an object of an older revision.
_ACTIVE_PDF_BYTES = re.compile(
    rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)(?![A-Za-z0-9])"
)
_SCRIPT_URI = re.compile(r"^\s*(?:javascript|vbscript|data):", re.IGNORECASE)
# Markup a browser would run if it ever took the file for a web page (a polyglot). The tag
# name must end as HTML ends it, so that binary data matches by chance about once in 20 GB.
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|frameset|svg|object|embed"
    rb"|meta|img|link|style|base|form)[\s/>]",
    re.IGNORECASE,
)
# A bound on the objects of one PDF, so that checking a hostile file cannot run for minutes.
MAX_PDF_OBJECTS = 500_000
# A patient waits on the scan at upload: a clamd slower than this leaves the file pending (the
# task scans it with CLAMD_TIMEOUT). After clamd fails, uploads in this process skip it for a
# while, so that five files, or a burst of patients, never each wait for a dead daemon.
UPLOAD_SCAN_TIMEOUT = 10.0
CLAMD_PAUSE_SECONDS = 30.0
_clamd_paused_until: dict[str, float] = {}


def detect_content_type(head: bytes) -> str | None:
    """Return the content type the file's first bytes show, or None if not one we accept."""
    for content_type, (signature, _extension) in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def clean_file_name(raw: str, content_type: str) -> str:
    """Return a safe display name: no folders, no control or odd characters, our extension."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("_", name.rsplit(".", 1)[0]).strip(" ._") or "document"
    return f"{stem[:100]}{SIGNATURES[content_type][1]}"


def validate_upload(upload: UploadedFile) -> str:
    """Return the file's content type, or raise ValidationError saying in plain words why not.

    Checked in order: size, first bytes, markup anywhere, the whole file read by its parser
    (and, for a PDF, no active content), then the virus scan when clamd is configured.
    """
    shown = clean_file_name(upload.name or "", "application/pdf").rsplit(".", 1)[0]
    if not upload.size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": shown}, code="empty")
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)s.")
            % {"name": shown, "max": filesizeformat(settings.UPLOAD_MAX_BYTES)},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    content_type = detect_content_type(data[:16])
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a PDF, JPEG or PNG file (we check the file itself, not its name).")
            % {"name": shown},
            code="bad_type",
        )
    if _MARKUP.search(data):
        raise _active_content(shown)
    if content_type == "application/pdf":
        _check_pdf(data, shown)
    else:
        _check_image(data, content_type, shown)
    # The verdict travels with the file to document_store, so that every caller keeps its
    # one sequence (validate, then store) and a file is scanned once.
    upload.scan_state = _scan_at_upload(data, shown)
    return content_type


def _unreadable(shown: str) -> ValidationError:
    return ValidationError(
        _(
            "“%(name)s” could not be read as a whole PDF, JPEG or PNG file: it may be damaged, "
            "or only look like one. Please send the original file, or a new scan of the paper."
        )
        % {"name": shown},
        code="unreadable",
    )


def _active_content(shown: str) -> ValidationError:
    return ValidationError(
        _(
            "“%(name)s” contains scripts, attached files or other active content, which we do "
            "not accept. Please print it to a new PDF, or scan the paper, and send that."
        )
        % {"name": shown},
        code="active_content",
    )


def _check_pdf(data: bytes, shown: str) -> None:
    """Refuse a PDF that pypdf cannot read whole and strictly, page by page, or that can act."""
    if _ACTIVE_PDF_BYTES.search(data):
        raise _active_content(shown)
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("“%(name)s” is protected by a password. Please send a copy without one.")
                % {"name": shown},
                code="password",
            )
        if len(reader.pages) < 1:
            raise _unreadable(shown)
        for page in reader.pages:
            if not (page.mediabox.width and page.mediabox.height):
                raise _unreadable(shown)
            contents = page.get_contents()
            if contents is not None:
                contents.get_data()  # Decodes every stream of the page (pypdf bounds bombs).
        active = _pdf_can_act(reader)
    except ValidationError:
        raise
    except Exception:  # pypdf raises many kinds on a hostile file; each means "not a PDF".
        raise _unreadable(shown) from None
    if active:
        raise _active_content(shown)


def _pdf_objects(reader: PdfReader) -> Iterator[Any]:
    """Yield every object and dictionary key of the file: from the trailer and from every
    cross-reference entry (so objects in object streams, and ones no page uses, too)."""
    stack: list[Any] = [reader.trailer]
    for generation, entries in reader.xref.items():
        stack.extend(IndirectObject(idnum, generation, reader) for idnum in entries)
    stack.extend(IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    count = 0
    while stack:  # A stack, not recursion: a deeply nested file cannot exhaust ours.
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        count += 1
        if count > MAX_PDF_OBJECTS:
            raise ValueError("Too many objects.")
        yield node
        # The raw values (dict.items, list iteration): references are resolved above, once.
        if isinstance(node, DictionaryObject):
            for key, value in dict.items(node):
                yield key
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(list.__iter__(node))


def _pdf_can_act(reader: PdfReader) -> bool:
    """Return whether any object names active content or links to a script, or the file
    acts when opened (an OpenAction other than showing a page)."""
    for node in _pdf_objects(reader):
        if isinstance(node, NameObject) and node in ACTIVE_PDF_NAMES:
            return True
        if isinstance(node, TextStringObject) and _SCRIPT_URI.match(node):
            return True
        if isinstance(node, ByteStringObject) and _SCRIPT_URI.match(node.decode("latin-1")):
            return True
    open_action = reader.trailer["/Root"].get_object().get("/OpenAction")
    open_action = open_action.get_object() if open_action is not None else None
    return isinstance(open_action, DictionaryObject) and open_action.get("/S") != "/GoTo"


def _check_image(data: bytes, content_type: str, shown: str) -> None:
    """Refuse an image Pillow cannot open, verify and decode whole as the type its first
    bytes claim, or one so large in pixels that decoding it would exhaust memory."""
    pillow_format = PILLOW_FORMATS[content_type]
    too_large = ValidationError(
        _(
            "“%(name)s” is too large an image (more than %(max)d megapixels). Please send a "
            "smaller copy."
        )
        % {"name": shown, "max": settings.UPLOAD_MAX_IMAGE_PIXELS // 1_000_000},
        code="image_too_large",
    )
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            if image.width * image.height > settings.UPLOAD_MAX_IMAGE_PIXELS:
                raise too_large
            image.verify()
        # verify() leaves the image unusable: open it again to decode every pixel.
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise too_large from None
    except Exception:  # Pillow raises many kinds on a hostile file; each means "not one".
        raise _unreadable(shown) from None


def _scan_at_upload(data: bytes, shown: str) -> str:
    """Scan the file now and refuse it if infected; return the scan state to store it with:
    clean, pending (clamd gave no verdict: scanned later, hidden till then) or not_scanned."""
    address = settings.CLAMD_SOCKET
    if not address:
        return Document.ScanState.NOT_SCANNED
    if time.monotonic() < _clamd_paused_until.get(address, 0.0):
        return Document.ScanState.PENDING
    try:
        verdict = clamd.instream(
            address, [data], timeout=min(UPLOAD_SCAN_TIMEOUT, settings.CLAMD_TIMEOUT)
        )
    except clamd.ScanUnavailable as error:
        _clamd_paused_until[address] = time.monotonic() + CLAMD_PAUSE_SECONDS
        logger.warning("Virus scan postponed: %s", error)
        return Document.ScanState.PENDING
    if verdict.infected:
        logger.warning("Upload refused: the virus scan found %s.", verdict.signature)
        raise ValidationError(
            _(
                "“%(name)s” did not pass our virus check, so we did not keep it. Please check "
                "the computer or phone it came from, and send a clean copy."
            )
            % {"name": shown},
            code="infected",
        )
    return Document.ScanState.CLEAN


def validate_uploads(uploads: list[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Validate a set of files; raise one ValidationError listing every problem."""
    if len(uploads) > settings.UPLOAD_MAX_FILES:
        raise ValidationError(
            _("Attach at most %(max)d files.") % {"max": settings.UPLOAD_MAX_FILES},
            code="too_many",
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append((upload, validate_upload(upload)))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return checked
