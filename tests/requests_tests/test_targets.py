"""The 7-day target's arithmetic, at its boundaries and across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests.choices import TargetState
from requests.targets import (
    plan_target_state_for,
    target_date_for,
    target_deadline,
    target_state_for,
)

WARNING = timedelta(days=2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def state(now: datetime, target: date, first: datetime | None = None, is_open: bool = True) -> str:
    return target_state_for(
        target_date=target,
        first_appointment_at=first,
        is_open=is_open,
        current=TargetState.ON_TRACK,
        now=now,
    )


def test_target_date_is_seven_local_calendar_days_later() -> None:
    """Late evening in New York is already tomorrow in UTC: the local date counts."""
    assert target_date_for(utc(2026, 11, 26, 3, 30)) == date(2026, 12, 2)  # Nov 25, 22:30 EST
    assert target_date_for(utc(2026, 11, 26, 5, 30)) == date(2026, 12, 3)  # Nov 26, 00:30 EST


def test_deadline_is_local_midnight_after_the_target_date_across_dst() -> None:
    """The deadline follows the center's clock on both sides of a daylight-saving change."""
    assert target_deadline(date(2026, 10, 30)) == utc(2026, 10, 31, 4)  # EDT, UTC-4
    assert target_deadline(date(2026, 11, 3)) == utc(2026, 11, 4, 5)  # EST, UTC-5
    assert target_deadline(date(2026, 3, 8)) == utc(2026, 3, 9, 4)  # the spring change day


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 2, 4, 59), TargetState.ON_TRACK),  # just before the warning
        (utc(2026, 11, 2, 5, 1), TargetState.AT_RISK),  # just after it
        (utc(2026, 11, 4, 4, 59), TargetState.AT_RISK),  # just before the target ends
        (utc(2026, 11, 4, 5, 0), TargetState.OVERDUE),  # the moment it ends
    ],
)
def test_boundaries_after_the_autumn_change(now: datetime, expected: str) -> None:
    """Submitted Oct 27 (EDT), target Nov 3 (EST): the thresholds land on local midnights."""
    target = target_date_for(utc(2026, 10, 27, 14))
    assert target == date(2026, 11, 3)
    assert state(now, target) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 13, 3, 59), TargetState.ON_TRACK),
        (utc(2026, 3, 13, 4, 1), TargetState.AT_RISK),
        (utc(2026, 3, 15, 3, 59), TargetState.AT_RISK),
        (utc(2026, 3, 15, 4, 0), TargetState.OVERDUE),
    ],
)
def test_boundaries_after_the_spring_change(now: datetime, expected: str) -> None:
    target = target_date_for(utc(2026, 3, 7, 15))  # Mar 7 EST; target Mar 14 EDT
    assert target == date(2026, 3, 14)
    assert state(now, target) == expected


def test_met_when_the_first_appointment_is_by_the_end_of_the_target_date() -> None:
    target = date(2026, 12, 2)
    last_minute = utc(2026, 12, 3, 4, 59)  # Dec 2, 23:59 EST
    assert state(utc(2026, 11, 26), target, first=last_minute) == TargetState.MET
    assert state(utc(2026, 12, 10), target, first=last_minute) == TargetState.MET


def test_an_appointment_after_the_target_is_missed_from_the_moment_it_is_booked() -> None:
    """A standing visit after the target is a miss at once, not "on track" until the date."""
    target = date(2026, 12, 2)
    late = utc(2026, 12, 3, 5)  # Dec 3, 00:00 EST
    assert state(utc(2026, 11, 26), target, first=late) == TargetState.MISSED
    assert state(utc(2026, 12, 1, 12), target, first=late) == TargetState.MISSED
    assert state(utc(2026, 12, 3, 6), target, first=late) == TargetState.MISSED


def test_a_closed_case_without_appointment_keeps_its_state() -> None:
    """A withdrawn request is not a missed target."""
    assert state(utc(2026, 12, 20), date(2026, 12, 2), is_open=False) == TargetState.ON_TRACK


# Hypothesis takes naive bounds; `timezones` makes the values it draws aware (UTC).
BOUNDS = {"min_value": datetime(2025, 1, 1), "max_value": datetime(2028, 12, 31)}  # noqa: DTZ001


@given(
    now=st.datetimes(**BOUNDS, timezones=st.just(UTC)),
    offset=st.integers(min_value=-20, max_value=20),
)
def test_sweep_bounds_agree_with_the_state_rule(now: datetime, offset: int) -> None:
    """The date bounds the sweep queries with classify every date as target_state_for does."""
    from requests.targets import last_target_date_at_risk, last_target_date_passed

    target = now.date() + timedelta(days=offset)
    expected = state(now, target)
    if target <= last_target_date_passed(now):
        assert expected == TargetState.OVERDUE
    elif target <= last_target_date_at_risk(now):
        assert expected == TargetState.AT_RISK
    else:
        assert expected == TargetState.ON_TRACK


def test_a_plan_is_met_through_its_target_date_and_missed_the_day_after() -> None:
    """Local days: delivered at 23:59 on the plan target date is met, at 00:01 after, missed."""
    target = date(2026, 6, 10)
    last_minute = target_deadline(target) - timedelta(minutes=1)
    assert plan_target_state_for(plan_target_date=target, delivered_at=last_minute) == "met"
    assert (
        plan_target_state_for(
            plan_target_date=target, delivered_at=last_minute + timedelta(minutes=2)
        )
        == "missed"
    )
    assert plan_target_state_for(plan_target_date=None, delivered_at=last_minute) == "met"
