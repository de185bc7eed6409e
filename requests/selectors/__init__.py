"""The reads that several pages share, by subject; this package names them all.

cases (the work list's order, a case's timeline and appointments), records (progress, what
is outstanding, what to chase), support (due dates, insurance still open), status (the
patient's tracker), dashboard (the program's figures), outbox (what it holds).
"""

from __future__ import annotations

from .cases import TimelineEntry, case_appointments, case_timeline, cases_by_urgency
from .dashboard import (
    FacilityDelay,
    Performance,
    cases_needing_attention,
    open_by_target_state,
    performance,
    performance_by_window,
    program_figures,
    slowest_facilities,
    weekly,
    weekly_chart,
)
from .outbox import outbox_counts
from .records import (
    OUTSTANDING,
    RecordsProgress,
    chase_due,
    record_item_due_chase,
    records_outstanding,
    records_progress,
    to_chase,
    with_records_progress,
)
from .status import Tracker, status_case_find, status_tracker
from .support import insurance_verification_open, support_due_date

__all__ = [
    "OUTSTANDING",
    "FacilityDelay",
    "Performance",
    "RecordsProgress",
    "TimelineEntry",
    "Tracker",
    "case_appointments",
    "case_timeline",
    "cases_by_urgency",
    "cases_needing_attention",
    "chase_due",
    "insurance_verification_open",
    "open_by_target_state",
    "outbox_counts",
    "performance",
    "performance_by_window",
    "program_figures",
    "record_item_due_chase",
    "records_outstanding",
    "records_progress",
    "slowest_facilities",
    "status_case_find",
    "status_tracker",
    "support_due_date",
    "to_chase",
    "weekly",
    "weekly_chart",
    "with_records_progress",
]
