"""Reads about a patient's support tasks: when each is due, whether insurance is still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Case, DateTimeField, F, QuerySet, When
from django.utils import timezone

from ..models import OPEN_STATUSES, SecondOpinionRequest, SupportTask

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


# --- The support desk ----------------------------------------------------------------------

OPEN_TASK_STATES = (SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS)


@dataclass(frozen=True)
class SupportDeskFilters:
    """Which tasks the support desk shows: "open" (every open task), "mine", "unowned"; and
    a kind, or every kind."""

    queue: str = "open"
    kind: str = ""


def support_desk(filters: SupportDeskFilters, user: AbstractBaseUser) -> QuerySet[SupportTask]:
    """Return the open tasks of open cases, the soonest due first (support_due_date: some days
    before the first appointment; tasks of cases not booked yet last, oldest first).

    Each row carries its case and owner: one query for a page, whatever its length.
    """
    due = Case(
        *(
            When(kind=kind, then=F("case__first_appointment_at") - timedelta(days=days))
            for kind, days in LEAD_DAYS.items()
        ),
        output_field=DateTimeField(),
    )
    tasks = (
        SupportTask.objects.filter(status__in=OPEN_TASK_STATES, case__status__in=OPEN_STATUSES)
        .select_related("case", "owner")
        .annotate(desk_due=due)
    )
    if filters.queue == "mine":
        tasks = tasks.filter(owner=user)
    elif filters.queue == "unowned":
        tasks = tasks.filter(owner__isnull=True)
    if filters.kind in SupportTask.Kind.values:
        tasks = tasks.filter(kind=filters.kind)
    return tasks.order_by(F("desk_due").asc(nulls_last=True), "created_at", "pk")
