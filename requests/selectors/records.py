"""Reads about outside medical records: a case's progress, what is outstanding, what to chase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import OPEN_STATUSES, RecordItem, SecondOpinionRequest

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
