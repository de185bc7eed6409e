"""The navigator's Today page (navigators.staff_views.today_view, requests.selectors.today):
open cases in the order to work them, what each row shows, the queue with one-click take,
who may open whose day, and a query count that does not grow with the cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_take
from requests.choices import Status, TargetState
from requests.models import AuditEvent, CaseNote, SecondOpinionRequest
from requests.selectors.today import Rank, navigator_today
from requests.services import case_transition, document_store
from tests import files
from tests.factories import client_for, make_request

pytestmark = pytest.mark.django_db

TODAY = reverse("admin:today")


def own_case(
    user: Any,
    *,
    days_to_target: int,
    state: str = TargetState.ON_TRACK,
    contact_hours_ago: float | None = None,
    outcome: str = CaseNote.Outcome.NO_ANSWER,
    **fields: Any,
) -> SecondOpinionRequest:
    """Return an open case of the navigator `user` with the target, state and last contact
    attempt asked for."""
    case = make_request(**fields)
    case_take(case=case, navigator=user.navigator)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        target_date=timezone.localdate() + timedelta(days=days_to_target), target_state=state
    )
    if contact_hours_ago is not None:
        CaseNote.objects.create(
            case=case,
            kind=CaseNote.Kind.CALL,
            outcome=outcome,
            body="Called.",
            author=user,
            created_at=timezone.now() - timedelta(hours=contact_hours_ago),
        )
    case.refresh_from_db()
    return case


def test_the_day_is_in_the_order_to_work_it(navigator_user: Any, other_navigator_user: Any) -> None:
    """Not contacted yet, then contact due, at risk, overdue, then the rest; the soonest
    target first within each. Other navigators' cases and closed cases are not listed."""
    reached = CaseNote.Outcome.REACHED
    later_rest = own_case(navigator_user, days_to_target=6, contact_hours_ago=2, outcome=reached)
    overdue = own_case(
        navigator_user,
        days_to_target=-1,
        state=TargetState.OVERDUE,
        contact_hours_ago=3,
        outcome=reached,
    )
    new_far = own_case(navigator_user, days_to_target=5)
    at_risk = own_case(
        navigator_user, days_to_target=1, state=TargetState.AT_RISK, contact_hours_ago=2
    )
    due_again = own_case(navigator_user, days_to_target=4, contact_hours_ago=30)
    new_overdue = own_case(navigator_user, days_to_target=-2, state=TargetState.OVERDUE)
    sooner_rest = own_case(navigator_user, days_to_target=3, contact_hours_ago=1, outcome=reached)
    new_near = own_case(navigator_user, days_to_target=2)
    closed = own_case(navigator_user, days_to_target=1)
    case_transition(case=closed, to_status=Status.WITHDRAWN, by=navigator_user, note="Moved.")
    own_case(other_navigator_user, days_to_target=0)

    today = navigator_today(navigator_id=navigator_user.navigator.pk, user_id=navigator_user.pk)

    assert [row.case.pk for row in today.rows] == [
        new_overdue.pk,
        new_near.pk,
        new_far.pk,
        due_again.pk,
        at_risk.pk,
        overdue.pk,
        sooner_rest.pk,
        later_rest.pk,
    ]
    assert [row.rank for row in today.rows] == [
        Rank.NOT_CONTACTED,
        Rank.NOT_CONTACTED,
        Rank.NOT_CONTACTED,
        Rank.CONTACT_DUE,
        Rank.AT_RISK,
        Rank.OVERDUE,
        Rank.REST,
        Rank.REST,
    ]
    assert today.rank_counts == {
        Rank.NOT_CONTACTED: 3,
        Rank.CONTACT_DUE: 1,
        Rank.AT_RISK: 1,
        Rank.OVERDUE: 1,
        Rank.REST: 2,
    }


def test_each_row_shows_last_contact_next_action_target_and_new_documents(
    navigator_user: Any,
) -> None:
    """A row has the latest attempt in words, the next action (selectors.next_action), the
    days left in words and colour, and the documents others uploaded since the navigator
    last opened the case page."""
    case = own_case(
        navigator_user, days_to_target=1, state=TargetState.AT_RISK, contact_hours_ago=30
    )
    client = client_for(navigator_user)
    client.get(reverse("admin:requests_secondopinionrequest_change", args=[case.pk]))
    document_store(
        case=case,
        upload=SimpleUploadedFile("mine.pdf", files.PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=navigator_user,
    )
    document_store(
        case=case,
        upload=SimpleUploadedFile("scan.pdf", files.PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )

    [row] = navigator_today(
        navigator_id=navigator_user.navigator.pk, user_id=navigator_user.pk
    ).rows

    assert row.last_contact_words == "Phone call, no answer"
    assert row.next_action.text == "Call the patient again: not reached yet."
    assert row.next_action.due
    assert (row.target_words, row.target_colour) == ("1 day left", "warn")
    assert row.new_documents == 1  # the patient's; not the one the navigator uploaded

    html = client.get(TODAY).content.decode()
    assert case.reference in html
    assert "Maria Lopez" in html
    assert "Call the patient again: not reached yet." in html
    assert "1 day left" in html
    assert "1 new" in html


def test_documents_before_the_last_opening_are_not_new(navigator_user: Any) -> None:
    """Opening the case page marks what was uploaded until then as seen."""
    case = own_case(navigator_user, days_to_target=4)
    document_store(
        case=case,
        upload=SimpleUploadedFile("scan.pdf", files.PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )
    today = navigator_today(navigator_id=navigator_user.navigator.pk, user_id=navigator_user.pk)
    assert today.rows[0].new_documents == 1

    client_for(navigator_user).get(
        reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    )

    today = navigator_today(navigator_id=navigator_user.navigator.pk, user_id=navigator_user.pk)
    assert today.rows[0].new_documents == 0


def test_one_click_takes_a_case_from_the_queue_and_comes_back(navigator_user: Any) -> None:
    """The queue lists unassigned cases with a Take button; its post takes the case for the
    navigator and opens its workspace, to make the first call; back on Today the case is
    among their own."""
    waiting = make_request(last_name="Waiting")
    client = client_for(navigator_user)
    html = client.get(TODAY).content.decode()
    assert "Unassigned queue: 1 case waiting" in html
    assert reverse("admin:case_take", args=[waiting.pk]) in html

    response = client.post(reverse("admin:case_take", args=[waiting.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:requests_secondopinionrequest_change", args=[waiting.pk]
    )
    waiting.refresh_from_db()
    assert waiting.navigator == navigator_user.navigator
    assert (
        f"Case {waiting.reference} is yours." in client.get(response["Location"]).content.decode()
    )
    today = client.get(TODAY).context["today"]
    assert [row.case.pk for row in today.rows] == [waiting.pk]
    assert today.queue == []


def test_a_supervisor_sees_a_navigators_day_and_assigns_from_the_queue(
    supervisor: Any, navigator_user: Any
) -> None:
    """A supervisor opens any navigator's Today (from the team page); the queue offers them
    the reassign picker, not Take (taking is for oneself)."""
    case = own_case(navigator_user, days_to_target=3)
    waiting = make_request()
    client = client_for(supervisor)

    response = client.get(TODAY, {"navigator": navigator_user.navigator.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert reverse("admin:case_reassign", args=[waiting.pk]) in html
    assert reverse("admin:case_take", args=[waiting.pk]) not in html


def test_a_navigator_sees_only_their_own_day(
    navigator_user: Any, other_navigator_user: Any
) -> None:
    """Asking for another navigator's day is refused; one's own by number is fine."""
    client = client_for(navigator_user)

    assert client.get(TODAY, {"navigator": other_navigator_user.navigator.pk}).status_code == 403
    assert client.get(TODAY, {"navigator": navigator_user.navigator.pk}).status_code == 200
    assert client.get(TODAY, {"navigator": "x"}).status_code == 404


@pytest.mark.parametrize("role", ["records_user", "advocate_user"])
def test_records_staff_and_advocates_are_refused(request: Any, role: str) -> None:
    case = make_request(last_name="Quillfeather")
    response = client_for(request.getfixturevalue(role)).get(TODAY)

    assert response.status_code == 403
    assert case.last_name not in response.content.decode()


def test_the_page_is_audited(navigator_user: Any) -> None:
    """Opening Today is in the audit trail, with the ids of the cases shown (no names)."""
    case = own_case(navigator_user, days_to_target=3)
    waiting = make_request()

    client_for(navigator_user).get(TODAY)

    event = AuditEvent.objects.get(actor=navigator_user, detail__view="today")
    assert event.detail["cases"] == [case.pk]
    assert event.detail["queue"] == [waiting.pk]


def count_queries(client: Any) -> int:
    client.get(TODAY)  # the first page of a session renews its expiry: not counted
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TODAY)
    assert response.status_code == 200
    return len(captured)


def test_the_page_costs_the_same_few_queries_at_1_and_50_cases(navigator_user: Any) -> None:
    """At most 15 queries, the same with 1 case and one in the queue as with 50 of each."""
    with time_machine.travel(timezone.now(), tick=False):
        client = client_for(navigator_user)
        own_case(navigator_user, days_to_target=3, contact_hours_ago=2)
        make_request()
        few = count_queries(client)
        assert few <= 15

        for number in range(49):
            case = own_case(navigator_user, days_to_target=number % 9, contact_hours_ago=number)
            document_store(
                case=case,
                upload=SimpleUploadedFile("scan.pdf", files.PDF, content_type="application/pdf"),
                content_type="application/pdf",
                by=None,
            )
            make_request()

        assert count_queries(client) == few
