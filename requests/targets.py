"""The 7-day target's arithmetic, in one place for the form, the admin and the sweep.

Dates are the center's local calendar days (settings.TIME_ZONE); moments are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from .choices import TargetState


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
    is after, and the target has passed. A closed case without an appointment keeps the state
    it had (a withdrawn request is not a missed target).
    """
    deadline = target_deadline(target_date)
    if first_appointment_at is not None and first_appointment_at < deadline:
        return TargetState.MET
    if not is_open and first_appointment_at is None:
        return current
    if now >= deadline:
        return TargetState.OVERDUE if first_appointment_at is None else TargetState.MISSED
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
