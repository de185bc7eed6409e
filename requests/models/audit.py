"""The audit trail of staff reads and changes of patients' records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest

USER_AGENT_MAX_LENGTH = 300


class AuditEvent(models.Model):
    """One staff read or change of a patient's record: append-only, kept in UTC.

    A row holds who, what, where from and when, with field names, ids and counts: never a
    value of the record (a name, a search term), so that retention has nothing to rewrite.
    On PostgreSQL a trigger refuses any UPDATE or DELETE of a row (the audit_append_only
    migration).
    """

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Viewed the case")
        VIEW = "view", _("Viewed a page")
        VIEW_LIST = "view_list", _("Viewed a list")
        VIEW_HISTORY = "view_history", _("Viewed a history")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded a document")
        UPLOAD = "upload", _("Uploaded a document")
        CHANGE = "change", _("Changed")
        CREATE = "create", _("Created")
        DELETE = "delete", _("Deleted")
        BULK = "bulk", _("Bulk action")
        ANONYMISE = "anonymise", _("Anonymised")

    # PROTECT: a case with a trail is never deleted (retention anonymises it), and SET_NULL
    # would be an UPDATE of audit rows, which the trigger refuses.
    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Field names, ids and counts only (supervisors read it on the case's trail).
    detail = models.JSONField(default=dict, blank=True)
    # Where the staff request came from (None for jobs and services run outside a request).
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
