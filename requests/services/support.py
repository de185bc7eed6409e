"""Support for the patient: travel, lodging, financial help, interpreters, insurance."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ..audit import audit_record, changed_fields
from ..choices import CoverageChecked
from ..models import AuditEvent, InsuranceOutcome, SecondOpinionRequest, SupportTask

Kind = SupportTask.Kind

FIELDS = ["status", "owner_id", "notes"]


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
