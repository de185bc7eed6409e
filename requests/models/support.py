"""The practical help a case needs: travel, lodging, money, an interpreter, insurance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import SecondOpinionRequest


class SupportTask(models.Model):
    """Practical help a patient asked for: travel, lodging, money, an interpreter, insurance."""

    class Kind(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        LODGING = "lodging", _("Lodging")
        FINANCIAL = "financial", _("Financial assistance")
        INTERPRETER = "interpreter", _("Interpreter")
        INSURANCE = "insurance", _("Insurance verification")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        NOT_NEEDED = "not_needed", _("Not needed")

    case = models.ForeignKey(
        SecondOpinionRequest,
        db_column="request_id",
        on_delete=models.CASCADE,
        related_name="support_tasks",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("support task")
        verbose_name_plural = _("support tasks")
        ordering = ["created_at", "pk"]
        indexes = [
            # The advocates' worklist: open tasks.
            models.Index(
                fields=["created_at"],
                name="support_open_idx",
                condition=models.Q(status__in=["open", "in_progress"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="one_support_task_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in {self.State.OPEN, self.State.IN_PROGRESS}
