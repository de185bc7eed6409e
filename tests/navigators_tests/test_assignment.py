"""Assigning cases to navigators: automatically, by a supervisor, or taken from the queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from navigators.models import Navigator
from navigators.roles import NAVIGATORS, SUPERVISORS
from navigators.services import case_assign, case_auto_assign, case_take
from requests.choices import Status
from requests.models import (
    OPEN_STATUSES,
    Assignment,
    Notification,
    SecondOpinionRequest,
    StatusChange,
)
from tests.factories import form_data, make_request, make_staff

CENTER = ZoneInfo("America/New_York")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=CENTER)


@dataclass(frozen=True)
class Nav:
    """One navigator of a scenario."""

    name: str
    groups: tuple[str, ...] = ("breast",)
    languages: tuple[str, ...] = ("en",)
    capacity: int = 5
    accepting: bool = True
    active: bool = True
    open_cases: int = 0
    closed_cases: int = 0
    last_assigned_hours_ago: float | None = None


def make_navigator(spec: Nav, role: str | None = NAVIGATORS) -> Navigator:
    user = make_staff(spec.name, role, is_active=spec.active)
    return Navigator.objects.create(
        user=user,
        disease_groups=list(spec.groups),
        languages=list(spec.languages),
        capacity=spec.capacity,
        accepting_new_cases=spec.accepting,
    )


def give_cases(navigator: Navigator, count: int, status: str) -> None:
    for _ in range(count):
        case = make_request()
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            navigator=navigator, assigned_at=timezone.now(), status=status
        )


def arrange(navs: list[Nav]) -> dict[str, Navigator]:
    """Create the navigators of a scenario in order, with their caseloads and histories."""
    made = {}
    for spec in navs:
        navigator = make_navigator(spec)
        give_cases(navigator, spec.open_cases, Status.GATHERING_RECORDS)
        give_cases(navigator, spec.closed_cases, Status.CLOSED)
        if spec.last_assigned_hours_ago is not None:
            Navigator.objects.filter(pk=navigator.pk).update(
                last_assigned_at=NOW - timedelta(hours=spec.last_assigned_hours_ago)
            )
        made[spec.name] = navigator
    return made


RULES = [
    pytest.param(
        {},
        [Nav("thoracic", groups=("thoracic",)), Nav("breast", groups=("breast", "sarcoma"))],
        "breast",
        id="disease-group-must-match",
    ),
    pytest.param(
        {"preferred_language": "es"},
        [Nav("english", languages=("en",)), Nav("spanish", languages=("en", "es"))],
        "spanish",
        id="language-must-match",
    ),
    pytest.param(
        {"cancer_type": "thoracic", "preferred_language": "es"},
        [
            Nav("group-only", groups=("thoracic",), languages=("en",)),
            Nav("language-only", groups=("breast",), languages=("es",)),
            Nav("both", groups=("thoracic",), languages=("es",), open_cases=3),
        ],
        "both",
        id="group-and-language-both-needed",
    ),
    pytest.param(
        {},
        [Nav("full", capacity=2, open_cases=2), Nav("busy", capacity=10, open_cases=4)],
        "busy",
        id="capacity-full-is-skipped",
    ),
    pytest.param(
        {},
        [Nav("closed-only", capacity=1, closed_cases=3), Nav("busy", capacity=5, open_cases=1)],
        "closed-only",
        id="closed-cases-do-not-use-capacity",
    ),
    pytest.param(
        {},
        [Nav("paused", accepting=False), Nav("busy", open_cases=3)],
        "busy",
        id="not-accepting-is-skipped",
    ),
    pytest.param(
        {},
        [Nav("gone", active=False), Nav("busy", open_cases=3)],
        "busy",
        id="inactive-user-is-skipped",
    ),
    pytest.param(
        {},
        [
            Nav("two", open_cases=2, last_assigned_hours_ago=100),
            Nav("one", open_cases=1, last_assigned_hours_ago=0.1),
            Nav("three", open_cases=3),
        ],
        "one",
        id="fewest-open-cases-first",
    ),
    pytest.param(
        {},
        [
            Nav("recent", open_cases=1, last_assigned_hours_ago=1),
            Nav("longest-ago", open_cases=1, last_assigned_hours_ago=48),
            Nav("middle", open_cases=1, last_assigned_hours_ago=5),
        ],
        "longest-ago",
        id="tie-least-recently-assigned",
    ),
    pytest.param(
        {},
        [Nav("assigned-before", last_assigned_hours_ago=500), Nav("never-assigned")],
        "never-assigned",
        id="tie-never-assigned-first",
    ),
    pytest.param(
        {},
        [
            Nav("first", open_cases=1, last_assigned_hours_ago=3),
            Nav("second", open_cases=1, last_assigned_hours_ago=3),
        ],
        "first",
        id="tie-then-lowest-pk",
    ),
    pytest.param(
        {},
        [
            Nav("wrong-group", groups=("neuro",)),
            Nav("wrong-language", languages=("fr",)),
            Nav("full", capacity=1, open_cases=1),
            Nav("paused", accepting=False),
            Nav("gone", active=False),
        ],
        None,
        id="nobody-fits",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case_fields", "navs", "expected"), RULES)
def test_auto_assignment_rules(
    time_machine, case_fields: dict[str, str], navs: list[Nav], expected: str | None
) -> None:
    """The new case goes to the fitting navigator with most room, then longest idle, then pk."""
    time_machine.move_to(NOW, tick=False)
    made = arrange(navs)
    case = make_request(**case_fields)

    assignment = case_auto_assign(case_id=case.pk)

    case.refresh_from_db()
    if expected is None:
        assert assignment is None
        assert case.navigator is None
        assert case.status == Status.NEW
        assert not Assignment.objects.filter(case=case).exists()
        return
    chosen = made[expected]
    assert assignment is not None
    assert assignment.navigator == chosen
    assert (assignment.assigned_by, assignment.previous_navigator) == (None, None)
    assert case.navigator == chosen
    assert case.status == Status.ASSIGNED
    assert case.assigned_at == NOW
    chosen.refresh_from_db()
    assert chosen.last_assigned_at == NOW


@pytest.mark.django_db
def test_auto_assignment_spreads_cases_over_the_team(time_machine) -> None:
    """Successive cases go round the fitting navigators, as the rules order them."""
    time_machine.move_to(NOW, tick=False)
    arrange([Nav("a"), Nav("b"), Nav("c", open_cases=1)])
    chosen = []
    for _ in range(5):
        time_machine.shift(timedelta(minutes=10))
        case = make_request()
        chosen.append(case_auto_assign(case_id=case.pk).navigator.user.username)
    # a and b have fewest open cases; then all three have one, and c was never assigned;
    # then a and b have one and were assigned longest ago, a before b.
    assert chosen == ["a", "b", "c", "a", "b"]


@pytest.mark.django_db
def test_auto_assignment_leaves_handled_cases_alone(navigator_user) -> None:
    """A case already assigned, or no longer new, is not assigned again."""
    assigned = make_request()
    first = case_auto_assign(case_id=assigned.pk)
    assert first is not None
    withdrawn = make_request()
    SecondOpinionRequest.objects.filter(pk=withdrawn.pk).update(status=Status.WITHDRAWN)

    assert case_auto_assign(case_id=assigned.pk) is None
    assert case_auto_assign(case_id=withdrawn.pk) is None
    assert Assignment.objects.count() == 1
    withdrawn.refresh_from_db()
    assert withdrawn.navigator is None


@pytest.mark.django_db
def test_nobody_fits_alerts_each_supervisor_once(supervisor) -> None:
    """With no fitting navigator the case stays new and each supervisor is alerted, once."""
    second = make_staff("supervisor2", SUPERVISORS)
    make_staff("retired", SUPERVISORS, is_active=False)
    no_email = make_staff("noemail", SUPERVISORS)
    type(no_email).objects.filter(pk=no_email.pk).update(email="")
    make_navigator(Nav("neuro", groups=("neuro",)))
    case = make_request()

    assert case_auto_assign(case_id=case.pk) is None
    assert case_auto_assign(case_id=case.pk) is None

    case.refresh_from_db()
    assert case.status == Status.NEW
    assert case.navigator is None
    assert not Assignment.objects.exists()
    alerts = Notification.objects.filter(kind=Notification.Kind.UNASSIGNED)
    assert sorted(alerts.values_list("recipient", flat=True)) == sorted(
        [supervisor.email, second.email]
    )
    assert all(alert.case_id == case.pk for alert in alerts)


@pytest.mark.django_db
def test_a_submission_is_assigned_once_committed(
    client, navigator_user, other_navigator_user, django_capture_on_commit_callbacks
) -> None:
    """Posting the form queues auto-assignment on commit; it assigns the Spanish speaker."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/request/", form_data(preferred_language="es"))
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    assert case.navigator is None, "nothing is assigned before the commit"
    assert queued

    for callback in queued:
        callback()

    case.refresh_from_db()
    navigator = navigator_user.navigator
    assert case.navigator == navigator
    assert case.status == Status.ASSIGNED
    assignment = Assignment.objects.get(case=case)
    assert (assignment.navigator, assignment.assigned_by) == (navigator, None)
    change = StatusChange.objects.get(case=case, to_status=Status.ASSIGNED)
    assert change.from_status == Status.NEW
    assert change.changed_by is None
    notification = Notification.objects.get(case=case, kind=Notification.Kind.ASSIGNMENT)
    assert notification.recipient == navigator_user.email


@pytest.mark.django_db
def test_a_submission_runs_every_queued_step(
    client, navigator_user, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    """Executing the commit callbacks assigns the case and sends both owed emails."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/request/", form_data())

    case = SecondOpinionRequest.objects.get()
    assert case.navigator == navigator_user.navigator
    assert Assignment.objects.filter(case=case, navigator=navigator_user.navigator).count() == 1
    assert StatusChange.objects.filter(
        case=case, from_status=Status.NEW, to_status=Status.ASSIGNED
    ).exists()
    kinds = dict(Notification.objects.values_list("kind", "recipient"))
    assert kinds == {
        Notification.Kind.CONFIRMATION: "maria.lopez@example.com",
        Notification.Kind.ASSIGNMENT: navigator_user.email,
    }
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        ["maria.lopez@example.com", navigator_user.email]
    )


# --- By hand: a supervisor assigns, a navigator takes -----------------------------------


def assignment_emails(case: SecondOpinionRequest) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(case=case, kind=Notification.Kind.ASSIGNMENT)
        .order_by("pk")
        .values_list("recipient", "dedupe_key")
    )


@pytest.mark.django_db
def test_supervisor_assigns_a_new_case(supervisor, navigator_user) -> None:
    """Assigning a new case records who did it, moves it to assigned and owes one email."""
    case = make_request()
    assignment = case_assign(
        case=case, navigator=navigator_user.navigator, by=supervisor, note="Spanish speaker."
    )
    assert case.navigator == navigator_user.navigator
    assert case.status == Status.ASSIGNED
    assert assignment.assigned_by == supervisor
    assert assignment.previous_navigator is None
    assert assignment.note == "Spanish speaker."
    change = StatusChange.objects.get(case=case, to_status=Status.ASSIGNED)
    assert change.changed_by == supervisor
    assert assignment_emails(case) == [(navigator_user.email, f"assignment:{assignment.pk}")]


@pytest.mark.django_db
def test_reassigning_records_the_previous_navigator_and_owes_one_email_each(
    supervisor, navigator_user, other_navigator_user
) -> None:
    """Each reassignment keeps the previous navigator and owes its own email."""
    first_nav, second_nav = navigator_user.navigator, other_navigator_user.navigator
    case = make_request()
    first = case_assign(case=case, navigator=first_nav, by=supervisor)
    case_transition_count = StatusChange.objects.filter(case=case).count()
    second = case_assign(case=case, navigator=second_nav, by=supervisor, note="Leave.")
    third = case_assign(case=case, navigator=first_nav, by=supervisor, note="Back.")

    assert [a.previous_navigator for a in (first, second, third)] == [None, first_nav, second_nav]
    assert list(Assignment.objects.filter(case=case).order_by("pk")) == [first, second, third]
    case.refresh_from_db()
    assert case.navigator == first_nav
    assert case.status == Status.ASSIGNED
    assert StatusChange.objects.filter(case=case).count() == case_transition_count
    assert assignment_emails(case) == [
        (navigator_user.email, f"assignment:{first.pk}"),
        (other_navigator_user.email, f"assignment:{second.pk}"),
        (navigator_user.email, f"assignment:{third.pk}"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN, Status.DECLINED])
def test_a_closed_case_cannot_be_assigned(
    supervisor, navigator_user, other_navigator_user, status: str
) -> None:
    """Assigning a closed, withdrawn or declined case is refused and changes nothing."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        case_assign(case=case, navigator=other_navigator_user.navigator, by=supervisor)
    assert refused.value.code == "closed"
    case.refresh_from_db()
    assert case.navigator == navigator_user.navigator
    assert Assignment.objects.filter(case=case).count() == 1
    assert len(assignment_emails(case)) == 1


@pytest.mark.django_db
def test_assigning_to_the_same_navigator_is_refused(supervisor, navigator_user) -> None:
    """Assigning a case to the navigator who has it is refused and owes nothing."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    assert refused.value.code == "same_navigator"
    assert Assignment.objects.filter(case=case).count() == 1
    assert len(assignment_emails(case)) == 1


@pytest.mark.django_db
def test_a_navigator_takes_an_unassigned_case(navigator_user) -> None:
    """Taking an unassigned case makes it theirs, by them, and emails nobody: they know."""
    case = make_request()
    assignment = case_take(case=case, navigator=navigator_user.navigator)
    assert case.navigator == navigator_user.navigator
    assert case.status == Status.ASSIGNED
    assert assignment.assigned_by == navigator_user
    assert StatusChange.objects.get(case=case, to_status=Status.ASSIGNED).changed_by == (
        navigator_user
    )
    assert assignment_emails(case) == []


@pytest.mark.django_db
def test_a_taken_case_cannot_be_taken_again(navigator_user, other_navigator_user) -> None:
    """A case someone has just taken is refused to the next navigator, even from a stale page."""
    stale = make_request()
    case_take(
        case=SecondOpinionRequest.objects.get(pk=stale.pk), navigator=navigator_user.navigator
    )
    with pytest.raises(ValidationError) as refused:
        case_take(case=stale, navigator=other_navigator_user.navigator)
    assert refused.value.code == "taken"
    stale.refresh_from_db()
    assert stale.navigator == navigator_user.navigator
    assert Assignment.objects.filter(case=stale).count() == 1


@pytest.mark.django_db
def test_a_closed_unassigned_case_cannot_be_taken(navigator_user) -> None:
    """A withdrawn case still without a navigator cannot be taken."""
    case = make_request()
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status=Status.WITHDRAWN)
    with pytest.raises(ValidationError) as refused:
        case_take(case=case, navigator=navigator_user.navigator)
    assert refused.value.code == "closed"
    assert not Assignment.objects.exists()


# --- Two assignments at once (PostgreSQL: SQLite has no row locks) ---------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_auto_assignment_never_exceeds_capacity(require_postgres) -> None:
    """Fifteen cases assigned at once in eight threads fill three navigators to exactly 3 each."""
    # The cases first: with no navigator yet, the assignment queued at their commit finds
    # nobody and leaves them new for the threads below.
    case_ids = [make_request().pk for _ in range(15)]
    assert not SecondOpinionRequest.objects.exclude(navigator=None).exists()
    navigators = [make_navigator(Nav(f"parallel{n}", capacity=3), role=None) for n in range(3)]

    def assign(case_id: int) -> int | None:
        try:
            assignment = case_auto_assign(case_id=case_id)
            return assignment.navigator_id if assignment else None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(assign, case_ids))

    assert sum(result is not None for result in results) == 9
    loads = dict(
        SecondOpinionRequest.objects.filter(status__in=OPEN_STATUSES)
        .exclude(navigator=None)
        .values_list("navigator")
        .annotate(count=Count("id"))
    )
    assert loads == {navigator.pk: 3 for navigator in navigators}
    assert SecondOpinionRequest.objects.filter(status=Status.ASSIGNED).count() == 9
    assert SecondOpinionRequest.objects.filter(status=Status.NEW, navigator=None).count() == 6
    assert Assignment.objects.count() == 9
    assert Notification.objects.filter(kind=Notification.Kind.ASSIGNMENT).count() == 9


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_takes_of_one_case_give_it_to_one_navigator(require_postgres) -> None:
    """Eight navigators taking the same case at once: one gets it, the others are told."""
    case_id = make_request().pk  # no navigator yet: it stays in the queue
    navigators = [make_navigator(Nav(f"taker{n}"), role=None) for n in range(8)]

    def take(navigator: Navigator) -> str:
        try:
            case_take(case=SecondOpinionRequest.objects.get(pk=case_id), navigator=navigator)
        except ValidationError as error:
            return f"refused: {error.code}"
        else:
            return "won"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(take, navigators))

    assert sorted(outcomes) == ["refused: taken"] * 7 + ["won"]
    case = SecondOpinionRequest.objects.get(pk=case_id)
    assert case.navigator == navigators[outcomes.index("won")]
    assert case.status == Status.ASSIGNED
    assert Assignment.objects.filter(case_id=case_id).count() == 1
    assert StatusChange.objects.filter(case_id=case_id, to_status=Status.ASSIGNED).count() == 1
