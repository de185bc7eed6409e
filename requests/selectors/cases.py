"""Reads that the staff pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, CharField, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from ..choices import Status, TargetState
from ..models import Appointment, CaseNote, Notification, SecondOpinionRequest


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


def _name(user: str) -> Any:
    """SQL for how staff are named on the timeline: the user at the path `user`, by full name,
    else username (NULL for none)."""
    full = Trim(Concat(F(f"{user}__first_name"), Value(" "), F(f"{user}__last_name")))
    return Coalesce(NullIf(full, Value("")), F(f"{user}__username"))


def _timeline_rows(case: SecondOpinionRequest) -> Any:
    """Return one query over the status changes, assignments, notes and emails of a case.

    Each row: when, what kind, two codes, a detail, who, and for an assignment the navigator
    and the previous one.
    """
    none = Value(None, output_field=CharField())
    columns = ("t_at", "t_kind", "t_a", "t_b", "t_detail", "t_who", "t_nav", "t_prev")

    def part(queryset: QuerySet[Any], **fields: Any) -> QuerySet[Any]:
        return queryset.order_by().annotate(**fields).values_list(*columns)

    return part(
        case.status_changes.all(),
        t_at=F("changed_at"),
        t_kind=Value("status"),
        t_a=F("from_status"),
        t_b=F("to_status"),
        t_detail=F("note"),
        t_who=_name("changed_by"),
        t_nav=none,
        t_prev=none,
    ).union(
        part(
            case.assignments.all(),
            t_at=F("assigned_at"),
            t_kind=Value("assignment"),
            t_a=none,
            t_b=none,
            t_detail=F("note"),
            t_who=_name("assigned_by"),
            t_nav=_name("navigator__user"),
            t_prev=_name("previous_navigator__user"),
        ),
        part(
            case.notes.all(),
            t_at=F("created_at"),
            t_kind=Value("note"),
            t_a=F("kind"),
            t_b=F("outcome"),
            t_detail=F("body"),
            t_who=_name("author"),
            t_nav=none,
            t_prev=none,
        ),
        part(
            case.notifications.all(),
            t_at=Coalesce(F("sent_at"), F("created_at")),
            t_kind=Value("email"),
            t_a=F("kind"),
            t_b=F("state"),
            t_detail=F("last_error"),
            t_who=Value(""),
            t_nav=none,
            t_prev=none,
        ),
        all=True,
    )


def case_appointments(case: SecondOpinionRequest) -> list[Appointment]:
    """Return a case's appointments, each with the name of who booked it (booked_by_name)."""
    return list(case.appointments.annotate(booked_by_name=_name("booked_by")))


def case_timeline(
    case: SecondOpinionRequest, appointments: list[Appointment] | None = None
) -> list[TimelineEntry]:
    """Return everything that happened to a case, newest first, from one query (and one more
    for the appointments unless the caller has them, from case_appointments)."""
    statuses = dict(Status.choices)
    note_kinds, outcomes = dict(CaseNote.Kind.choices), dict(CaseNote.Outcome.choices)
    email_kinds, email_states = dict(Notification.Kind.choices), dict(Notification.State.choices)
    entries: list[TimelineEntry] = []
    for at, kind, code, other, detail, who, navigator, previous in _timeline_rows(case):
        if kind == "status":
            title = (
                f"{statuses[code]} → {statuses[other]}"
                if code
                else f"Request received ({statuses[other]})"
            )
            entries.append(TimelineEntry(at, kind, title, detail, who or "patient or system"))
        elif kind == "assignment":
            title = f"Assigned to {navigator}"
            if previous:
                title = f"Reassigned from {previous} to {navigator}"
            entries.append(TimelineEntry(at, kind, title, detail, who or "assignment job"))
        elif kind == "note":
            title = str(note_kinds[code])
            if other:
                title = f"{title}: {str(outcomes[other]).lower()}"
            entries.append(TimelineEntry(at, kind, title, detail, who or "patient or system"))
        else:
            title = f"Email: {email_kinds[code]} ({str(email_states[other]).lower()})"
            entries.append(TimelineEntry(at, kind, title, detail, ""))
    if appointments is None:
        appointments = case_appointments(case)
    for appointment in appointments:
        entries.append(
            TimelineEntry(
                appointment.booked_at,
                "appointment",
                f"Appointment booked: {appointment.get_specialty_display()}",
                f"{timezone.localtime(appointment.starts_at):%a %b %d, %H:%M} with "
                f"{appointment.clinician}"
                f" ({appointment.get_state_display().lower()})",
                appointment.booked_by_name or "patient or system",
            )
        )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
