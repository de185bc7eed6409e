"""The records desk and the support desk in Chromium: they fit a desktop and a phone without
sideways scrolling, pass axe with no serious or critical violation, and their work gets done
in the page (upload and receive in one submit, bulk marking, "take it")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests.choices import Status
from requests.models import Document, Facility, RecordItem, SecondOpinionRequest, SupportTask
from requests.services import facility_save
from tests.e2e.browser import screenshot
from tests.e2e.checks import serious_violations
from tests.factories import STAFF_PASSWORD, make_request
from tests.files import PDF

pytestmark = pytest.mark.django_db(transaction=True)

LONG_FACILITY = "Saint Elizabeth's Regional Medical Center Department of Pathology and Laboratory"


def open_case(**fields: Any) -> SecondOpinionRequest:
    case = make_request(**fields)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status=Status.GATHERING_RECORDS)
    case.refresh_from_db()
    return case


def records_world(by: Any) -> list[RecordItem]:
    """Items of every state and shape: a chase due, a long facility name, one in the directory
    (added once the items exist, which links them)."""
    items = []
    for n, (facility, status) in enumerate(
        [
            ("Mercy General Hospital", RecordItem.State.NEEDED),
            (LONG_FACILITY, RecordItem.State.REQUESTED),
            ("Dana Clinic", RecordItem.State.NEEDED),
        ]
    ):
        case = open_case(first_name="Guadalupe", last_name=f"Montenegro-Villalobos {n}")
        items.append(
            RecordItem.objects.create(
                case=case,
                kind=RecordItem.Kind.PATHOLOGY_SLIDES,
                facility=facility,
                status=status,
                method="fax" if status == RecordItem.State.REQUESTED else "",
                requested_at=timezone.now() - timedelta(days=4)
                if status == RecordItem.State.REQUESTED
                else None,
            )
        )
    facility = Facility(name="Mercy General Hospital", phone="617-555-0190", fax="617-555-0191")
    facility_save(facility=facility, by=by)
    return items


def support_world() -> list[SupportTask]:
    tasks = []
    for answers in (
        {"needs_financial": True},
        {"needs_travel": True, "interpreter_needed": True, "preferred_language": "es"},
        {"coverage_checked": "help"},
    ):
        case = open_case(first_name="Guadalupe", last_name="Montenegro-Villalobos", **answers)
        tasks += list(SupportTask.objects.filter(case=case))
    return tasks


def signed_in_page(browser: Any, live_server: Any, username: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 800)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    return page


def check_fit_and_axe(page: Any, name: str, width: int) -> None:
    screenshot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert serious_violations(page) == [], name


@pytest.mark.parametrize("width", [1280, 390])
def test_the_records_desk_fits_and_passes_axe(
    browser: Any, live_server: Any, records_user: Any, supervisor: Any, width: int
) -> None:
    """As records staff and as a supervisor, with every row's forms open too."""
    records_world(records_user)
    for username in ("records", "supervisor"):
        page = signed_in_page(browser, live_server, username, width)
        page.goto(live_server.url + "/admin/requests/recorditem/desk/")
        check_fit_and_axe(page, f"records-desk-{username}-{width}", width)
        for summary in page.locator(".desk-do summary").all():
            summary.click()
        check_fit_and_axe(page, f"records-desk-open-{username}-{width}", width)
        page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_support_desk_fits_and_passes_axe(
    browser: Any, live_server: Any, advocate_user: Any, supervisor: Any, width: int
) -> None:
    """As an advocate and as a supervisor, with every row's form open too."""
    support_world()
    for username in ("advocate", "supervisor"):
        page = signed_in_page(browser, live_server, username, width)
        page.goto(live_server.url + "/admin/requests/supporttask/desk/")
        check_fit_and_axe(page, f"support-desk-{username}-{width}", width)
        for summary in page.locator(".desk-do summary").all():
            summary.click()
        check_fit_and_axe(page, f"support-desk-open-{username}-{width}", width)
        page.context.close()


def test_upload_and_receive_in_one_submit_in_the_browser(
    browser: Any, live_server: Any, records_user: Any, tmp_path: Any
) -> None:
    """Records staff open a row's "Upload and receive", choose the file and submit once: one
    document is stored for the item and the item is received."""
    items = records_world(records_user)
    item = items[0]
    report = tmp_path / "pathology.pdf"
    report.write_bytes(PDF)
    page = signed_in_page(browser, live_server, "records", 1280)
    page.goto(live_server.url + "/admin/requests/recorditem/desk/")

    row = page.locator(f"#item-{item.pk}")
    row.get_by_text("Upload and receive").click()
    row.get_by_label("File received").set_input_files(str(report))
    row.get_by_role("button", name="Upload and mark received").click()
    page.wait_for_load_state()

    assert "uploaded and the item marked received" in page.content()
    [document] = Document.objects.all()
    assert document.record_item_id == item.pk
    assert RecordItem.objects.get(pk=item.pk).status == RecordItem.State.RECEIVED
    check_fit_and_axe(page, "records-desk-after-upload", 1280)
    page.context.close()


def test_bulk_mark_requested_in_the_browser(
    browser: Any, live_server: Any, records_user: Any
) -> None:
    items = records_world(records_user)
    needed = [item for item in items if item.status == RecordItem.State.NEEDED]
    page = signed_in_page(browser, live_server, "records", 390)
    page.goto(live_server.url + "/admin/requests/recorditem/desk/")

    for item in needed:
        page.locator(f"#select-{item.pk}").check()
    page.locator("#bulk-method").select_option("portal")
    page.get_by_role("button", name="Mark requested").first.click()
    page.wait_for_load_state()

    assert "2 item(s) marked requested." in page.content()
    assert set(
        RecordItem.objects.filter(pk__in=[i.pk for i in needed]).values_list("status", "method")
    ) == {(RecordItem.State.REQUESTED, "portal")}
    page.context.close()


def test_take_it_in_the_browser(browser: Any, live_server: Any, advocate_user: Any) -> None:
    tasks = support_world()
    task = tasks[0]
    page = signed_in_page(browser, live_server, "advocate", 390)
    page.goto(live_server.url + "/admin/requests/supporttask/desk/")

    page.locator(f"#task-{task.pk}").get_by_role("button", name="Take it").click()
    page.wait_for_load_state()

    assert "is yours" in page.content()
    task.refresh_from_db()
    assert task.owner == advocate_user
    page.context.close()
