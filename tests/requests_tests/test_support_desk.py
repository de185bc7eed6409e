"""The support desk: the order of the work, "take it", owners among advocates only, outcomes
where they apply, mark done with an outcome, who may open it, and what it costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests.choices import Status
from requests.models import (
    AuditEvent,
    InsuranceOutcome,
    SecondOpinionRequest,
    SupportTask,
)
from requests.services import support_task_take, support_task_update
from tests.factories import DIAGNOSIS_TEXT, client_for, make_advocate, make_request

pytestmark = pytest.mark.django_db

Kind = SupportTask.Kind
TaskState = SupportTask.State
Outcome = SupportTask.Outcome
DESK = "admin:support_desk"


def task_for(kind: str = Kind.TRAVEL, *, visit_in: int | None = None, **fields: Any) -> SupportTask:
    """Return an open task of `kind` on an open case, its first visit `visit_in` days away."""
    answers = {
        Kind.TRAVEL: {"needs_travel": True},
        Kind.LODGING: {"needs_lodging": True},
        Kind.FINANCIAL: {"needs_financial": True},
        Kind.INTERPRETER: {"interpreter_needed": True},
        Kind.INSURANCE: {"coverage_checked": "help"},
    }[kind]
    case = make_request(**answers, **fields)
    updates: dict[str, Any] = {"status": Status.GATHERING_RECORDS}
    if visit_in is not None:
        updates["first_appointment_at"] = timezone.now() + timedelta(days=visit_in)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    return SupportTask.objects.select_related("case").get(case=case, kind=kind)


def update_url(task: SupportTask) -> str:
    return reverse("admin:support_desk_update", args=[task.pk])


def take_url(task: SupportTask) -> str:
    return reverse("admin:support_desk_take", args=[task.pk])


def post_of(task: SupportTask, **fields: Any) -> dict[str, Any]:
    values = {"owner": "", "status": task.status, "outcome": "", "notes": ""}
    values.update(fields)
    return {f"task-{task.pk}-{name}": value for name, value in values.items()}


def listed(response: Any) -> list[int]:
    assert response.status_code == 200
    return [row.task.pk for row in response.context["rows"]]


# --- Order and names ------------------------------------------------------------------------


def test_the_desk_lists_the_soonest_due_first_and_unbooked_last(advocate_user) -> None:
    """Due = first visit less the kind's lead days: lodging in 5 days (due in 2) comes before
    an interpreter in 4 days (due in 3); a case not booked comes last."""
    unbooked = task_for(Kind.TRAVEL)
    interpreter = task_for(Kind.INTERPRETER, visit_in=4)
    lodging = task_for(Kind.LODGING, visit_in=5)
    done = task_for(Kind.FINANCIAL, visit_in=1)
    SupportTask.objects.filter(pk=done.pk).update(status=TaskState.DONE)

    order = listed(client_for(advocate_user).get(reverse(DESK)))

    assert order == [lodging.pk, interpreter.pk, unbooked.pk]


def test_tasks_are_named_by_the_case_reference_never_the_id(advocate_user) -> None:
    task = task_for(Kind.TRAVEL, last_name="Quillfeather")

    html = client_for(advocate_user).get(reverse(DESK)).content.decode()

    assert task.case.reference in html
    assert "Quillfeather" in html
    assert f"for {task.case_id}<" not in html
    assert str(task) == f"Travel for {task.case.reference}"
    assert DIAGNOSIS_TEXT not in html


def test_the_desk_filters_mine_and_unowned(advocate_user) -> None:
    mine = task_for(Kind.TRAVEL)
    free = task_for(Kind.LODGING)
    support_task_take(task=mine, by=advocate_user)
    client = client_for(advocate_user)

    assert listed(client.get(reverse(DESK), {"queue": "mine"})) == [mine.pk]
    assert listed(client.get(reverse(DESK), {"queue": "unowned"})) == [free.pk]
    assert listed(client.get(reverse(DESK), {"kind": "lodging"})) == [free.pk]


# --- Who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("advocate_user", 200),
        ("supervisor", 200),
        ("navigator_user", 403),
        ("records_user", 403),
    ],
)
def test_who_opens_the_support_desk(staff: dict[str, Any], role: str, status: int) -> None:
    task_for(Kind.TRAVEL, last_name="Quillfeather")

    response = client_for(staff[role]).get(reverse(DESK))

    assert response.status_code == status
    assert ("Quillfeather" in response.content.decode()) == (status == 200)


@pytest.mark.parametrize("role", ["navigator_user", "records_user"])
def test_other_roles_cannot_take_or_change_a_task(staff: dict[str, Any], role: str) -> None:
    task = task_for(Kind.TRAVEL)
    client = client_for(staff[role])

    assert client.post(take_url(task)).status_code == 403
    assert client.post(update_url(task), post_of(task, notes="x")).status_code == 403
    task.refresh_from_db()
    assert (task.owner_id, task.notes) == (None, "")


# --- Take it --------------------------------------------------------------------------------


def test_take_it_makes_the_advocate_the_owner_and_starts_the_task(advocate_user) -> None:
    task = task_for(Kind.TRAVEL)
    client = client_for(advocate_user)
    assert "Take it" in client.get(reverse(DESK)).content.decode()

    response = client.post(take_url(task))

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.status) == (advocate_user, TaskState.IN_PROGRESS)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, actor=advocate_user, object_id=str(task.pk)
    ).exists()
    assert "Take it" not in client.get(reverse(DESK)).content.decode()


def test_a_task_already_taken_is_not_taken_again(advocate_user) -> None:
    task = task_for(Kind.TRAVEL)
    other = make_advocate("advocate2")
    support_task_take(task=task, by=other)

    response = client_for(advocate_user).post(take_url(task), follow=True)

    task.refresh_from_db()
    assert task.owner == other
    assert "is not free to take" in response.content.decode()


def test_two_takes_at_once_one_wins(advocate_user) -> None:
    """The claim is a conditional UPDATE: a stale copy of the task cannot take it again."""
    task = task_for(Kind.TRAVEL)
    stale = SupportTask.objects.select_related("case").get(pk=task.pk)
    support_task_take(task=task, by=make_advocate("advocate2"))

    with pytest.raises(ValidationError) as refused:
        support_task_take(task=stale, by=advocate_user)

    assert refused.value.code == "taken"


def test_a_supervisor_gets_no_take_button_and_cannot_take(supervisor) -> None:
    task = task_for(Kind.TRAVEL)
    client = client_for(supervisor)

    assert "Take it" not in client.get(reverse(DESK)).content.decode()
    assert client.post(take_url(task)).status_code == 403


# --- Owners, outcomes, done -----------------------------------------------------------------


def test_owner_choices_are_advocates_only(staff: dict[str, Any]) -> None:
    task_for(Kind.TRAVEL)
    other = make_advocate("advocate2")

    response = client_for(staff["supervisor"]).get(reverse(DESK))

    form = response.context["rows"][0].form
    choices = {value for value, _label in form.fields["owner"].choices if value}
    assert choices == {staff["advocate_user"].pk, other.pk}


def test_a_non_advocate_owner_is_refused(supervisor, navigator_user) -> None:
    task = task_for(Kind.TRAVEL)

    response = client_for(supervisor).post(update_url(task), post_of(task, owner=navigator_user.pk))

    assert response.status_code == 400
    task.refresh_from_db()
    assert task.owner_id is None
    with pytest.raises(ValidationError) as refused:
        support_task_update(
            task=task, by=supervisor, owner=navigator_user, status=task.status, notes=""
        )
    assert refused.value.code == "owner_not_advocate"


def test_a_supervisor_gives_a_task_to_an_advocate(supervisor, advocate_user) -> None:
    task = task_for(Kind.TRAVEL)

    response = client_for(supervisor).post(
        update_url(task), post_of(task, owner=advocate_user.pk, notes="Call the shuttle.")
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.notes) == (advocate_user, "Call the shuttle.")


@pytest.mark.parametrize(
    ("kind", "offered", "not_offered"),
    [
        (Kind.FINANCIAL, Outcome.AID_APPROVED, Outcome.INTERPRETER_BOOKED),
        (Kind.TRAVEL, Outcome.ARRANGED, Outcome.AID_APPROVED),
        (Kind.INTERPRETER, Outcome.INTERPRETER_BOOKED, Outcome.AID_NOT_ELIGIBLE),
        (Kind.INSURANCE, InsuranceOutcome.VERIFIED, Outcome.AID_APPROVED),
    ],
)
def test_outcomes_are_offered_only_where_they_apply(
    advocate_user, kind: str, offered: str, not_offered: str
) -> None:
    """The financial-aid outcomes only on financial tasks, an interpreter's on interpreter
    tasks, the insurance outcome on insurance verifications."""
    task_for(kind)

    response = client_for(advocate_user).get(reverse(DESK))

    choices = {
        value for value, _label in response.context["rows"][0].form.fields["outcome"].choices
    }
    assert offered in choices
    assert not_offered not in choices


def test_mark_done_needs_an_outcome(advocate_user) -> None:
    task = task_for(Kind.FINANCIAL)
    data = post_of(task)
    data[f"task-{task.pk}-done"] = "1"

    response = client_for(advocate_user).post(update_url(task), data)

    assert response.status_code == 400
    assert "give the outcome to mark it done" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskState.OPEN


def test_mark_done_with_an_outcome(advocate_user) -> None:
    task = task_for(Kind.FINANCIAL)
    data = post_of(task, outcome=Outcome.AID_APPROVED, owner=advocate_user.pk)
    data[f"task-{task.pk}-done"] = "1"

    response = client_for(advocate_user).post(update_url(task), data)

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskState.DONE, Outcome.AID_APPROVED)
    assert task.completed_at is not None
    assert "outcome" in AuditEvent.objects.filter(object_id=str(task.pk)).last().detail["fields"]


def test_an_outcome_of_another_kind_is_refused(advocate_user) -> None:
    task = task_for(Kind.TRAVEL)

    with pytest.raises(ValidationError) as refused:
        support_task_update(
            task=task,
            by=advocate_user,
            owner=None,
            status=TaskState.DONE,
            notes="",
            outcome=Outcome.AID_APPROVED,
        )

    assert refused.value.code == "outcome_not_of_kind"


def test_an_insurance_task_is_done_with_the_insurance_outcome(advocate_user) -> None:
    task = task_for(Kind.INSURANCE)
    data = post_of(task, outcome=InsuranceOutcome.VERIFIED)
    data[f"task-{task.pk}-done"] = "1"

    response = client_for(advocate_user).post(update_url(task), data)

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskState.DONE
    assert SecondOpinionRequest.objects.get(pk=task.case_id).insurance_outcome == "verified"


# --- Cost -----------------------------------------------------------------------------------


def desk_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DESK))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["advocate_user", "supervisor"])
def test_the_desk_costs_the_same_at_1_and_50_tasks(staff: dict[str, Any], role: str) -> None:
    """At most 15 queries, the same for 1 task as for 50 (owned and not, booked and not)."""
    client = client_for(staff[role])
    task_for(Kind.TRAVEL)
    client.get(reverse(DESK))

    at_1 = desk_queries(client)
    kinds = list(Kind)
    for n in range(1, 50):
        task = task_for(kinds[n % len(kinds)], visit_in=(n % 9) if n % 2 else None)
        if n % 3 == 0:
            support_task_take(task=task, by=staff["advocate_user"])
    at_50 = desk_queries(client)

    assert at_50 == at_1
    assert at_50 <= 15


# --- The task's own page --------------------------------------------------------------------


def test_the_task_page_offers_the_outcome_of_its_kind_only(advocate_user) -> None:
    """A financial task's page offers the financial-aid outcomes, not the insurance outcome;
    an insurance verification's page the insurance outcome."""
    financial = task_for(Kind.FINANCIAL)
    insurance = task_for(Kind.INSURANCE)
    client = client_for(advocate_user)

    page = client.get(reverse("admin:requests_supporttask_change", args=[financial.pk]))
    html = page.content.decode()
    assert "Financial aid approved" in html
    assert 'name="insurance_outcome"' not in html
    assert "Interpreter booked" not in html

    page = client.get(reverse("admin:requests_supporttask_change", args=[insurance.pk]))
    html = page.content.decode()
    assert 'name="insurance_outcome"' in html
    assert "Financial aid approved" not in html
