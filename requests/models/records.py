"""The outside medical records a case needs, one row per item to obtain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest
from .facilities import Facility


class RecordItem(models.Model):
    """One outside medical record to obtain from a named facility."""

    class Kind(models.TextChoices):
        PATHOLOGY_REPORT = "pathology_report", _("Pathology report")
        PATHOLOGY_SLIDES = "pathology_slides", _("Pathology slides or blocks")
        IMAGING_REPORT = "imaging_report", _("Imaging report")
        IMAGING_DISC = "imaging_disc", _("Imaging disc (DICOM)")
        OPERATIVE_REPORT = "operative_report", _("Operative report")
        MOLECULAR_REPORT = "molecular_report", _("Molecular or genomic report")
        LABS = "labs", _("Lab results")
        CLINIC_NOTES = "clinic_notes", _("Clinic notes")
        TREATMENT_SUMMARY = "treatment_summary", _("Treatment summary")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        NEEDED = "needed", _("Needed")
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        UNABLE = "unable", _("Unable to obtain")
        NOT_NEEDED = "not_needed", _("Not needed")

    class Method(models.TextChoices):
        NONE = "", _("Not requested yet")
        FAX = "fax", _("Fax")
        PORTAL = "portal", _("Portal")
        MAIL = "mail", _("Mail")
        COURIER = "courier", _("Courier")
        EMAIL = "email", _("Secure email")

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="record_items",
    )
    kind = models.CharField(_("item"), max_length=20, choices=Kind.choices)
    facility = models.CharField(_("from facility"), max_length=200)
    # The directory's entry of the same name (record_item_save links it), for its phone and
    # fax; the typed name stays the item's own, so an item of a facility not in the directory
    # is still an item.
    facility_ref = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="record_items",
        verbose_name=_("facility in the directory"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.NEEDED
    )
    method = models.CharField(
        _("method"), max_length=8, choices=Method.choices, blank=True, default=""
    )
    tracking_number = models.CharField(
        _("tracking number"),
        max_length=60,
        blank=True,
        help_text=_("For slides, blocks and discs sent by mail or courier."),
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    # The local date of the last daily digest that listed this item: one digest a day.
    last_digest_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("record item")
        verbose_name_plural = _("record items")
        ordering = ["created_at", "pk"]
        indexes = [
            # The records worklist and records_digest_task: outstanding items, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="record_outstanding_idx",
                condition=models.Q(status__in=["needed", "requested"]),
            ),
            models.Index(fields=["case", "status"]),
            # The facility report: received items by facility.
            models.Index(
                fields=["facility", "received_at"],
                name="record_received_idx",
                condition=models.Q(status="received"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["needed", "requested", "received", "unable", "not_needed"]
                ),
                name="record_item_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.facility}"

    @property
    def is_outstanding(self) -> bool:
        return self.status in {self.State.NEEDED, self.State.REQUESTED}
