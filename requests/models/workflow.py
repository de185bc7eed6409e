"""A case's working history: status changes, assignments, notes and target alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import CloseReason, Status
from .case import SecondOpinionRequest


class StatusChange(models.Model):
    """One transition of a request's status: the case's history."""

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    # Empty when the patient or the system made the change.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=2000, blank=True)
    # Why a case was withdrawn or declined (the close page's list); the note says the rest.
    reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["case", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status or '-'} -> {self.to_status}"


class TargetAlert(models.Model):
    """One alert sent about a case's target: at most one per case and level."""

    class Level(models.TextChoices):
        AT_RISK = "at_risk", _("At risk of missing the 7-day target")
        OVERDUE = "overdue", _("Past the 7-day target")
        UNASSIGNED = "unassigned", _("Still unassigned")
        PLAN_OVERDUE = "plan_overdue", _("Treatment plan past its target")
        RECORDS_AT_RISK = "records_at_risk", _("Visit soon with records still outstanding")

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="target_alerts",
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two sweeps running at once (two beat processes by mistake) cannot both alert.
            models.UniqueConstraint(fields=["case", "level"], name="one_alert_per_case_level"),
        ]

    def __str__(self) -> str:
        return f"{self.level} on {self.case_id}"


class Assignment(models.Model):
    """One assignment of a case to a navigator: the case's assignment history."""

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    navigator = models.ForeignKey(
        "navigators.Navigator", on_delete=models.PROTECT, related_name="assignments"
    )
    previous_navigator = models.ForeignKey(
        "navigators.Navigator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Empty when the assignment job chose the navigator.
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        indexes = [models.Index(fields=["case", "assigned_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.navigator_id}"


class CaseNote(models.Model):
    """A navigator's note on a case, or one attempt to reach the patient."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Phone call")
        VOICEMAIL = "voicemail", _("Voicemail left")
        EMAIL = "email", _("Email")
        TEXT = "text", _("Text message")

    class Outcome(models.TextChoices):
        NONE = "", _("Not a contact attempt")
        REACHED = "reached", _("Reached the patient")
        NO_ANSWER = "no_answer", _("No answer")
        LEFT_MESSAGE = "left_message", _("Left a message")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    case = models.ForeignKey(
        SecondOpinionRequest, db_column="request_id", on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NOTE)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    body = models.TextField(_("note"), max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("note or contact attempt")
        verbose_name_plural = _("notes and contact attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case_id}"
