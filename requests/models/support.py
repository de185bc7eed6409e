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

    class Outcome(models.TextChoices):
        """How a task ended; OUTCOMES_BY_KIND says which apply to which kind of task (an
        insurance verification's outcome is the case's insurance_outcome)."""

        ARRANGED = "arranged", _("Arranged by us")
        PATIENT_ARRANGED = "patient_arranged", _("Patient arranged their own")
        AID_APPROVED = "aid_approved", _("Financial aid approved")
        AID_NOT_ELIGIBLE = "aid_not_eligible", _("Not eligible for financial aid")
        REFERRED = "referred", _("Referred to an outside program")
        INTERPRETER_BOOKED = "interpreter_booked", _("Interpreter booked for the visit")
        DECLINED = "declined", _("Patient declined the help")

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
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True, default=""
    )
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
        # Named by the case's reference, as staff say it (never by a database id), when the
        # case was read with the task: naming a row of a list costs no query of its own.
        if not SupportTask.case.is_cached(self):
            return str(self.get_kind_display())
        return f"{self.get_kind_display()} for {self.case.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in {self.State.OPEN, self.State.IN_PROGRESS}

    @property
    def outcome_choices(self) -> list[tuple[str, str]]:
        """Return the outcomes that apply to this kind of task (none for insurance)."""
        return [
            (value, SupportTask.Outcome(value).label)
            for value in OUTCOMES_BY_KIND.get(self.kind, ())
        ]


_O = SupportTask.Outcome
# Which outcomes apply to which kind of task. Insurance has none here: its outcome is the
# case's insurance_outcome (verified, not covered, self-pay), which lifts the booking gate.
OUTCOMES_BY_KIND: dict[str, tuple[str, ...]] = {
    SupportTask.Kind.TRAVEL: (_O.ARRANGED, _O.PATIENT_ARRANGED, _O.DECLINED),
    SupportTask.Kind.LODGING: (_O.ARRANGED, _O.PATIENT_ARRANGED, _O.DECLINED),
    SupportTask.Kind.FINANCIAL: (_O.AID_APPROVED, _O.AID_NOT_ELIGIBLE, _O.REFERRED, _O.DECLINED),
    SupportTask.Kind.INTERPRETER: (_O.INTERPRETER_BOOKED, _O.DECLINED),
}
