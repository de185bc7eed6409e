"""Reads about outside medical records: a case's progress, what is outstanding, what to chase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import OPEN_STATUSES, Appointment, Facility, RecordItem, SecondOpinionRequest

State = RecordItem.State


OUTSTANDING = (State.NEEDED, State.REQUESTED)


@dataclass(frozen=True)
class RecordsProgress:
    received: int
    total: int
    unable: int
    outstanding: int

    def __str__(self) -> str:
        text = _("records %(received)d of %(total)d received") % {
            "received": self.received,
            "total": self.total,
        }
        if self.unable:
            text += _(" (%(n)d unable to obtain)") % {"n": self.unable}
        return text


# What records_progress counts: the items that matter (all but "not needed"), and of them...
PROGRESS_COUNTS = {
    "total": ~Q(status=State.NOT_NEEDED),
    "received": Q(status=State.RECEIVED),
    "unable": Q(status=State.UNABLE),
    "outstanding": Q(status__in=OUTSTANDING),
}


def with_records_progress(
    queryset: QuerySet[SecondOpinionRequest],
) -> QuerySet[SecondOpinionRequest]:
    """Annotate cases with their records progress, which records_progress() then reads."""
    return queryset.annotate(
        **{
            f"records_{name}": Coalesce(
                Subquery(
                    RecordItem.objects.filter(condition, case=OuterRef("pk"))
                    .order_by()
                    .values("case")
                    .annotate(count=Count("pk"))
                    .values("count")
                ),
                0,
            )
            for name, condition in PROGRESS_COUNTS.items()
        }
    )


def records_progress(case: SecondOpinionRequest) -> RecordsProgress:
    """Return how far the records of a case are: "records 3 of 5 received"."""
    if hasattr(case, "records_total"):  # read with the case (with_records_progress)
        return RecordsProgress(
            **{name: getattr(case, f"records_{name}") for name in PROGRESS_COUNTS}
        )
    counts = case.record_items.aggregate(
        **{name: Count("id", filter=condition) for name, condition in PROGRESS_COUNTS.items()}
    )
    return RecordsProgress(**counts)


def records_outstanding(case: SecondOpinionRequest) -> int:
    """Return how many items of a case are still needed or requested."""
    return case.record_items.filter(status__in=OUTSTANDING).count()


def chase_due(now: datetime | None = None) -> Q:
    """Return the rule of the items to chase (on RecordItem): requested more than
    RECORDS_FOLLOW_UP_DAYS ago, not received yet, on a case still open.

    The one statement of the rule: the digest, the worklist's "to chase" filter and its
    flag (record_item_due_chase) all read it.
    """
    return Q(
        status=State.REQUESTED,
        requested_at__lt=_chase_cutoff(now),
        case__status__in=OPEN_STATUSES,
    )


def to_chase(now: datetime | None = None) -> QuerySet[RecordItem]:
    """Return the items to chase (chase_due)."""
    return RecordItem.objects.filter(chase_due(now))


def record_item_due_chase(item: RecordItem, now: datetime | None = None) -> bool:
    """Return whether one item, already read with its case, is to chase: chase_due in Python,
    so that a list of items needs no query per row."""
    return (
        item.status == State.REQUESTED
        and item.requested_at is not None
        and item.requested_at < _chase_cutoff(now)
        and item.case.status in OPEN_STATUSES
    )


def _chase_cutoff(now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.RECORDS_FOLLOW_UP_DAYS)


# --- The records desk ----------------------------------------------------------------------

# The most names a directory datalist offers: typing narrows the browser's list, and a
# directory past this size is searched on the directory page.
FACILITY_NAMES_MAX = 2000


def facility_names() -> list[str]:
    """Return the directory's facility names, for the datalists of the facility fields."""
    return list(
        Facility.objects.order_by("name").values_list("name", flat=True)[:FACILITY_NAMES_MAX]
    )


def facility_for_name(name: str) -> Facility | None:
    """Return the directory's entry named `name` (whatever its case and outer spaces)."""
    name = (name or "").strip()
    if not name:
        return None
    return Facility.objects.filter(name__iexact=name).first()


DESK_COLUMNS = (
    "kind",
    "facility",
    "status",
    "method",
    "requested_at",
    "received_at",
    "created_at",
    "case__reference",
    "case__first_name",
    "case__last_name",
    "case__status",
    "case__target_date",
    "case__navigator_id",
    "facility_ref__name",
    "facility_ref__phone",
    "facility_ref__fax",
)


@dataclass(frozen=True)
class DeskFilters:
    """What the records desk is narrowed to: a state, the items to chase, a facility."""

    state: str = ""  # "needed", "requested", or "" for both
    chase: bool = False
    facility: str = ""


def records_desk(filters: DeskFilters, now: datetime | None = None) -> QuerySet[RecordItem]:
    """Return the outstanding items of open cases in the order to work them.

    Chase due first (requested RECORDS_FOLLOW_UP_DAYS ago and not received), then the
    nearest visit (the case's earliest booked appointment still to come; none last), then
    the nearest target date, then the oldest listed. Each row carries its case, its directory
    entry, `desk_chase` and `desk_visit_at`: one query for a page, whatever its length.
    """
    now = now or timezone.now()
    visits = (
        Appointment.objects.filter(
            case=OuterRef("case_id"), state=Appointment.State.BOOKED, starts_at__gte=now
        )
        .order_by()
        .values("case")
        .annotate(first=Min("starts_at"))
        .values("first")
    )
    items = (
        RecordItem.objects.filter(status__in=OUTSTANDING, case__status__in=OPEN_STATUSES)
        .select_related("case", "facility_ref")
        # Only what a row shows and its access check reads: the rows are sorted whole, and
        # narrow rows keep that sort in memory at tens of thousands of outstanding items.
        .only(*DESK_COLUMNS)
        .annotate(
            desk_chase=ExpressionWrapper(chase_due(now), output_field=BooleanField()),
            desk_visit_at=Subquery(visits),
        )
    )
    if filters.state in OUTSTANDING:
        items = items.filter(status=filters.state)
    if filters.chase:
        items = items.filter(chase_due(now))
    if filters.facility.strip():
        items = items.filter(facility__icontains=filters.facility.strip())
    return items.order_by(
        F("desk_chase").desc(),
        F("desk_visit_at").asc(nulls_last=True),
        "case__target_date",
        "created_at",
        "pk",
    )
