"""Support for the patient: travel, lodging, financial help, interpreters, insurance."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from navigators.access import support_task_owners

from ..audit import audit_record, changed_fields
from ..choices import CoverageChecked
from ..models import (
    OUTCOMES_BY_KIND,
    AuditEvent,
    InsuranceOutcome,
    SecondOpinionRequest,
    SupportTask,
)

Kind = SupportTask.Kind

FIELDS = ["status", "owner_id", "notes", "outcome"]


def support_kinds_for(case: SecondOpinionRequest) -> list[str]:
    """Return the support tasks the intake answers call for."""
    kinds = []
    if case.needs_travel:
        kinds.append(Kind.TRAVEL)
    if case.needs_lodging:
        kinds.append(Kind.LODGING)
    if case.needs_financial:
        kinds.append(Kind.FINANCIAL)
    if case.interpreter_needed:
        kinds.append(Kind.INTERPRETER)
    if case.coverage_checked in {CoverageChecked.NO, CoverageChecked.HELP}:
        kinds.append(Kind.INSURANCE)
    return kinds


def support_tasks_start(*, case: SecondOpinionRequest) -> list[SupportTask]:
    """Create the support tasks of a new request for the patient advocates."""
    tasks = [SupportTask(case=case, kind=kind) for kind in support_kinds_for(case)]
    if any(task.kind == Kind.INSURANCE for task in tasks):
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            insurance_outcome=InsuranceOutcome.PENDING
        )
        case.insurance_outcome = InsuranceOutcome.PENDING
    return SupportTask.objects.bulk_create(tasks)


@transaction.atomic
def support_task_save(
    *,
    task: SupportTask,
    by: AbstractBaseUser,
    before: dict[str, object] | None,
    insurance_outcome: str | None = None,
    http_request: HttpRequest | None = None,
) -> SupportTask:
    """Save an advocate's change to a task; an insurance outcome is recorded on the case.

    A final outcome (verified, not covered, self-pay) completes the verification task, so
    the booking gate lifts as its message says.
    """
    recorded = insurance_outcome if task.kind == Kind.INSURANCE else None
    if recorded and recorded != InsuranceOutcome.PENDING:
        task.status = SupportTask.State.DONE
    if task.status in {SupportTask.State.DONE, SupportTask.State.NOT_NEEDED}:
        task.completed_at = task.completed_at or timezone.now()
    else:
        task.completed_at = None
    task.save()
    if recorded:
        SecondOpinionRequest.objects.filter(pk=task.case_id).update(insurance_outcome=recorded)
    changed = changed_fields(task, before or {}, FIELDS)
    if recorded:
        changed.append("insurance_outcome")
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE if before is None else AuditEvent.Action.CHANGE,
        case=task.case,
        obj=task,
        detail={"fields": changed},
        http_request=http_request,
    )
    return task


# --- The support desk: take, give, finish -------------------------------------------------


def _task_name(task: SupportTask) -> str:
    return f"{task.case.reference}, {task.get_kind_display()}"


def _snapshot(task: SupportTask) -> dict[str, object]:
    return {name: getattr(task, name) for name in FIELDS}


@transaction.atomic
def support_task_take(
    *, task: SupportTask, by: AbstractBaseUser, http_request: HttpRequest | None = None
) -> SupportTask:
    """Make `by` (an advocate) the owner of an open task nobody owns, and start it.

    Claimed with a conditional UPDATE: of two advocates who press "Take it" at once, one
    gets the task and the other is told who has it.
    """
    if not support_task_owners().filter(pk=by.pk).exists():
        raise ValidationError(
            _("Only a patient advocate takes a support task."), code="not_advocate"
        )
    before = _snapshot(task)
    won = SupportTask.objects.filter(
        pk=task.pk,
        owner__isnull=True,
        status__in=[SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS],
    ).update(owner=by, status=SupportTask.State.IN_PROGRESS)
    if not won:
        task.refresh_from_db()
        owner = task.owner.get_full_name() or task.owner.get_username() if task.owner else ""
        raise ValidationError(
            _("%(task)s is no longer free to take%(who)s.")
            % {
                "task": _task_name(task),
                "who": _(" (%(name)s has it)") % {"name": owner} if owner else "",
            },
            code="taken",
        )
    task.refresh_from_db()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=task.case,
        obj=task,
        detail={"fields": changed_fields(task, before, FIELDS), "action": "take"},
        http_request=http_request,
    )
    return task


@transaction.atomic
def support_task_update(
    *,
    task: SupportTask,
    by: AbstractBaseUser,
    owner: AbstractBaseUser | None,
    status: str,
    notes: str,
    outcome: str = "",
    insurance_outcome: str | None = None,
    http_request: HttpRequest | None = None,
) -> SupportTask:
    """Change a task's owner, status, notes and outcome from the support desk.

    The owner is an advocate or nobody. A task marked done says how it ended: an outcome of
    its kind (OUTCOMES_BY_KIND), or for an insurance verification a final insurance outcome,
    which support_task_save records on the case. An outcome of another kind is refused.
    """
    if owner is not None and not support_task_owners().filter(pk=owner.pk).exists():
        raise ValidationError(
            _("Choose a patient advocate as the owner."), code="owner_not_advocate"
        )
    if status not in SupportTask.State.values:
        raise ValidationError(_("Choose a status."), code="bad_status")
    allowed = OUTCOMES_BY_KIND.get(task.kind, ())
    if outcome and outcome not in allowed:
        raise ValidationError(
            _("%(task)s: that outcome is not one of this kind of task.")
            % {"task": _task_name(task)},
            code="outcome_not_of_kind",
        )
    if task.kind == Kind.INSURANCE:
        final = insurance_outcome and insurance_outcome != InsuranceOutcome.PENDING
        if status == SupportTask.State.DONE and not final:
            raise ValidationError(
                _(
                    "%(task)s: give the insurance outcome (verified, not covered or "
                    "self-pay) to mark it done."
                )
                % {"task": _task_name(task)},
                code="no_outcome",
            )
    elif status == SupportTask.State.DONE and not outcome:
        raise ValidationError(
            _("%(task)s: give the outcome to mark it done.") % {"task": _task_name(task)},
            code="no_outcome",
        )
    before = _snapshot(task)
    task.owner = owner
    task.status = status
    task.notes = notes
    task.outcome = outcome if status == SupportTask.State.DONE else ""
    return support_task_save(
        task=task,
        by=by,
        before=before,
        insurance_outcome=insurance_outcome if task.kind == Kind.INSURANCE else None,
        http_request=http_request,
    )
