"""Uploaded files and the private storage that keeps them.

Migration 0003 names `_private_storage` and `_document_name` as `requests.models.<name>`:
the package re-exports both so that it keeps loading.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest
from .records import RecordItem


class PrivateStorage(LazyObject):
    """The "private" storage of STORAGES, looked up again whenever that setting changes."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        private_storage._wrapped = empty


def _private_storage() -> Storage:
    return private_storage


def _document_name(instance: Document, filename: str) -> str:
    # A random name: nothing of the patient's file name reaches the storage.
    return f"documents/{uuid.uuid4().hex}"


class DocumentQuerySet(models.QuerySet):
    def cleared(self) -> DocumentQuerySet:
        """Return the documents staff may open: scanned clean, or stored with no scanner set.

        Not an access rule (navigators.access decides who sees a case's documents): a file
        still waiting for its scan, or found infected, is shown to no one, whatever the role.
        """
        return self.filter(scan_state__in=Document.CLEARED_STATES)


class Document(models.Model):
    """A file the patient or staff uploaded, kept in private storage."""

    class ScanState(models.TextChoices):
        PENDING = "pending", _("Waiting for the virus scan")
        CLEAN = "clean", _("Scanned, clean")
        INFECTED = "infected", _("Infected (file deleted)")
        NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")

    CLEARED_STATES = (ScanState.CLEAN, ScanState.NOT_SCANNED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="documents",
    )
    record_item = models.ForeignKey(
        RecordItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        verbose_name=_("record item"),
    )
    file = models.FileField(storage=_private_storage, upload_to=_document_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Empty when the patient attached it to the request form.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Pending until clamd gives a verdict (and the default, so that a row written by any
    # other path stays hidden until scanned); not_scanned when CLAMD_SOCKET is unset.
    scan_state = models.CharField(
        max_length=12, choices=ScanState.choices, default=ScanState.PENDING
    )
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "pk"]
        indexes = [
            # document_scan_requeue (beat) finds the documents still waiting for a scan.
            models.Index(
                fields=["uploaded_at"],
                condition=models.Q(scan_state="pending"),
                name="document_scan_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("requests:document_download", args=[self.public_id])
