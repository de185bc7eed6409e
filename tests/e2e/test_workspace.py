"""The case workspace in Chromium: it fits a desktop and a phone, passes axe, and logs a
contact in two clicks with JavaScript (htmx, no reload) and without it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from navigators.services import case_assign
from requests.models import Appointment, CaseNote, RecordItem, SecondOpinionRequest
from requests.services import case_contact_log, case_note_add, document_store, record_items_mark
from tests import files
from tests.e2e.browser import screenshot
from tests.e2e.checks import serious_violations
from tests.factories import make_request

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def case(navigator_user: Any, supervisor: Any) -> SecondOpinionRequest:
    """A case in the middle of its work: records partly in, notes, attempts, a booked visit,
    support tasks and a document."""
    case = make_request(
        first_name="Maria",
        last_name="Lopez",
        needs_records_help=True,
        needs_travel=True,
        needs_lodging=True,
        preferred_language="es",
        interpreter_needed=True,
        current_oncologist="Dr. Samuel Whitfield",
        current_facility="Riverside Medical Center",
        insurance_carrier="Blue Cross",
        insurance_member_id="XJ123456",
    )
    if case.navigator_id != navigator_user.navigator.pk:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    items = list(RecordItem.objects.filter(case=case))
    record_items_mark(
        items=RecordItem.objects.filter(pk__in=[item.pk for item in items[:3]]),
        status=RecordItem.State.REQUESTED,
        by=navigator_user,
    )
    record_items_mark(
        items=RecordItem.objects.filter(pk=items[0].pk),
        status=RecordItem.State.RECEIVED,
        by=navigator_user,
    )
    case_contact_log(
        case=case, kind=CaseNote.Kind.CALL, outcome=CaseNote.Outcome.NO_ANSWER, by=navigator_user
    )
    case_contact_log(
        case=case,
        kind=CaseNote.Kind.TEXT,
        outcome=CaseNote.Outcome.REACHED,
        note="Prefers mornings; her daughter Ana will join the calls.",
        by=navigator_user,
    )
    case_note_add(
        case=case,
        body="Pathology slides are at Riverside; release form signed on the call.",
        by=navigator_user,
    )
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=4),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Helen Park",
        modality=Appointment.Modality.IN_PERSON,
        location="Yawkey Center, floor 9",
        booked_by=navigator_user,
    )
    # Booked: the status booking sets (the booking rules are not this test's subject).
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status="scheduled")
    document_store(
        case=case,
        upload=SimpleUploadedFile("pathology-report.pdf", files.PDF, "application/pdf"),
        content_type="application/pdf",
        by=navigator_user,
        record_item=items[0],
    )
    return case


@contextmanager
def signed_in(
    browser: Any, live_server: Any, width: int, username: str = "navigator", **options: Any
) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, is_mobile=width < 800, **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url
    yield page
    context.close()


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def check_workspace(page: Any, width: int, name: str) -> None:
    """The page fits, passes axe, folded and unfolded, and its buttons are 24 px or more."""
    screenshot(page, name)
    fits(page, width)
    assert serious_violations(page) == []
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    fits(page, width)
    assert serious_violations(page) == []
    small = page.evaluate(
        """() => [...document.querySelectorAll('.ws button, .ws .button, .ws summary')]
            .filter(el => el.offsetParent !== null)
            .filter(el => el.getBoundingClientRect().height < 24)
            .map(el => el.textContent.trim())"""
    )
    assert small == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_workspace_fits_and_passes_axe(
    browser: Any, live_server: Any, case: SecondOpinionRequest, width: int
) -> None:
    """No sideways scroll and no serious or critical axe violation on the workspace, with a
    refused upload, and on the details and record-item pages."""
    base = live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}"
    with signed_in(browser, live_server, width) as page:
        page.goto(base + "/change/")
        check_workspace(page, width, f"workspace-{width}")
        page.locator("#id_file").set_input_files(
            files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"<html>"}]
        )
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state()
        assert page.locator("#id_file_error").is_visible()
        check_workspace(page, width, f"workspace-upload-refused-{width}")
        for path in ("/details/", "/records/add/"):
            page.goto(base + path)
            screenshot(page, f"workspace{path.replace('/', '-')}{width}")
            fits(page, width)
            assert serious_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_supervisors_workspace_fits_and_passes_axe(
    browser: Any, live_server: Any, case: SecondOpinionRequest, width: int
) -> None:
    """With the assign form and the audit trail link."""
    with signed_in(browser, live_server, width, username="supervisor") as page:
        page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}/change/")
        assert page.locator(".assign-form").is_visible()
        check_workspace(page, width, f"workspace-supervisor-{width}")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_contact_is_logged_in_two_clicks(
    browser: Any,
    live_server: Any,
    case: SecondOpinionRequest,
    navigator_user: Any,
    javascript: bool,
) -> None:
    """Open the channel, press the outcome: the attempt is in the log. With JavaScript htmx
    swaps the log in place (the page is not reloaded); without it the page reloads."""
    with signed_in(browser, live_server, 1280, java_script_enabled=javascript) as page:
        page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}/change/")
        if javascript:
            page.evaluate("window.notReloaded = true")
        before = CaseNote.objects.filter(case=case).count()

        page.locator("summary", has_text="Log: Email").click()  # click one
        page.get_by_role("button", name="Patient replied").last.click()  # click two
        page.locator(".ws-done, .messagelist").first.wait_for()

        assert "Logged: email, reached the patient." in page.content()
        assert CaseNote.objects.filter(case=case).count() == before + 1
        attempt = CaseNote.objects.filter(case=case).latest("created_at")
        assert (attempt.kind, attempt.outcome) == (CaseNote.Kind.EMAIL, CaseNote.Outcome.REACHED)
        if javascript:
            assert page.evaluate("window.notReloaded") is True
        screenshot(page, f"workspace-logged-{'htmx' if javascript else 'nojs'}")
