"""The patient's single-use links into their status page."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .case import SecondOpinionRequest


class StatusLink(models.Model):
    """A single-use link, valid 24 hours, that lets a patient see their request's status."""

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="status_links",
    )
    # Only a hash of the link's secret is kept: a leaked database does not leak live links.
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"status link #{self.pk}"
