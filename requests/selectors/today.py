"""A navigator's day: their open cases in the order to work them, and the unassigned queue.

The order (DESIGN.md, "Who uses it": today's work in the order to do it): cases not contacted
yet, then those whose contact is due again, then at risk, then overdue, then the rest; within
each, the soonest target first. The whole page is a few queries whatever the number of cases:
one for the navigator's cases with everything a row shows (work facts, the latest attempt,
new documents), two for the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..choices import Status, TargetState
from ..models import OPEN_STATUSES, AuditEvent, CaseNote, Document, SecondOpinionRequest
from ..targets import target_colour, target_words
from .next_action import CONTACT_KINDS, NextAction, case_next_action, contact_due_q, work_facts
from .next_action import with_work_facts as _with_work_facts

# The statuses before the first booking, where reaching the patient comes first.
BEFORE_BOOKING = (Status.NEW, Status.ASSIGNED, Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE)
# The most rows of each list: a navigator carries far fewer cases (their capacity); beyond
# this the page says how many more there are and links the case list.
CASES_SHOWN = 100
QUEUE_SHOWN = 15
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class Rank(IntEnum):
    """Where a case stands in the day's order (lower is sooner)."""

    NOT_CONTACTED = 0
    CONTACT_DUE = 1
    AT_RISK = 2
    OVERDUE = 3
    REST = 4


RANK_WORDS = {
    Rank.NOT_CONTACTED: gettext_lazy("Not contacted yet"),
    Rank.CONTACT_DUE: gettext_lazy("Contact due"),
    Rank.AT_RISK: gettext_lazy("At risk"),
    Rank.OVERDUE: gettext_lazy("Overdue"),
    Rank.REST: "",
}


@dataclass(frozen=True)
class TodayRow:
    """One of the navigator's cases, with what the row shows."""

    case: SecondOpinionRequest
    rank: Rank
    rank_words: str
    last_contact_at: datetime | None
    last_contact_words: str  # "Phone call, no answer" (empty: never contacted)
    next_action: NextAction
    target_words: str
    target_colour: str
    new_documents: int


@dataclass(frozen=True)
class QueueRow:
    """One unassigned case waiting in the queue."""

    case: SecondOpinionRequest
    target_words: str
    target_colour: str


@dataclass(frozen=True)
class Today:
    """What a navigator's Today page shows."""

    rows: list[TodayRow]
    more_cases: bool  # more open cases than CASES_SHOWN
    queue: list[QueueRow]
    queue_total: int
    rank_counts: dict[Rank, int]


def with_today_rank(
    queryset: QuerySet[SecondOpinionRequest], *, now: datetime | None = None
) -> QuerySet[SecondOpinionRequest]:
    """Annotate cases (already annotated by with_work_facts) with their Rank, `today_rank`."""
    before_booking = Q(status__in=BEFORE_BOOKING)
    return queryset.annotate(
        today_rank=Case(
            When(before_booking & Q(work_last_contact_at__isnull=True), then=Value(0)),
            When(before_booking & contact_due_q(now=now), then=Value(1)),
            When(target_state=TargetState.AT_RISK, then=Value(2)),
            When(target_state=TargetState.OVERDUE, then=Value(3)),
            default=Value(4),
            output_field=IntegerField(),
        )
    )


def in_today_order(
    queryset: QuerySet[SecondOpinionRequest], *, now: datetime | None = None
) -> QuerySet[SecondOpinionRequest]:
    """Return cases with their work facts and rank, in the order of the navigator's day."""
    ranked = with_today_rank(_with_work_facts(queryset), now=now)
    return ranked.order_by("today_rank", "target_date", "submitted_at", "pk")


def _with_latest_attempt(
    queryset: QuerySet[SecondOpinionRequest],
) -> QuerySet[SecondOpinionRequest]:
    latest = CaseNote.objects.filter(case=OuterRef("pk"), kind__in=CONTACT_KINDS).order_by(
        "-created_at", "-pk"
    )
    return queryset.annotate(
        today_contact_kind=Subquery(latest.values("kind")[:1]),
        today_contact_outcome=Subquery(latest.values("outcome")[:1]),
    )


def _with_new_documents(
    queryset: QuerySet[SecondOpinionRequest], *, user_id: int
) -> QuerySet[SecondOpinionRequest]:
    """Annotate `today_new_documents`: documents someone else (the patient, records staff, a
    colleague) uploaded since the user last opened the case page (the audit trail's
    view_case events); all of them if they never opened it. Only files cleared by the scan."""
    last_opened = (
        AuditEvent.objects.filter(
            case=OuterRef("pk"), actor_id=user_id, action=AuditEvent.Action.VIEW_CASE
        )
        .order_by("-at")
        .values("at")[:1]
    )
    since = Coalesce(OuterRef("today_last_opened"), Value(_LONG_AGO, output_field=DateTimeField()))
    new_documents = (
        Document.objects.cleared()
        .filter(case=OuterRef("pk"), uploaded_at__gt=since)
        .filter(~Q(uploaded_by_id=user_id))
        .order_by()
        .values("case")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(today_last_opened=Subquery(last_opened)).annotate(
        today_new_documents=Coalesce(Subquery(new_documents, output_field=IntegerField()), Value(0))
    )


def _contact_words(kind: str | None, outcome: str | None) -> str:
    if not kind:
        return ""
    words = str(CaseNote.Kind(kind).label)
    if outcome:
        words += ", " + str(CaseNote.Outcome(outcome).label).lower()
    return words


def navigator_today(
    *, navigator_id: int | None, user_id: int | None, now: datetime | None = None
) -> Today:
    """Return a navigator's day: their open cases in order, and the unassigned queue.

    `user_id` is the navigator's user, whose last opening of each case decides which
    documents are new. With no navigator (a supervisor who navigates nothing) only the queue.
    """
    now = now or timezone.now()
    rows: list[TodayRow] = []
    more = False
    if navigator_id is not None:
        cases = in_today_order(
            SecondOpinionRequest.objects.filter(
                navigator_id=navigator_id, status__in=OPEN_STATUSES
            ),
            now=now,
        )
        cases = _with_new_documents(_with_latest_attempt(cases), user_id=user_id or 0)
        found = list(cases[: CASES_SHOWN + 1])
        more = len(found) > CASES_SHOWN
        for case in found[:CASES_SHOWN]:
            facts = work_facts(case)
            rank = Rank(case.today_rank)
            rows.append(
                TodayRow(
                    case=case,
                    rank=rank,
                    rank_words=str(RANK_WORDS[rank]),
                    last_contact_at=facts.last_contact_at,
                    last_contact_words=_contact_words(
                        case.today_contact_kind, case.today_contact_outcome
                    ),
                    next_action=case_next_action(case, facts, now=now),
                    target_words=target_words(case, now=now),
                    target_colour=target_colour(case, now=now),
                    new_documents=case.today_new_documents,
                )
            )
    waiting = SecondOpinionRequest.objects.filter(navigator__isnull=True, status__in=OPEN_STATUSES)
    queue = [
        QueueRow(case, target_words(case, now=now), target_colour(case, now=now))
        for case in waiting.order_by("target_date", "submitted_at", "pk")[:QUEUE_SHOWN]
    ]
    total = waiting.count()
    counts = {rank: 0 for rank in Rank}
    for row in rows:
        counts[row.rank] += 1
    return Today(rows=rows, more_cases=more, queue=queue, queue_total=total, rank_counts=counts)


__all__ = [
    "BEFORE_BOOKING",
    "QueueRow",
    "Rank",
    "Today",
    "TodayRow",
    "in_today_order",
    "navigator_today",
    "with_today_rank",
]
