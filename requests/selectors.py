"""Reads that the staff pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from .choices import TargetState
from .models import SecondOpinionRequest


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # status, assignment, note, appointment, email
    title: str
    detail: str
    by: str


def cases_by_urgency(queryset: QuerySet[SecondOpinionRequest]) -> QuerySet[SecondOpinionRequest]:
    """Order cases as a navigator works them: overdue, at risk, then soonest target first."""
    return queryset.annotate(
        urgency=Case(
            When(target_state=TargetState.OVERDUE, then=Value(0)),
            When(target_state=TargetState.AT_RISK, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "target_date", "submitted_at")


def case_timeline(case: SecondOpinionRequest) -> list[TimelineEntry]:
    """Return everything that happened to a case, newest first."""
    entries: list[TimelineEntry] = []
    for change in case.status_changes.select_related("changed_by"):
        title = (
            f"{change.get_from_status_display()} → {change.get_to_status_display()}"
            if change.from_status
            else f"Request received ({change.get_to_status_display()})"
        )
        entries.append(
            TimelineEntry(change.changed_at, "status", title, change.note, _who(change.changed_by))
        )
    for assignment in case.assignments.select_related(
        "navigator__user", "previous_navigator__user", "assigned_by"
    ):
        title = f"Assigned to {assignment.navigator}"
        if assignment.previous_navigator:
            title = f"Reassigned from {assignment.previous_navigator} to {assignment.navigator}"
        entries.append(
            TimelineEntry(
                assignment.assigned_at,
                "assignment",
                title,
                assignment.note,
                _who(assignment.assigned_by, default="assignment job"),
            )
        )
    for note in case.notes.select_related("author"):
        title = note.get_kind_display()
        if note.outcome:
            title = f"{title}: {note.get_outcome_display().lower()}"
        entries.append(TimelineEntry(note.created_at, "note", title, note.body, _who(note.author)))
    for appointment in case.appointments.select_related("booked_by"):
        entries.append(
            TimelineEntry(
                appointment.booked_at,
                "appointment",
                f"Appointment booked: {appointment.get_specialty_display()}",
                f"{timezone.localtime(appointment.starts_at):%a %b %d, %H:%M} with "
                f"{appointment.clinician}"
                f" ({appointment.get_state_display().lower()})",
                _who(appointment.booked_by),
            )
        )
    for notification in case.notifications.all():
        entries.append(
            TimelineEntry(
                notification.sent_at or notification.created_at,
                "email",
                f"Email: {notification.get_kind_display()}"
                f" ({notification.get_state_display().lower()})",
                notification.last_error,
                "",
            )
        )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _who(user: object, default: str = "patient or system") -> str:
    if user is None:
        return default
    return user.get_full_name() or user.get_username()
