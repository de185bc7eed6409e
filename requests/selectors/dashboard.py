"""The program's figures for the staff dashboard: computed in the database.

"Within target" counts the cases whose target is decided: met (first appointment before the
target date ended), missed (after it) or overdue (target passed with no appointment).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from ..choices import DiseaseGroup, TargetState
from ..models import OPEN_STATUSES, RecordItem, SecondOpinionRequest

DECIDED = Q(target_state__in=[TargetState.MET, TargetState.MISSED, TargetState.OVERDUE])
WITHIN = Q(target_state=TargetState.MET)
WINDOWS = (30, 90)


class MedianDays(Aggregate):
    """PostgreSQL: the median of `end - start`, in days (rows without `end` are ignored)."""

    template = (
        "PERCENTILE_CONT(0.5) WITHIN GROUP "
        "(ORDER BY EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
    )
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str, **extra: Any) -> None:
        super().__init__(F(end), F(start), **extra)


@dataclass(frozen=True)
class Performance:
    label: str
    cases: int
    decided: int
    within: int
    median_days: float | None

    @property
    def share(self) -> float | None:
        """Return the share of decided cases that met the target, from 0 to 1."""
        return self.within / self.decided if self.decided else None


def open_by_target_state() -> dict[str, int]:
    """Return the number of open cases in each target state."""
    counts = dict.fromkeys(TargetState.values, 0)
    rows = (
        SecondOpinionRequest.objects.filter(status__in=OPEN_STATUSES)
        .values("target_state")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts.update({row["target_state"]: row["count"] for row in rows})
    return counts


def cases_needing_attention(state: str, limit: int = 100) -> QuerySet[SecondOpinionRequest]:
    """Return open cases in a target state (at risk or overdue), soonest target first."""
    return (
        SecondOpinionRequest.objects.filter(status__in=OPEN_STATUSES, target_state=state)
        .select_related("navigator__user")
        .order_by("target_date", "submitted_at")[:limit]
    )


def performance(
    *, days: int, group_by: str | None = None, now: datetime | None = None
) -> list[Performance]:
    """Return the target figures of requests submitted in the last `days` days.

    One row for the whole program, or one per value of `group_by` ("navigator" or
    "cancer_type").
    """
    return performance_by_window(windows=(days,), group_by=group_by, now=now)[days]


def performance_by_window(
    *,
    windows: tuple[int, ...] = WINDOWS,
    group_by: str | None = None,
    now: datetime | None = None,
) -> dict[int, list[Performance]]:
    """Return performance() for each window of days, from one query for all of them."""
    now = now or timezone.now()
    since = {days: now - timedelta(days=days) for days in windows}
    queryset = SecondOpinionRequest.objects.filter(submitted_at__gte=min(since.values()))
    aggregates: dict[str, Any] = {}
    for days, start in since.items():
        in_window = Q(submitted_at__gte=start)
        aggregates[f"cases_{days}"] = Count("id", filter=in_window)
        aggregates[f"decided_{days}"] = Count("id", filter=in_window & DECIDED)
        aggregates[f"within_{days}"] = Count("id", filter=in_window & WITHIN)
        if connection.vendor == "postgresql":
            aggregates[f"median_{days}"] = MedianDays(
                "first_appointment_at", "submitted_at", filter=in_window
            )
    key = {None: None, "navigator": "navigator_id", "cancer_type": "cancer_type"}[group_by]
    if key is None:
        rows = [{key: None, **queryset.aggregate(**aggregates)}]
        labels = {None: "All requests"}
    else:
        rows = list(queryset.values(key).annotate(**aggregates).order_by(key))
        labels = group_labels(group_by)
    medians = _medians_in_python(queryset, key, since) if connection.vendor != "postgresql" else {}
    result: dict[int, list[Performance]] = {}
    for days in since:
        result[days] = [
            _performance(
                labels.get(row[key], "Unassigned"), row, days, medians.get((days, row[key]))
            )
            for row in rows
            if key is None or row[f"cases_{days}"]  # a group only where it had requests
        ]
    return result


def program_figures(now: datetime | None = None) -> dict[str, dict[int, list[Performance]]]:
    """Return the dashboard's performance tables: the program, by navigator, by disease group.

    Three queries, each covering every window.
    """
    overall = performance_by_window(now=now)
    return {
        "overall": {days: rows[0] for days, rows in overall.items()},
        "by_navigator": performance_by_window(group_by="navigator", now=now),
        "by_group": performance_by_window(group_by="cancer_type", now=now),
    }


@dataclass(frozen=True)
class FacilityDelay:
    facility: str
    items: int
    median_days: float | None
    phone: str = ""  # the records phone, from the facility directory


def slowest_facilities(
    *, days: int = 90, limit: int = 15, now: datetime | None = None
) -> list[FacilityDelay]:
    """Return the facilities slowest to send records: median days from requested to received.

    Items linked to the facility directory count under its entry (whatever name each was
    typed with) and bring its phone; the others under the name typed.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    received = RecordItem.objects.filter(
        status=RecordItem.State.RECEIVED, received_at__gte=since, requested_at__isnull=False
    ).annotate(
        label=Coalesce("facility_ref__name", "facility"),
        label_phone=Coalesce("facility_ref__phone", Value("")),
    )
    if connection.vendor == "postgresql":
        rows = (
            received.values("label", "label_phone")
            .annotate(items=Count("id"), median=MedianDays("received_at", "requested_at"))
            .order_by(F("median").desc(nulls_last=True), "label")[:limit]
        )
        return [
            FacilityDelay(row["label"], row["items"], round(row["median"], 1), row["label_phone"])
            for row in rows
        ]
    delays: dict[tuple[str, str], list[float]] = {}
    for label, phone, requested, got in received.values_list(
        "label", "label_phone", "requested_at", "received_at"
    ):
        delays.setdefault((label, phone), []).append((got - requested).total_seconds() / 86400)
    result = [
        FacilityDelay(label, len(values), round(statistics.median(values), 1), phone)
        for (label, phone), values in delays.items()
    ]
    return sorted(result, key=lambda row: (-(row.median_days or 0), row.facility))[:limit]


def weekly(*, weeks: int = 12, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return, for each of the last `weeks` weeks, the requests received and the share met."""
    now = now or timezone.now()
    start = timezone.localtime(now) - timedelta(weeks=weeks)
    rows = (
        SecondOpinionRequest.objects.filter(submitted_at__gte=start)
        .annotate(week=TruncWeek("submitted_at"))
        .values("week")
        .annotate(
            cases=Count("id"),
            decided=Count("id", filter=DECIDED),
            within=Count("id", filter=WITHIN),
        )
        .order_by("week")
    )
    by_week = {
        row["week"].date() if hasattr(row["week"], "date") else row["week"]: row for row in rows
    }
    first_monday = (start - timedelta(days=start.weekday())).date()
    result = []
    for index in range(weeks + 1):
        week = first_monday + timedelta(weeks=index)
        row = by_week.get(week, {"cases": 0, "decided": 0, "within": 0})
        share = row["within"] / row["decided"] if row["decided"] else None
        result.append({"week": week, "cases": row["cases"], "share": share})
    return result


def weekly_chart(
    rows: list[dict[str, Any]], *, width: int = 720, height: int = 300
) -> dict[str, Any]:
    """Return the coordinates of an SVG chart: bars of volume, a line of share within target.

    The chart carries its own axes, tick labels and legend so that it reads without the table:
    the left axis counts requests, the right axis the share in per cent, the bottom one weeks.
    """
    left, right, bottom, top = 56, 56, 52, 40
    plot_height = height - bottom - top
    plot_right = width - right
    axis_y = top + plot_height
    step = (plot_right - left) / max(len(rows), 1)
    most = max((row["cases"] for row in rows), default=0) or 1
    bars, points = [], []
    for index, row in enumerate(rows):
        x = left + index * step
        bar_height = plot_height * row["cases"] / most
        bars.append(
            {
                "x": round(x + step * 0.15, 1),
                "width": round(step * 0.7, 1),
                "y": round(axis_y - bar_height, 1),
                "height": round(bar_height, 1),
                "label": row["week"].strftime("%b %d"),
                "cases": row["cases"],
                "label_x": round(x + step / 2, 1),
            }
        )
        if row["share"] is not None:
            points.append(
                {
                    "x": round(x + step / 2, 1),
                    "y": round(top + plot_height * (1 - row["share"]), 1),
                    "share": round(row["share"] * 100),
                    "label": row["week"].strftime("%b %d"),
                }
            )
    count_ticks = sorted({0, most // 2, most}) if most > 1 else [0, 1]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "points": points,
        "line": " ".join(f"{point['x']},{point['y']}" for point in points),
        "most": most,
        "axis_y": axis_y,
        "left": left,
        "right": plot_right,
        "top": top,
        "label_y": axis_y + 16,
        "x_title_x": round((left + plot_right) / 2, 1),
        "x_title_y": height - 8,
        "y_title_y": round(top + plot_height / 2, 1),
        "right_title_x": width - 12,
        "count_ticks": [
            {"value": value, "y": round(axis_y - plot_height * value / most, 1)}
            for value in count_ticks
        ],
        "share_ticks": [
            {"value": value, "y": round(axis_y - plot_height * value / 100, 1)}
            for value in (0, 50, 100)
        ],
    }


def _performance(
    label: str, row: dict[str, Any], days: int, python_median: float | None
) -> Performance:
    median = row.get(f"median_{days}", python_median)
    return Performance(
        label=str(label),
        cases=row[f"cases_{days}"],
        decided=row[f"decided_{days}"],
        within=row[f"within_{days}"],
        median_days=round(median, 1) if median is not None else None,
    )


def _medians_in_python(
    queryset: QuerySet[SecondOpinionRequest], key: str | None, since: dict[int, datetime]
) -> dict[tuple[int, Any], float]:
    """Return the median days of each (window, group) where the database has no
    PERCENTILE_CONT (SQLite, for local use), from one query."""
    delays: dict[tuple[int, Any], list[float]] = {}
    rows = queryset.filter(first_appointment_at__isnull=False).values_list(
        key or "pk", "submitted_at", "first_appointment_at"
    )
    for group, submitted, first in rows:
        for days, start in since.items():
            if submitted >= start:
                delays.setdefault((days, group if key else None), []).append(
                    (first - submitted).total_seconds() / 86400
                )
    return {window: statistics.median(values) for window, values in delays.items()}


def group_labels(group_by: str) -> dict[Any, str]:
    """Return the display name of each value of `group_by`."""
    if group_by == "cancer_type":
        return {value: str(label) for value, label in DiseaseGroup.choices}
    from navigators.models import Navigator

    return {navigator.pk: str(navigator) for navigator in Navigator.objects.select_related("user")}
