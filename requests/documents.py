"""Documents: uploads checked by their content, stored under random names, read by staff only."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import AuditEvent, Document, RecordItem, SecondOpinionRequest

# What we accept, recognised by the first bytes of the file (never by its name or the type
# the browser claims): a renamed program or an HTML page called .pdf is refused.
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


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
    """Return the file's content type, or raise ValidationError saying in plain words why not."""
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
    head = upload.read(16)
    upload.seek(0)
    content_type = detect_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not a PDF, JPEG or PNG file (we check the file itself, not its name).")
            % {"name": shown},
            code="bad_type",
        )
    return content_type


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


@transaction.atomic
def document_store(
    *,
    case: SecondOpinionRequest,
    upload: UploadedFile,
    content_type: str,
    by: AbstractBaseUser | None,
    record_item: RecordItem | None = None,
    http_request: HttpRequest | None = None,
) -> Document:
    """Save a validated file under a random name in private storage, and record it."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = Document(
        request=case,
        record_item=record_item,
        original_name=clean_file_name(upload.name or "", content_type),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    if by is not None:
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPLOAD,
            case=case,
            obj=document,
            detail={"size": document.size, "content_type": content_type},
            http_request=http_request,
        )
    return document
