"""Navigators and supervisors work a case in the admin, in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import Status
from requests.models import CaseNote, SecondOpinionRequest
from requests.services import case_transition
from tests.e2e.browser import screenshot
from tests.factories import make_request
from tests.infra import SmtpSink, WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


def log_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    # Each role lands on its own page (navigators.access.landing_page).
    page.wait_for_url(
        lambda url: url.startswith(live_server.url + "/admin/") and "login" not in url
    )


@pytest.fixture
def ready_case(navigator_user: Any, supervisor: Any) -> SecondOpinionRequest:
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    return case


def test_navigator_notes_and_books_from_my_cases(
    page: Any,
    live_server: Any,
    ready_case: SecondOpinionRequest,
    navigator_user: Any,
    celery_worker: WorkerProcess,
    smtp_sink: SmtpSink,
) -> None:
    """My cases lists the case; a note is added; booking emails the patient via the worker."""
    log_in(page, live_server, "navigator")
    page.goto(live_server.url + "/admin/requests/secondopinionrequest/")
    screenshot(page, "staff-01-my-cases")
    page.get_by_role("link", name=ready_case.reference).click()
    page.locator("#id_body").fill("Called the patient; records are on their way.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    assert CaseNote.objects.filter(case=ready_case, author=navigator_user).count() == 1

    page.get_by_role("link", name="Book an appointment").click()
    when = timezone.localtime(timezone.now() + timedelta(days=3)).replace(hour=10, minute=0)
    page.locator("#id_starts_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_clinician").fill("Dr. Helen Park")
    page.locator("#id_location").fill("Cancer Center, Building B, 3rd floor")
    screenshot(page, "staff-02-book")
    page.get_by_role("button", name="Book the appointment").click()
    page.wait_for_load_state()
    screenshot(page, "staff-03-booked")
    ready_case.refresh_from_db()
    assert ready_case.status == Status.SCHEDULED
    # The confirmation and the appointment email, both delivered by the worker.
    messages = smtp_sink.wait_for(2, timeout=15)
    subjects = [message["Subject"] for message in messages]
    assert any("appointment is booked" in subject for subject in subjects), subjects


def test_supervisor_reassigns_a_case(
    page: Any,
    live_server: Any,
    ready_case: SecondOpinionRequest,
    other_navigator_user: Any,
    supervisor: Any,
) -> None:
    log_in(page, live_server, "supervisor")
    page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{ready_case.pk}/change/")
    page.locator("#id_navigator").select_option(str(other_navigator_user.navigator.pk))
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state()
    screenshot(page, "staff-04-reassigned")
    ready_case.refresh_from_db()
    assert ready_case.navigator == other_navigator_user.navigator


def test_records_staff_see_no_status_or_assignment_controls(
    page: Any, live_server: Any, ready_case: SecondOpinionRequest, records_user: Any
) -> None:
    """Records staff reach cases through their desk: the workspace is refused to them, and
    shows no moves."""
    log_in(page, live_server, "records")
    response = page.goto(
        live_server.url + f"/admin/requests/secondopinionrequest/{ready_case.pk}/change/"
    )
    screenshot(page, "staff-05-records-view")
    assert response.status == 403
    assert page.locator(".transition-form").count() == 0
    assert page.locator(".assign-form").count() == 0
    assert "Book an appointment" not in page.content()


def test_records_specialist_marks_an_item_received(
    page: Any,
    live_server: Any,
    ready_case: SecondOpinionRequest,
    records_user: Any,
    navigator_user: Any,
) -> None:
    """From the worklist, records staff mark an item received; the case's count goes up."""
    from requests.models import RecordItem
    from requests.selectors import records_progress

    item = RecordItem.objects.create(
        case=ready_case, kind=RecordItem.Kind.PATHOLOGY_REPORT, facility="Riverside Medical"
    )
    log_in(page, live_server, "records")
    page.goto(live_server.url + "/admin/requests/recorditem/")
    screenshot(page, "staff-06-worklist")
    page.locator(f"input[name='_selected_action'][value='{item.pk}']").check()
    page.locator("select[name='action']").select_option("mark_received")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    item.refresh_from_db()
    assert item.status == RecordItem.State.RECEIVED
    assert records_progress(ready_case).received == 1
