"""Support for the patient: tasks from the intake answers, the insurance gate, the worklist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import Status
from requests.models import (
    Assignment,
    AuditEvent,
    CaseNote,
    InsuranceOutcome,
    Notification,
    SecondOpinionRequest,
    StatusChange,
    SupportTask,
)
from requests.services import case_transition, support_task_save
from tests.factories import DIAGNOSIS_TEXT, book_appointment, client_for, form_data, make_request

pytestmark = pytest.mark.django_db

Kind = SupportTask.Kind
TaskState = SupportTask.State
WORKLIST = "admin:requests_supporttask_changelist"
TASK_CHANGE = "admin:requests_supporttask_change"
CASE_CHANGE = "admin:requests_secondopinionrequest_change"
NOTE_TEXT = "Patient worried about the HER2 result; discussed trastuzumab."


def kinds(case: SecondOpinionRequest) -> set[str]:
    return set(case.support_tasks.values_list("kind", flat=True))


# --- Tasks from the intake answers -------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected", "outcome"),
    [
        ({}, set(), ""),
        ({"needs_travel": True}, {Kind.TRAVEL}, ""),
        ({"needs_lodging": True}, {Kind.LODGING}, ""),
        ({"needs_financial": True}, {Kind.FINANCIAL}, ""),
        ({"interpreter_needed": True}, {Kind.INTERPRETER}, ""),
        ({"coverage_checked": "yes"}, set(), ""),
        ({"coverage_checked": "no"}, {Kind.INSURANCE}, InsuranceOutcome.PENDING),
        ({"coverage_checked": "help"}, {Kind.INSURANCE}, InsuranceOutcome.PENDING),
        (
            {"needs_travel": True, "needs_lodging": True, "needs_financial": True},
            {Kind.TRAVEL, Kind.LODGING, Kind.FINANCIAL},
            "",
        ),
        (
            {
                "needs_travel": True,
                "needs_lodging": True,
                "needs_financial": True,
                "interpreter_needed": True,
                "coverage_checked": "help",
            },
            set(Kind.values),
            InsuranceOutcome.PENDING,
        ),
    ],
    ids=[
        "none",
        "travel",
        "lodging",
        "financial",
        "interpreter",
        "coverage-yes",
        "coverage-no",
        "coverage-help",
        "travel-lodging-financial",
        "everything",
    ],
)
def test_the_intake_answers_make_the_support_tasks(
    answers: dict[str, Any], expected: set[str], outcome: str
) -> None:
    """Each need asked for makes one open task; unchecked coverage makes the insurance task."""
    case = make_request(**answers)

    assert kinds(case) == expected
    assert set(case.support_tasks.values_list("status", flat=True)) <= {TaskState.OPEN}
    assert case.insurance_outcome == outcome
    assert SecondOpinionRequest.objects.get(pk=case.pk).insurance_outcome == outcome


def test_the_public_form_makes_the_tasks_it_asks_for(client) -> None:
    """Ticked needs on the public form, and coverage "no", become open tasks."""
    response = client.post(
        "/request/",
        form_data(needs_travel="on", needs_lodging="on", interpreter_needed="on"),
    )
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    assert kinds(case) == {Kind.TRAVEL, Kind.LODGING, Kind.INTERPRETER, Kind.INSURANCE}
    assert case.insurance_outcome == InsuranceOutcome.PENDING


# --- The insurance gate on booking -------------------------------------------------------


@pytest.fixture
def gated_case(supervisor, navigator_user) -> SecondOpinionRequest:
    """A case ready to schedule whose insurance verification is still open."""
    case = make_request(coverage_checked="help")
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    return case


def insurance_task(case: SecondOpinionRequest) -> SupportTask:
    return case.support_tasks.get(kind=Kind.INSURANCE)


@pytest.mark.parametrize("override", ["", "   "])
def test_booking_with_insurance_open_needs_a_note(
    gated_case, navigator_user, override: str
) -> None:
    """Booking while the insurance task is open is refused without a note; nothing saved."""
    with pytest.raises(ValidationError) as refused:
        book_appointment(gated_case, navigator_user, insurance_override=override)

    assert refused.value.code == "insurance_open"
    gated_case.refresh_from_db()
    assert gated_case.status == Status.READY_TO_SCHEDULE
    assert not gated_case.appointments.exists()
    assert not gated_case.status_changes.filter(to_status=Status.SCHEDULED).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.APPOINTMENT).exists()


def test_an_in_progress_insurance_task_still_gates_booking(gated_case, navigator_user) -> None:
    """A task the advocate has started is not done: booking still needs a note."""
    SupportTask.objects.filter(pk=insurance_task(gated_case).pk).update(
        status=TaskState.IN_PROGRESS
    )
    with pytest.raises(ValidationError) as refused:
        book_appointment(gated_case, navigator_user)
    assert refused.value.code == "insurance_open"


def test_booking_with_an_override_note_is_allowed_and_kept(gated_case, navigator_user) -> None:
    """With a note the case is booked, and the note is in its change to scheduled."""
    book_appointment(
        gated_case,
        navigator_user,
        insurance_override="  Patient chose to self-pay if not covered.  ",
    )

    gated_case.refresh_from_db()
    assert gated_case.status == Status.SCHEDULED
    change = gated_case.status_changes.get(to_status=Status.SCHEDULED)
    assert "Patient chose to self-pay if not covered." in change.note
    assert "insurance" in change.note.lower()
    assert change.changed_by == navigator_user
    assert insurance_task(gated_case).status == TaskState.OPEN


@pytest.mark.parametrize("settled", [TaskState.DONE, TaskState.NOT_NEEDED])
def test_booking_needs_no_note_once_the_task_is_settled(
    gated_case, navigator_user, advocate_user, settled: str
) -> None:
    """Once the advocate closes the insurance task, booking needs no note."""
    task = insurance_task(gated_case)
    before = {"status": task.status, "owner_id": task.owner_id, "notes": task.notes}
    task.status = settled
    support_task_save(
        task=task, by=advocate_user, before=before, insurance_outcome=InsuranceOutcome.VERIFIED
    )

    book_appointment(gated_case, navigator_user)

    gated_case.refresh_from_db()
    assert gated_case.status == Status.SCHEDULED
    assert gated_case.status_changes.get(to_status=Status.SCHEDULED).note == "Appointment booked."


def test_a_case_without_an_insurance_task_books_without_a_note(supervisor, navigator_user) -> None:
    """Coverage already checked: no task, no gate."""
    case = make_request(coverage_checked="yes")
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    book_appointment(case, navigator_user)
    case.refresh_from_db()
    assert case.status == Status.SCHEDULED


def test_the_book_page_refuses_then_accepts_with_a_note(gated_case, navigator_user) -> None:
    """The admin's booking form shows the gate's message, and books once given a note."""
    client = client_for(navigator_user)
    url = reverse("admin:case_book", args=[gated_case.pk])
    starts_at = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    post = {
        "starts_at": starts_at,
        "specialty": "medical",
        "clinician": "Dr. Helen Park",
        "modality": "in_person",
        "location": "Yawkey Center, floor 9",
    }

    refused = client.post(url, post)
    assert refused.status_code == 200
    assert "Insurance verification is still open" in refused.content.decode()
    assert not gated_case.appointments.exists()

    accepted = client.post(url, {**post, "insurance_override": "Urgent: plan needed this week."})
    assert accepted.status_code == 302
    change = StatusChange.objects.get(case=gated_case, to_status=Status.SCHEDULED)
    assert "Urgent: plan needed this week." in change.note


def test_recording_a_verified_outcome_lifts_the_gate(
    gated_case, navigator_user, advocate_user
) -> None:
    """Following the gate's message (record the outcome) is enough to book."""
    task = insurance_task(gated_case)
    response = client_for(advocate_user).post(
        reverse(TASK_CHANGE, args=[task.pk]),
        {"status": task.status, "owner": "", "notes": "", "insurance_outcome": "verified"},
    )
    assert response.status_code == 302
    gated_case.refresh_from_db()
    assert gated_case.insurance_outcome == InsuranceOutcome.VERIFIED
    book_appointment(gated_case, navigator_user)


# --- The advocates' worklist -------------------------------------------------------------


def test_advocates_see_the_worklist(advocate_user) -> None:
    """The worklist lists each task with its case's reference, language and phone."""
    case = make_request(needs_travel=True, preferred_language="es", interpreter_needed=True)

    response = client_for(advocate_user).get(reverse(WORKLIST))

    page = response.content.decode()
    assert response.status_code == 200
    assert case.reference in page
    assert "ES + interpreter" in page
    assert case.phone in page
    assert DIAGNOSIS_TEXT not in page


def test_an_advocate_changes_a_task_and_records_the_insurance_outcome(advocate_user) -> None:
    """The task's change page saves status, owner and notes; the outcome lands on the case."""
    case = make_request(coverage_checked="no")
    task = insurance_task(case)
    client = client_for(advocate_user)
    url = reverse(TASK_CHANGE, args=[task.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "status": TaskState.DONE,
            "owner": advocate_user.pk,
            "notes": "Called Blue Cross: covered.",
            "insurance_outcome": InsuranceOutcome.VERIFIED,
        },
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskState.DONE
    assert task.owner == advocate_user
    assert task.notes == "Called Blue Cross: covered."
    assert task.completed_at is not None
    case.refresh_from_db()
    assert case.insurance_outcome == InsuranceOutcome.VERIFIED
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, case=case)
    assert event.actor == advocate_user
    assert "insurance_outcome" in event.detail["fields"]


def test_reopening_a_task_clears_its_completion(advocate_user) -> None:
    """A done task put back to in progress is no longer completed."""
    case = make_request(needs_travel=True)
    task = case.support_tasks.get()
    client = client_for(advocate_user)
    url = reverse(TASK_CHANGE, args=[task.pk])
    client.post(url, {"status": TaskState.DONE, "owner": "", "notes": ""})
    task.refresh_from_db()
    assert task.completed_at is not None

    client.post(url, {"status": TaskState.IN_PROGRESS, "owner": "", "notes": ""})

    task.refresh_from_db()
    assert task.status == TaskState.IN_PROGRESS
    assert task.completed_at is None


def test_an_advocate_changes_a_status_from_the_list(advocate_user) -> None:
    """The status column of the worklist is editable in place."""
    case = make_request(needs_lodging=True)
    task = case.support_tasks.get()

    response = client_for(advocate_user).post(
        reverse(WORKLIST),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(task.pk),
            "form-0-status": TaskState.IN_PROGRESS,
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskState.IN_PROGRESS
    assert AuditEvent.objects.filter(case=case, actor=advocate_user).exists()


def test_an_outcome_on_another_kind_of_task_leaves_the_case_alone(advocate_user) -> None:
    """An insurance outcome chosen on a travel task does not change the case's outcome."""
    case = make_request(needs_travel=True, coverage_checked="no")
    task = case.support_tasks.get(kind=Kind.TRAVEL)
    client_for(advocate_user).post(
        reverse(TASK_CHANGE, args=[task.pk]),
        {"status": TaskState.DONE, "owner": "", "notes": "", "insurance_outcome": "not_covered"},
    )
    case.refresh_from_db()
    assert case.insurance_outcome == InsuranceOutcome.PENDING


def test_the_audit_does_not_claim_an_outcome_that_was_not_recorded(advocate_user) -> None:
    """The audit of a travel task's change names no insurance outcome."""
    case = make_request(needs_travel=True, coverage_checked="no")
    task = case.support_tasks.get(kind=Kind.TRAVEL)
    client_for(advocate_user).post(
        reverse(TASK_CHANGE, args=[task.pk]),
        {"status": TaskState.DONE, "owner": "", "notes": "", "insurance_outcome": "not_covered"},
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, case=case)
    assert "insurance_outcome" not in event.detail["fields"]


def test_records_staff_cannot_open_the_worklist(records_user) -> None:
    """Records staff get 403 on the worklist and on a task's page, and change nothing."""
    case = make_request(needs_travel=True)
    task = case.support_tasks.get()
    client = client_for(records_user)

    assert client.get(reverse(WORKLIST)).status_code == 403
    assert client.get(reverse(TASK_CHANGE, args=[task.pk])).status_code == 403
    response = client.post(
        reverse(TASK_CHANGE, args=[task.pk]), {"status": TaskState.DONE, "owner": "", "notes": ""}
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskState.OPEN


def test_navigators_see_the_tasks_but_cannot_change_them(navigator_user) -> None:
    """Navigators may read the worklist; a post to change a task is refused."""
    case = make_request(needs_travel=True)
    task = case.support_tasks.get()
    client = client_for(navigator_user)

    assert client.get(reverse(WORKLIST)).status_code == 200
    response = client.post(
        reverse(TASK_CHANGE, args=[task.pk]), {"status": TaskState.DONE, "owner": "", "notes": ""}
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskState.OPEN


def test_tasks_cannot_be_added_or_deleted_by_hand(advocate_user) -> None:
    """Tasks come from the intake answers: the add and delete pages are refused."""
    case = make_request(needs_travel=True)
    task = case.support_tasks.get()
    client = client_for(advocate_user)
    assert client.get(reverse("admin:requests_supporttask_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:requests_supporttask_delete", args=[task.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert SupportTask.objects.filter(pk=task.pk).exists()


# --- The advocate's view of a case -------------------------------------------------------


@pytest.fixture
def advocated_case(supervisor, navigator_user) -> SecondOpinionRequest:
    """An assigned case with insurance, support needs, a diagnosis and a navigator's note."""
    case = make_request(
        preferred_language="es",
        interpreter_needed=True,
        needs_travel=True,
        needs_lodging=True,
        insurance_carrier="Blue Cross",
        insurance_member_id="XJ123456",
        coverage_checked="help",
        current_oncologist="Dr. Samuel Whitfield",
    )
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    CaseNote.objects.create(case=case, body=NOTE_TEXT, author=navigator_user)
    return case


def test_the_advocates_task_page_shows_what_their_work_needs(advocated_case, advocate_user) -> None:
    """Advocates have no case page (roles.py); a task's page shows the contact, language,
    insurance and support wanted; diagnosis, notes and the disease group are not on it."""
    task = advocated_case.support_tasks.get(kind=SupportTask.Kind.INSURANCE)
    client = client_for(advocate_user)
    assert client.get(reverse(CASE_CHANGE, args=[advocated_case.pk])).status_code == 403

    response = client.get(reverse("admin:requests_supporttask_change", args=[task.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    for shown in (
        advocated_case.reference,
        advocated_case.phone,
        "maria.lopez@example.com",
        "Español (Spanish)",
        "interpreter needed",
        "Blue Cross",
        "XJ123456",
        "help with travel",
        "Insurance verification",
    ):
        assert shown in page, shown
    for hidden in (DIAGNOSIS_TEXT, "Whitfield", NOTE_TEXT, "HER2", "Breast cancer"):
        assert hidden not in page, hidden


def case_snapshot(case: SecondOpinionRequest) -> dict[str, Any]:
    row = SecondOpinionRequest.objects.get(pk=case.pk)
    return {
        "status": row.status,
        "navigator": row.navigator_id,
        "phone": row.phone,
        "questions": row.questions,
        "insurance_outcome": row.insurance_outcome,
        "updated_at": row.updated_at,
        "changes": StatusChange.objects.filter(case=case).count(),
        "assignments": Assignment.objects.filter(case=case).count(),
        "notes": CaseNote.objects.filter(case=case).count(),
    }


def test_an_advocates_crafted_case_page_post_is_refused(
    advocated_case, advocate_user, other_navigator_user
) -> None:
    """A post to the case's change page by an advocate is a 403 and changes nothing."""
    before = case_snapshot(advocated_case)
    response = client_for(advocate_user).post(
        reverse(CASE_CHANGE, args=[advocated_case.pk]),
        {
            "phone": "+16175559876",
            "questions": "Changed",
            "status": Status.CLOSED,
            "navigator": other_navigator_user.navigator.pk,
            "insurance_outcome": InsuranceOutcome.VERIFIED,
            "notes-TOTAL_FORMS": "1",
            "notes-INITIAL_FORMS": "0",
            "notes-0-kind": "note",
            "notes-0-body": "Added by an advocate",
        },
    )
    assert response.status_code == 403
    assert case_snapshot(advocated_case) == before


def test_an_advocate_cannot_move_a_case(advocated_case, advocate_user) -> None:
    """A crafted post to the transition action is a 403 and changes nothing."""
    before = case_snapshot(advocated_case)
    response = client_for(advocate_user).post(
        reverse("admin:case_transition", args=[advocated_case.pk]),
        {"to_status": Status.WITHDRAWN, "note": "Patient called to withdraw."},
    )
    assert response.status_code == 403
    assert case_snapshot(advocated_case) == before


def test_an_advocate_cannot_assign_a_case(
    advocated_case, advocate_user, other_navigator_user
) -> None:
    """A crafted post to the assign action is a 403 and changes nothing."""
    before = case_snapshot(advocated_case)
    response = client_for(advocate_user).post(
        reverse("admin:case_assign", args=[advocated_case.pk]),
        {"navigator": other_navigator_user.navigator.pk, "note": "Cover."},
    )
    assert response.status_code == 403
    assert case_snapshot(advocated_case) == before
