"""Reads about a patient's support tasks: when each is due, whether insurance is still open."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from ..models import SecondOpinionRequest, SupportTask

Kind = SupportTask.Kind


# How many days before the first appointment each kind of help should be in place.
LEAD_DAYS = {
    Kind.TRAVEL: 3,
    Kind.LODGING: 3,
    Kind.INTERPRETER: 1,
    Kind.FINANCIAL: 2,
    Kind.INSURANCE: 2,
}


def support_due_date(task: SupportTask) -> date | None:
    """Return when a task should be done: some days before the first appointment."""
    first = task.case.first_appointment_at
    if first is None:
        return None
    return timezone.localdate(first) - timedelta(days=LEAD_DAYS.get(task.kind, 1))


def insurance_verification_open(case: SecondOpinionRequest) -> bool:
    """Return whether the case's insurance verification is still to be done."""
    return case.support_tasks.filter(
        kind=Kind.INSURANCE, status__in=[SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS]
    ).exists()
