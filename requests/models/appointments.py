"""A case's visits with the center's specialists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest


class Appointment(models.Model):
    """A visit with the center's specialists."""

    class Specialty(models.TextChoices):
        MEDICAL = "medical", _("Medical oncology")
        SURGICAL = "surgical", _("Surgical oncology")
        RADIATION = "radiation", _("Radiation oncology")
        MULTIDISCIPLINARY = "multidisciplinary", _("Multidisciplinary clinic")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video visit")

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        MISSED = "missed", _("Missed")
        COMPLETED = "completed", _("Completed")

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("date and time"))
    specialty = models.CharField(_("specialty"), max_length=20, choices=Specialty.choices)
    clinician = models.CharField(_("clinician"), max_length=150)
    modality = models.CharField(
        _("in person or video"),
        max_length=10,
        choices=Modality.choices,
        default=Modality.IN_PERSON,
    )
    location = models.CharField(
        _("location"),
        max_length=200,
        blank=True,
        help_text=_("Building, floor and clinic; or the video link's instructions."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["case", "state", "starts_at"]),
            # target_sweep_task: booked visits coming up, for the records-at-risk alert.
            models.Index(
                fields=["starts_at"],
                name="appointment_booked_idx",
                condition=models.Q(state="booked"),
            ),
            # A case's next booked visit, read for every outstanding item the records desk
            # sorts: without it PostgreSQL walks appointment_booked_idx once per item.
            models.Index(
                fields=["case", "starts_at"],
                name="appointment_case_booked_idx",
                condition=models.Q(state="booked"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_specialty_display()} on {self.case_id}"
