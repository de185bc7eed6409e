"""The outbox: every email the system owes, one row each, sent once by a task."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest


class Notification(models.Model):
    """One email the system owes: written with what caused it, sent once by a task.

    The row is the source of truth: a task claims it with a conditional UPDATE, sends, and
    marks it sent, so a lost task, a dead worker or a broker outage delays an email but never
    loses or doubles it (the requeue job finds rows left pending).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Request confirmation")
        ASSIGNMENT = "assignment", _("Case assigned to a navigator")
        UNASSIGNED = "unassigned", _("No navigator fits a new case")
        APPOINTMENT = "appointment", _("Appointment booked")
        ALERT_AT_RISK = "alert_at_risk", _("Alert: case at risk")
        ALERT_OVERDUE = "alert_overdue", _("Alert: case overdue")
        ALERT_UNASSIGNED = "alert_unassigned", _("Alert: case still unassigned")
        ALERT_PLAN_OVERDUE = "alert_plan_overdue", _("Alert: treatment plan overdue")
        ALERT_RECORDS_AT_RISK = "alert_records_at_risk", _("Alert: visit soon, records missing")
        RECORDS_COMPLETE = "records_complete", _("Records complete")
        RECORDS_DIGEST = "records_digest", _("Daily records digest")
        REFERRAL_PROVIDER = "referral_provider", _("Referral received (to the provider)")
        REFERRAL_PATIENT = "referral_patient", _("Your doctor referred you (to the patient)")
        REFERRER_UPDATE = "referrer_update", _("Update to the referring provider")
        STATUS_LINK = "status_link", _("Link to the request's status")
        PATIENT_WITHDREW = "patient_withdrew", _("The patient withdrew the request")
        CASE_CLOSED = "case_closed", _("Request withdrawn or declined (to the patient)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    # What makes this email unique, e.g. "confirmation:<request id>": owed at most once.
    dedupe_key = models.CharField(max_length=120, unique=True)
    recipient = models.EmailField()
    language = models.CharField(max_length=5, default="en")
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # notification_requeue_task: pending and stuck rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="notification_unsent_idx",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sending", "sent", "failed"]),
                name="notification_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
