"""A patient asks for a second opinion in a real browser; the worker emails them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from requests.models import Notification, SecondOpinionRequest
from tests.e2e.browser import fill_request_form, screenshot
from tests.infra import SmtpSink, WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("device", ["phone_page", "page"])
def test_patient_gets_a_reference_and_one_email(
    request: pytest.FixtureRequest,
    device: str,
    live_server: Any,
    celery_worker: WorkerProcess,
    smtp_sink: SmtpSink,
) -> None:
    """From the home page to the thanks page, and one email at the SMTP server within 10 s."""
    page = request.getfixturevalue(device)
    page.goto(live_server.url + "/")
    screenshot(page, f"request-01-home-{device}")
    page.get_by_role("link", name="Request a second opinion").first.click()
    fill_request_form(page)
    screenshot(page, f"request-02-form-{device}")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/request/thanks/")
    screenshot(page, f"request-03-thanks-{device}")

    case = SecondOpinionRequest.objects.get()
    assert page.locator("#reference").inner_text() == case.reference
    messages = smtp_sink.wait_for(1, timeout=10)
    assert len(messages) == 1, celery_worker.log.read_text()[-2000:]
    assert case.reference in messages[0]["Subject"]
    assert Notification.objects.filter(case=case, kind="confirmation").count() == 1


def test_mistakes_are_listed_and_fixed_without_retyping(page: Any, live_server: Any) -> None:
    """A failed submit focuses the error summary; the other answers are still there."""
    page.goto(live_server.url + "/request/")
    fill_request_form(page)
    page.locator("#id_zip_code").fill("2115")
    page.locator("#id_date_of_birth").fill("2099-01-01")
    page.get_by_role("button", name="Send my request").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    screenshot(page, "request-04-errors")
    assert page.locator("#id_first_name").input_value() == "Maria"
    summary.get_by_role("link", name=re.compile("ZIP code")).click()
    page.locator("#id_zip_code").fill("02115")
    page.locator("#id_date_of_birth").fill("1961-03-28")
    page.get_by_label("I have read the privacy notice above.").check()
    page.get_by_label(re.compile("may contact me")).check()
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/request/thanks/")
    assert SecondOpinionRequest.objects.count() == 1
