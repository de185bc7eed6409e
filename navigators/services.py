"""Assignment of cases to navigators: automatic, by a supervisor, or taken by a navigator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from requests.audit import audit_record
from requests.choices import Status
from requests.jobs import enqueue_on_commit, requeue_after
from requests.models import (
    OPEN_STATUSES,
    Assignment,
    AuditEvent,
    Notification,
    SecondOpinionRequest,
)
from requests.services import case_transition, notification_owe

from .models import Navigator
from .roles import SUPERVISORS
from .selectors import staff_with_role

_NEVER = datetime.min.replace(tzinfo=UTC)
AUTO_ASSIGN_TASK = "navigators.tasks.case_auto_assign_task"


def active_case_counts(navigator_ids: list[int]) -> dict[int, int]:
    """Return the number of open cases of each navigator."""
    rows = (
        SecondOpinionRequest.objects.filter(
            navigator_id__in=navigator_ids, status__in=OPEN_STATUSES
        )
        .values("navigator_id")
        .annotate(count=Count("id"))
    )
    return {row["navigator_id"]: row["count"] for row in rows}


def navigator_fits(navigator: Navigator, case: SecondOpinionRequest) -> bool:
    """Return whether a navigator covers the case's disease group and speaks its language."""
    return (
        case.cancer_type in navigator.disease_groups
        and case.preferred_language in navigator.languages
    )


@transaction.atomic
def case_auto_assign(*, case_id: int) -> Assignment | None:
    """Assign a new case to the fitting navigator with the most room; None when none fits.

    Fitting: covers the case's disease group, speaks the patient's preferred language, accepts
    new cases and has free capacity. Among them: fewest open cases, then the one assigned
    least recently. When nobody fits, the supervisors are emailed (once per case).
    """
    case = SecondOpinionRequest.objects.select_for_update().get(pk=case_id)
    if case.navigator_id is not None or case.status != Status.NEW:
        return None  # Already handled: running this task twice is harmless.
    # Lock every accepting navigator, always in primary-key order so that two assignments
    # cannot deadlock: open cases are counted while no other assignment can add to them, so
    # two requests arriving together never push a navigator over capacity.
    candidates = list(
        Navigator.objects.select_for_update(of=("self",))
        .filter(accepting_new_cases=True, user__is_active=True)
        .order_by("pk")
    )
    fitting = [navigator for navigator in candidates if navigator_fits(navigator, case)]
    counts = active_case_counts([navigator.pk for navigator in fitting])
    free = [n for n in fitting if counts.get(n.pk, 0) < n.capacity]
    if not free:
        _owe_unassigned_alerts(case)
        return None
    chosen = min(
        free,
        key=lambda n: (counts.get(n.pk, 0), n.last_assigned_at or _NEVER, n.pk),
    )
    return _assign(case, chosen, by=None, note=_("Assigned automatically."))


def case_auto_assign_requeue(*, limit: int = 200) -> int:
    """Queue the assignment of new, unassigned cases older than REQUEUE_AFTER_SECONDS; return
    how many.

    Covers an assignment task lost with the broker, and a case nobody fitted at first that
    a navigator with free capacity may fit now. Safe to run often: case_auto_assign does
    nothing for a case already assigned, and its supervisor alert is owed once per case.
    """
    now = timezone.now()
    waiting = (
        SecondOpinionRequest.objects.filter(
            status=Status.NEW,
            navigator__isnull=True,
            submitted_at__lt=now - requeue_after(),
            submitted_at__gt=now - timedelta(days=settings.APPOINTMENT_TARGET_DAYS),
        )
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(waiting)
    for case_id in ids:
        enqueue_on_commit(AUTO_ASSIGN_TASK, case_id)
    return len(ids)


@transaction.atomic
def case_assign(
    *,
    case: SecondOpinionRequest,
    navigator: Navigator,
    by: AbstractBaseUser,
    note: str = "",
    http_request: HttpRequest | None = None,
) -> Assignment:
    """Assign or reassign a case to a navigator (a supervisor's decision)."""
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if not locked.is_open:
        raise ValidationError(_("A closed case cannot be assigned."), code="closed")
    if locked.navigator_id == navigator.pk:
        raise ValidationError(
            _("The case is already assigned to %(name)s.") % {"name": navigator},
            code="same_navigator",
        )
    assignment = _assign(locked, navigator, by=by, note=note, http_request=http_request)
    case.refresh_from_db()
    return assignment


@transaction.atomic
def case_take(
    *,
    case: SecondOpinionRequest,
    navigator: Navigator,
    http_request: HttpRequest | None = None,
) -> Assignment:
    """Let a navigator take an open, unassigned case for themself.

    No assignment email is owed: the navigator took the case and already knows.
    """
    locked = SecondOpinionRequest.objects.select_for_update().get(pk=case.pk)
    if locked.navigator_id is not None:
        raise ValidationError(_("Someone else has just taken this case."), code="taken")
    if not locked.is_open:
        raise ValidationError(_("This case is closed."), code="closed")
    assignment = _assign(
        locked,
        navigator,
        by=navigator.user,
        note=_("Taken from the queue."),
        http_request=http_request,
    )
    case.refresh_from_db()
    return assignment


def _assign(
    case: SecondOpinionRequest,
    navigator: Navigator,
    *,
    by: AbstractBaseUser | None,
    note: str,
    http_request: HttpRequest | None = None,
) -> Assignment:
    now = timezone.now()
    previous_id = case.navigator_id
    case.navigator = navigator
    case.assigned_at = now
    case.save(update_fields=["navigator", "assigned_at", "updated_at"])
    Navigator.objects.filter(pk=navigator.pk).update(last_assigned_at=now)
    assignment = Assignment.objects.create(
        case=case,
        navigator=navigator,
        previous_navigator_id=previous_id,
        assigned_by=by,
        assigned_at=now,
        note=note,
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        case=case,
        obj=case,
        detail={"navigator": [previous_id, navigator.pk]},
        http_request=http_request,
    )
    if case.status == Status.NEW:
        case_transition(
            case=case, to_status=Status.ASSIGNED, by=by, note=note, http_request=http_request
        )
    if navigator.user.email and (by is None or by.pk != navigator.user.pk):
        notification_owe(
            kind=Notification.Kind.ASSIGNMENT,
            recipient=navigator.user.email,
            dedupe_key=f"assignment:{assignment.pk}",
            case=case,
            context={"staff_first_name": navigator.user.first_name},
        )
    return assignment


def _owe_unassigned_alerts(case: SecondOpinionRequest) -> None:
    for supervisor in staff_with_role(SUPERVISORS):
        notification_owe(
            kind=Notification.Kind.UNASSIGNED,
            recipient=supervisor.email,
            dedupe_key=f"unassigned:{case.pk}:{supervisor.pk}",
            case=case,
            context={"staff_first_name": supervisor.first_name},
        )
