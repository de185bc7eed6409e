"""The 7-day target's arithmetic, in one place for the form, the admin and the sweep.

Dates are the center's local calendar days (settings.TIME_ZONE); moments are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import Status, TargetState

if TYPE_CHECKING:
    from .models import SecondOpinionRequest

TargetColour = Literal["ok", "warn", "danger", "done"]
# Statuses past booking: the visit decides the target, so no "days left" is shown.
VISIT_STATUSES = frozenset({Status.SCHEDULED, Status.SEEN, Status.PLAN_DELIVERED})


def target_date_for(submitted_at: datetime) -> date:
    """Return the date by which the first appointment should be: submission + target days."""
    return timezone.localdate(submitted_at) + timedelta(days=settings.APPOINTMENT_TARGET_DAYS)


def plan_target_date_for(first_visit_at: datetime) -> date:
    """Return the date by which the treatment plan should be delivered after the first visit."""
    return timezone.localdate(first_visit_at) + timedelta(days=settings.PLAN_TARGET_DAYS)


def plan_target_state_for(*, plan_target_date: date | None, delivered_at: datetime) -> str:
    """Return the decided state of a plan target once the plan is delivered: met on or
    before the plan target date (none set: met), missed after it."""
    on_time = plan_target_date is None or timezone.localdate(delivered_at) <= plan_target_date
    return TargetState.MET if on_time else TargetState.MISSED


def target_deadline(target_date: date) -> datetime:
    """Return the moment the target date ends: midnight after it, in the center's zone."""
    zone = timezone.get_default_timezone()
    return datetime.combine(target_date + timedelta(days=1), time.min, tzinfo=zone)


def days_left(target_date: date, *, today: date | None = None) -> int:
    """Return the calendar days from today to the target date (negative once it has passed)."""
    return (target_date - (today or timezone.localdate())).days


def target_state_for(
    *,
    target_date: date,
    first_appointment_at: datetime | None,
    is_open: bool,
    current: str,
    now: datetime,
) -> str:
    """Return the target state (DESIGN.md, "The 7-day target") of one case at `now`.

    Met: the first appointment that still stands is before the target date ends. Missed: it
    is after, from the moment it is booked (no visit inside the target is standing, so the
    promise is already broken). A closed case without an appointment keeps the state it had
    (a withdrawn request is not a missed target).
    """
    deadline = target_deadline(target_date)
    if first_appointment_at is not None:
        return TargetState.MET if first_appointment_at < deadline else TargetState.MISSED
    if not is_open:
        return current
    if now >= deadline:
        return TargetState.OVERDUE
    if deadline - now < timedelta(days=settings.TARGET_WARNING_DAYS):
        return TargetState.AT_RISK
    return TargetState.ON_TRACK


def last_target_date_passed(now: datetime) -> date:
    """Return the latest target date whose deadline has passed at `now` (overdue from then)."""
    day = timezone.localdate(now)
    while target_deadline(day) > now:
        day -= timedelta(days=1)
    return day


def last_target_date_at_risk(now: datetime) -> date:
    """Return the latest target date that is at risk at `now` (less than the warning away).

    The sweep compares dates with these two bounds, so that the database does the scan;
    both are derived from target_deadline, the one definition of the deadline.
    """
    warning = now + timedelta(days=settings.TARGET_WARNING_DAYS)
    day = timezone.localdate(warning)
    while target_deadline(day) >= warning:
        day -= timedelta(days=1)
    return day


def late_booking_after(
    *, target_date: date, first_appointment_at: datetime | None
) -> datetime | None:
    """Return the moment from which booking a visit misses the target, or None when the
    case already has a standing visit within it (a later one misses nothing).

    The booking form and appointment_book both ask for a reason from this moment on.
    """
    deadline = target_deadline(target_date)
    if first_appointment_at is not None and first_appointment_at < deadline:
        return None
    return deadline


def case_target_state(case: SecondOpinionRequest, *, now: datetime | None = None) -> str:
    """Return a case's target state now, by target_state_for (the sweep may lag behind)."""
    return target_state_for(
        target_date=case.target_date,
        first_appointment_at=case.first_appointment_at,
        is_open=case.is_open,
        current=case.target_state,
        now=now or timezone.now(),
    )


def target_words(case: SecondOpinionRequest, *, now: datetime | None = None) -> str:
    """Return a case's target in words: "3 days left", "1 day left", "due today", "2 days
    overdue", "met", "missed (visit after target)", "visit booked" or "closed".

    A case with a visit booked shows the visit's verdict, never days left.
    """
    state = case_target_state(case, now=now)
    if state == TargetState.MET:
        return _("met")
    if state == TargetState.MISSED:
        if case.first_appointment_at is not None:
            return _("missed (visit after target)")
        return _("missed")
    if not case.is_open:
        return _("closed")
    if case.status in VISIT_STATUSES:
        return _("visit booked")
    today = timezone.localdate(now) if now else None
    left = days_left(case.target_date, today=today)
    if left < 0:
        return ngettext("%(n)d day overdue", "%(n)d days overdue", -left) % {"n": -left}
    if left == 0:
        return _("due today")
    return ngettext("%(n)d day left", "%(n)d days left", left) % {"n": left}


def target_colour(case: SecondOpinionRequest, *, now: datetime | None = None) -> TargetColour:
    """Return the colour of a case's target: ok, warn (at risk), danger (overdue or
    missed) or done (met, closed, or a visit booked)."""
    state = case_target_state(case, now=now)
    if state == TargetState.MISSED:
        return "danger"
    if state == TargetState.MET or not case.is_open or case.status in VISIT_STATUSES:
        return "done"
    if state == TargetState.OVERDUE:
        return "danger"
    if state == TargetState.AT_RISK:
        return "warn"
    return "ok"
