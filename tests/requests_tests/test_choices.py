"""The status sets beside Status and TargetState: open or terminal, swept or final."""

from __future__ import annotations

from requests.choices import (
    OPEN_STATUSES,
    SWEPT_TARGET_STATES,
    TERMINAL_STATUSES,
    Status,
    TargetState,
)


def test_every_status_is_open_or_terminal_never_both() -> None:
    """A status added to Status must be placed in one of the two sets."""
    assert set(OPEN_STATUSES) | set(TERMINAL_STATUSES) == set(Status.values)
    assert not set(OPEN_STATUSES) & set(TERMINAL_STATUSES)


def test_terminal_statuses_are_closed_withdrawn_and_declined() -> None:
    assert set(TERMINAL_STATUSES) == {"closed", "withdrawn", "declined"}


def test_open_statuses_keep_the_lifecycle_order() -> None:
    """The partial index built on them migrates the same way every time."""
    assert list(OPEN_STATUSES) == [status for status in Status.values if status in OPEN_STATUSES]


def test_the_sweep_moves_only_cases_on_track_or_at_risk() -> None:
    """Overdue is the sweep's last step; met and missed come from the appointment."""
    assert set(SWEPT_TARGET_STATES) == set(TargetState.values) - {"overdue", "met", "missed"}
