"""The next thing to do on a case, in one rule for the navigator's landing page and the case page.

The rule reads the case and three facts about its work (contact attempts, records still out,
the first booked visit) that a page fetches for one case or annotates on a list
(`with_work_facts`), so that a list of cases costs one query, not one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ContactMethod, Status
from ..models import Appointment, CaseNote, RecordItem, SecondOpinionRequest

# After an attempt that did not reach the patient, the next try is due this long after it.
CONTACT_RETRY_AFTER = timedelta(hours=24)
CONTACT_KINDS = (
    CaseNote.Kind.CALL,
    CaseNote.Kind.VOICEMAIL,
    CaseNote.Kind.EMAIL,
    CaseNote.Kind.TEXT,
)


class Step:
    """What kind of step the next action is: the landing page sorts and colours by it."""

    TAKE = "take"
    FIRST_CONTACT = "first_contact"
    CONTACT_AGAIN = "contact_again"
    BOOK = "book"
    RECORDS = "records"
    VISIT = "visit"
    PLAN = "plan"
    CLOSE = "close"
    NONE = "none"


@dataclass(frozen=True)
class WorkFacts:
    """What a case's next action depends on, besides the case's own fields."""

    last_contact_at: datetime | None  # the latest contact attempt, whatever its outcome
    reached: bool  # an attempt reached the patient
    records_outstanding: int  # items still needed or requested
    next_visit_at: datetime | None  # the earliest booked visit still to come


@dataclass(frozen=True)
class NextAction:
    step: str
    text: str
    due: bool  # true when the step is due now (first contact, a retry, a visit today)


def with_work_facts(queryset: QuerySet[SecondOpinionRequest]) -> QuerySet[SecondOpinionRequest]:
    """Annotate cases with what `work_facts` reads: one query for a whole list."""
    attempts = CaseNote.objects.filter(case=OuterRef("pk"), kind__in=CONTACT_KINDS).order_by()
    outstanding = (
        RecordItem.objects.filter(
            case=OuterRef("pk"), status__in=[RecordItem.State.NEEDED, RecordItem.State.REQUESTED]
        )
        .order_by()
        .values("case")
        .annotate(count=Count("pk"))
        .values("count")
    )
    visits = (
        Appointment.objects.filter(
            case=OuterRef("pk"), state=Appointment.State.BOOKED, starts_at__gte=timezone.now()
        )
        .order_by()
        .values("case")
        .annotate(first=Min("starts_at"))
        .values("first")
    )
    return queryset.annotate(
        work_last_contact_at=Subquery(
            attempts.values("case").annotate(last=Max("created_at")).values("last")
        ),
        work_reached=Exists(attempts.filter(outcome=CaseNote.Outcome.REACHED)),
        work_records_outstanding=Coalesce(
            Subquery(outstanding, output_field=IntegerField()), Value(0)
        ),
        work_next_visit_at=Subquery(visits),
    )


def work_facts(case: SecondOpinionRequest) -> WorkFacts:
    """Return a case's work facts: from `with_work_facts`'s annotations when present, else
    read for this one case."""
    if not hasattr(case, "work_reached"):
        case = with_work_facts(SecondOpinionRequest.objects.filter(pk=case.pk)).get()
    return WorkFacts(
        last_contact_at=case.work_last_contact_at,
        reached=bool(case.work_reached),
        records_outstanding=case.work_records_outstanding,
        next_visit_at=case.work_next_visit_at,
    )


def contact_due(facts: WorkFacts, *, now: datetime | None = None) -> bool:
    """Return whether the patient is to be contacted now: never reached, and either never
    tried or last tried CONTACT_RETRY_AFTER ago or more."""
    if facts.reached:
        return False
    if facts.last_contact_at is None:
        return True
    return (now or timezone.now()) - facts.last_contact_at >= CONTACT_RETRY_AFTER


def contact_due_q(*, now: datetime | None = None) -> Q:
    """Return, for a queryset annotated by `with_work_facts`, the filter of `contact_due`."""
    cutoff = (now or timezone.now()) - CONTACT_RETRY_AFTER
    return Q(work_reached=False) & (
        Q(work_last_contact_at__isnull=True) | Q(work_last_contact_at__lte=cutoff)
    )


def _contact_verb(case: SecondOpinionRequest) -> str:
    return {
        ContactMethod.TEXT: _("Text"),
        ContactMethod.EMAIL: _("Email"),
    }.get(case.preferred_contact_method, _("Call"))


def case_next_action(
    case: SecondOpinionRequest, facts: WorkFacts, *, now: datetime | None = None
) -> NextAction:
    """Return the next thing to do on a case, in the navigator's words."""
    now = now or timezone.now()
    status = case.status
    if status in {Status.CLOSED, Status.WITHDRAWN, Status.DECLINED}:
        return NextAction(Step.NONE, _("Nothing: the case is closed."), due=False)
    if case.navigator_id is None:
        return NextAction(Step.TAKE, _("Take or assign the case."), due=True)
    verb = _contact_verb(case)
    if status in {Status.NEW, Status.ASSIGNED, Status.GATHERING_RECORDS, Status.READY_TO_SCHEDULE}:
        if facts.last_contact_at is None:
            return NextAction(
                Step.FIRST_CONTACT,
                _("%(verb)s the patient: first contact.") % {"verb": verb},
                due=True,
            )
        if not facts.reached:
            return NextAction(
                Step.CONTACT_AGAIN,
                _("%(verb)s the patient again: not reached yet.") % {"verb": verb},
                due=contact_due(facts, now=now),
            )
        return NextAction(Step.BOOK, _("Book the first appointment."), due=True)
    if status == Status.SCHEDULED:
        if facts.next_visit_at is None:
            return NextAction(Step.VISIT, _("Record the visit as seen."), due=True)
        visit_day = timezone.localtime(facts.next_visit_at).date()
        if facts.records_outstanding:
            return NextAction(
                Step.RECORDS,
                _("Get the %(n)d outstanding record item(s) before the visit.")
                % {"n": facts.records_outstanding},
                due=visit_day
                <= timezone.localtime(now).date()
                + timedelta(days=settings.VISIT_RECORDS_WARNING_DAYS),
            )
        return NextAction(
            Step.VISIT,
            _("Prepare the patient for the visit."),
            due=visit_day == timezone.localtime(now).date(),
        )
    if status == Status.SEEN:
        return NextAction(Step.PLAN, _("Deliver the treatment plan."), due=True)
    return NextAction(Step.CLOSE, _("Close the case once the patient has the plan."), due=False)


__all__ = [
    "CONTACT_RETRY_AFTER",
    "NextAction",
    "Step",
    "WorkFacts",
    "case_next_action",
    "contact_due",
    "contact_due_q",
    "with_work_facts",
    "work_facts",
]
