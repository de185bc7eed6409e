"""The target sweep: keep every open case's target state current and alert once per level.

Run by beat every TARGET_SWEEP_MINUTES (target_sweep_task) and by `manage.py sweep_targets`.
Two sweeps may run at once (two beat processes by mistake): each claims its batch of cases
with SELECT ... FOR UPDATE SKIP LOCKED, and the unique (case, level) constraint of
TargetAlert stops a second alert even if a case were ever seen by both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from navigators.roles import RECORDS_STAFF, SUPERVISORS
from navigators.selectors import staff_with_role

from ..choices import Status, TargetState
from ..models import (
    OPEN_STATUSES,
    SWEPT_TARGET_STATES,
    Appointment,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    TargetAlert,
)
from ..targets import last_target_date_at_risk, last_target_date_passed, target_deadline
from .outbox import notification_owe_many

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
ALERT_KINDS = {
    TargetAlert.Level.AT_RISK: Notification.Kind.ALERT_AT_RISK,
    TargetAlert.Level.OVERDUE: Notification.Kind.ALERT_OVERDUE,
    TargetAlert.Level.UNASSIGNED: Notification.Kind.ALERT_UNASSIGNED,
    TargetAlert.Level.PLAN_OVERDUE: Notification.Kind.ALERT_PLAN_OVERDUE,
    TargetAlert.Level.RECORDS_AT_RISK: Notification.Kind.ALERT_RECORDS_AT_RISK,
}


@dataclass
class SweepResult:
    checked: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], key: str) -> None:
        bucket[str(key)] = bucket.get(str(key), 0) + 1


def target_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Move open cases between on track, at risk and overdue, and owe each alert once."""
    now = now or timezone.now()
    result = SweepResult()
    supervisors = _supervisors()
    _sweep_appointment_targets(now, batch_size, supervisors, result)
    _sweep_plan_targets(now, batch_size, result)
    _sweep_unassigned(now, batch_size, supervisors, result)
    _sweep_records_at_risk(now, batch_size, result)
    logger.info(
        "Target sweep: %s cases checked, changed %s, alerts %s.",
        result.checked,
        result.changed,
        result.alerts,
    )
    return result


@dataclass(frozen=True)
class Recipient:
    pk: int
    email: str
    first_name: str


@dataclass(frozen=True)
class CaseRow:
    """What the sweep needs of a case to alert about it."""

    pk: int
    target_date: date
    navigator_user: Recipient | None
    # The records-at-risk alert's: the coming visit and the items it still waits for.
    visit_at: datetime | None = None
    outstanding: int = 0
    reference: str = ""


def _supervisors() -> list[Recipient]:
    users = staff_with_role(SUPERVISORS).values_list("pk", "email", "first_name")
    return [Recipient(*user) for user in users]


def _transition(
    candidates: QuerySet[SecondOpinionRequest],
    field: str,
    state: str,
    batch_size: int,
    result: SweepResult,
    alert: Callable[[list[CaseRow]], None] | None = None,
) -> None:
    """Move every candidate to `state`, a batch per transaction, alerting in the same one.

    The candidates are claimed with SELECT ... FOR UPDATE SKIP LOCKED: a second sweep
    running at the same time skips them, so each transition (and its alert) happens in
    exactly one sweep.
    """
    while True:
        with transaction.atomic():
            # Plain rows, not model instances: the sweep may read thousands at once.
            batch = [
                CaseRow(pk, target_date, Recipient(user_id, email, first) if user_id else None)
                for pk, target_date, user_id, email, first in candidates.values_list(
                    "pk",
                    "target_date",
                    "navigator__user__id",
                    "navigator__user__email",
                    "navigator__user__first_name",
                )
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:batch_size]
            ]
            if not batch:
                return
            SecondOpinionRequest.objects.filter(pk__in=[case.pk for case in batch]).update(
                **{field: state}
            )
            result.checked += len(batch)
            key = str(state) if field == "target_state" else f"plan_{state}"
            result.changed[key] = result.changed.get(key, 0) + len(batch)
            if alert is not None:
                alert(batch)
        if len(batch) < batch_size:
            return


def _sweep_appointment_targets(
    now: datetime, batch_size: int, supervisors: list[Recipient], result: SweepResult
) -> None:
    # Served by the partial index request_sweep_target_idx: open cases whose state can still
    # change, by target date; a case on track far from its target is not even read.
    swept = SecondOpinionRequest.objects.filter(
        status__in=OPEN_STATUSES, target_state__in=SWEPT_TARGET_STATES
    )
    passed = swept.filter(target_date__lte=last_target_date_passed(now))

    def alert_overdue(batch: list[CaseRow]) -> None:
        _raise_alerts(
            [
                (case, TargetAlert.Level.OVERDUE, _navigator_users(case) + supervisors)
                for case in batch
            ],
            now,
            result,
        )

    def alert_at_risk(batch: list[CaseRow]) -> None:
        _raise_alerts(
            [
                (case, TargetAlert.Level.AT_RISK, _navigator_users(case) or supervisors)
                for case in batch
            ],
            now,
            result,
        )

    _transition(
        passed.filter(first_appointment_at__isnull=True),
        "target_state",
        TargetState.OVERDUE,
        batch_size,
        result,
        alert_overdue,
    )
    # Booked, but after the target date: now that the date has passed, it is missed.
    _transition(
        passed.filter(first_appointment_at__isnull=False),
        "target_state",
        TargetState.MISSED,
        batch_size,
        result,
    )
    at_risk = swept.filter(
        target_state=TargetState.ON_TRACK, target_date__lte=last_target_date_at_risk(now)
    )
    _transition(at_risk, "target_state", TargetState.AT_RISK, batch_size, result, alert_at_risk)


def _navigator_users(case: CaseRow) -> list[Recipient]:
    return [case.navigator_user] if case.navigator_user else []


def _sweep_plan_targets(now: datetime, batch_size: int, result: SweepResult) -> None:
    # Served by the partial index request_sweep_plan_idx.
    late = SecondOpinionRequest.objects.filter(
        status=Status.SEEN,
        plan_target_state__in=SWEPT_TARGET_STATES,
        plan_target_date__lte=last_target_date_passed(now),
    )

    def alert(batch: list[CaseRow]) -> None:
        _raise_alerts(
            [(case, TargetAlert.Level.PLAN_OVERDUE, _navigator_users(case)) for case in batch],
            now,
            result,
        )

    _transition(late, "plan_target_state", TargetState.OVERDUE, batch_size, result, alert)


def _sweep_unassigned(
    now: datetime, batch_size: int, supervisors: list[Recipient], result: SweepResult
) -> None:
    # Served by the partial index request_unassigned_idx.
    cutoff = now - timedelta(hours=settings.UNASSIGNED_ALERT_HOURS)
    waiting = SecondOpinionRequest.objects.filter(
        status=Status.NEW, navigator__isnull=True, submitted_at__lt=cutoff
    ).exclude(target_alerts__level=TargetAlert.Level.UNASSIGNED)
    last_pk = 0
    while True:
        batch = [
            CaseRow(pk, target_date, None)
            for pk, target_date in waiting.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "target_date")[:batch_size]
        ]
        if not batch:
            return
        result.checked += len(batch)
        with transaction.atomic():
            _raise_alerts(
                [(case, TargetAlert.Level.UNASSIGNED, supervisors) for case in batch], now, result
            )
        last_pk = batch[-1].pk


def _sweep_records_at_risk(now: datetime, batch_size: int, result: SweepResult) -> None:
    """Alert the navigator and the records staff, once per case, of a visit within
    VISIT_RECORDS_WARNING_DAYS whose case still has record items needed or requested.

    Records gate the visit, not the booking (DESIGN.md): this is where the gate is.
    """
    window_end = now + timedelta(days=settings.VISIT_RECORDS_WARNING_DAYS)
    # Served by the partial index appointment_booked_idx: booked visits in the window only.
    visits = Appointment.objects.filter(
        state=Appointment.State.BOOKED, starts_at__gt=now, starts_at__lte=window_end
    )
    outstanding = RecordItem.objects.filter(
        case=OuterRef("pk"), status__in=(RecordItem.State.NEEDED, RecordItem.State.REQUESTED)
    )
    waiting = (
        SecondOpinionRequest.objects.filter(
            status__in=OPEN_STATUSES, pk__in=visits.values("case_id")
        )
        .filter(Exists(outstanding))
        .exclude(target_alerts__level=TargetAlert.Level.RECORDS_AT_RISK)
    )
    records_staff = [Recipient(*user) for user in _records_staff()]
    last_pk = 0
    while True:
        rows = list(
            waiting.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list(
                "pk",
                "target_date",
                "reference",
                "navigator__user__id",
                "navigator__user__email",
                "navigator__user__first_name",
            )[:batch_size]
        )
        if not rows:
            return
        pks = [row[0] for row in rows]
        first_visit = dict(
            visits.filter(case_id__in=pks)
            .order_by("case_id", "starts_at")
            .distinct("case_id")
            .values_list("case_id", "starts_at")
        )
        counts: dict[int, int] = {}
        for case_id in RecordItem.objects.filter(
            case_id__in=pks, status__in=(RecordItem.State.NEEDED, RecordItem.State.REQUESTED)
        ).values_list("case_id", flat=True):
            counts[case_id] = counts.get(case_id, 0) + 1
        batch = [
            CaseRow(
                pk,
                target_date,
                Recipient(user_id, email, first) if user_id else None,
                visit_at=first_visit.get(pk),
                outstanding=counts.get(pk, 0),
                reference=reference,
            )
            for pk, target_date, reference, user_id, email, first in rows
        ]
        result.checked += len(batch)
        with transaction.atomic():
            _raise_alerts(
                [
                    (
                        case,
                        TargetAlert.Level.RECORDS_AT_RISK,
                        _navigator_users(case) + records_staff,
                    )
                    for case in batch
                ],
                now,
                result,
            )
        last_pk = batch[-1].pk


def _records_staff() -> list[tuple[int, str, str]]:
    return list(staff_with_role(RECORDS_STAFF).values_list("pk", "email", "first_name"))


def _raise_alerts(
    due: list[tuple[CaseRow, str, list[Recipient]]],
    now: datetime,
    result: SweepResult,
) -> None:
    """Record each (case, level) alert not yet recorded, and owe its emails, in bulk."""
    if not due:
        return
    created = _insert_alerts([(case.pk, level) for case, level, _recipients in due], now)
    owed = []
    for case, level, recipients in due:
        alert_id = created.get((case.pk, str(level)))
        if alert_id is None:
            continue  # Recorded before, by this sweep's past runs or by another sweep.
        result.count(result.alerts, level)
        hours_left = max(int((target_deadline(case.target_date) - now).total_seconds() // 3600), 0)
        for user in {user.pk: user for user in recipients if user.email}.values():
            context: dict[str, object] = {
                "staff_first_name": user.first_name,
                "target_date": case.target_date.isoformat(),
                "hours_left": hours_left,
            }
            if case.visit_at is not None:
                context["visit_date"] = timezone.localdate(case.visit_at).isoformat()
                context["records_outstanding"] = case.outstanding
                context["records_url"] = _records_url(case.reference)
            owed.append(
                (case.pk, ALERT_KINDS[level], f"alert:{alert_id}:{user.pk}", user.email, context)
            )
    notification_owe_many(owed=owed, now=now)


def _records_url(reference: str) -> str:
    """Return the link to a case's record items: its reference searched, nothing private."""
    query = urlencode({"q": reference})
    return f"{settings.SITE_URL}{reverse('admin:requests_recorditem_changelist')}?{query}"


def _insert_alerts(pairs: list[tuple[int, str]], now: datetime) -> dict[tuple[int, str], int]:
    """Insert the alerts that do not exist yet; return the ids of those this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING tells exactly which rows are ours: of two
    sweeps inserting the same (case, level), one gets the row back and the other nothing.
    """
    table = connection.ops.quote_name(TargetAlert._meta.db_table)
    placeholders = ", ".join(["(%s, %s, %s)"] * len(pairs))
    stamp = connection.ops.adapt_datetimefield_value(now)
    params = [value for pk, level in pairs for value in (pk, str(level), stamp)]
    sql = (
        f"INSERT INTO {table} (request_id, level, created_at) VALUES {placeholders} "  # noqa: S608 (table name from the model, values are parameters)
        "ON CONFLICT (request_id, level) DO NOTHING RETURNING id, request_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(case_id, level): pk for pk, case_id, level in cursor.fetchall()}
