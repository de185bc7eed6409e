"""The navigator's day, measured: from the landing page, take a new case that needs outside
records, log the first call and book the first appointment in at most 8 clicks and 4 page
loads, typing only the date and time and the clinician (issue 15's target)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests.choices import Status
from requests.models import Appointment, CaseNote, RecordItem, SecondOpinionRequest
from tests.e2e.browser import screenshot
from tests.factories import STAFF_PASSWORD, make_navigator, make_request

pytestmark = pytest.mark.django_db(transaction=True)
MAX_CLICKS = 8
MAX_PAGE_LOADS = 4


class Counted:
    """A page whose clicks and page loads (of the top frame) are counted from `start()`."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.clicks = 0
        self.loads = 0
        self.counting = False
        page.on("load", self._loaded)

    def _loaded(self, _page: Any) -> None:
        if self.counting:
            self.loads += 1

    def start(self) -> None:
        self.counting = True

    def click(self, locator: Any) -> None:
        self.clicks += 1
        locator.click()


@pytest.mark.parametrize("width", [1280, 390])
def test_take_call_and_book_within_eight_clicks_and_four_page_loads(
    browser: Any, live_server: Any, width: int
) -> None:
    navigator = make_navigator("nina", disease_groups=("breast",), languages=("en",))
    # A disease group no navigator covers: the assignment job leaves it in the queue.
    case = make_request(first_name="Grace", cancer_type="thoracic", needs_records_help=True)
    case.refresh_from_db()
    assert case.navigator_id is None
    assert RecordItem.objects.filter(case=case).exists()
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 500 else 844}, is_mobile=width < 500
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(navigator.username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_url("**/admin/today/")
    counted = Counted(page)
    counted.start()

    counted.click(page.get_by_role("button", name=f"Take {case.reference}"))
    page.wait_for_url(f"**/admin/requests/secondopinionrequest/{case.pk}/change/")
    contact = page.locator("#case-contact")
    if not contact.locator("details[open]").filter(has_text="Log: Call").count():
        counted.click(contact.locator("summary").filter(has_text="Log: Call"))
    counted.click(
        contact.locator("details[open]").get_by_role("button", name="Reached", exact=True)
    )
    page.locator("#case-contact").get_by_text("No contact attempts yet.").wait_for(state="detached")
    counted.click(page.get_by_role("link", name="Book an appointment").first)
    page.wait_for_url("**/book/")
    visit = timezone.localtime() + timedelta(days=3)
    page.locator("#id_starts_at").fill(visit.strftime("%Y-%m-%dT10:00"))
    page.locator("#id_clinician").fill("Dr. Helen Park")
    counted.click(page.get_by_role("button", name="Book the appointment"))
    page.wait_for_url(f"**/admin/requests/secondopinionrequest/{case.pk}/change/")
    screenshot(page, f"navigator-day-{width}")

    case.refresh_from_db()
    assert case.navigator_id == navigator.navigator.pk
    assert case.status == Status.SCHEDULED
    assert RecordItem.objects.filter(case=case, status=RecordItem.State.NEEDED).exists()
    call = CaseNote.objects.get(case=case, kind=CaseNote.Kind.CALL)
    assert call.outcome == CaseNote.Outcome.REACHED
    assert Appointment.objects.filter(case=case, clinician="Dr. Helen Park").count() == 1
    assert SecondOpinionRequest.objects.get(pk=case.pk).first_appointment_at is not None
    assert counted.clicks <= MAX_CLICKS, f"{counted.clicks} clicks"
    assert counted.loads <= MAX_PAGE_LOADS, f"{counted.loads} page loads"
    print(f"{width} px: {counted.clicks} clicks, {counted.loads} page loads")
    context.close()
