"""axe-core in Chromium on every public page (empty, error and success states) and on the
staff pages navigators use most: no serious or critical WCAG 2.2 AA violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from navigators.services import case_assign
from tests.conftest import make_request
from tests.e2e.conftest import screenshot
from tests.e2e.test_patient_request import fill_request_form

pytestmark = pytest.mark.django_db(transaction=True)
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def check(page: Any, name: str) -> None:
    screenshot(page, f"a11y-{name}")
    assert serious_violations(page) == [], name


def test_public_pages_in_every_state(page: Any, live_server: Any) -> None:
    """Home, the three forms empty and with errors, and their confirmation pages."""
    page.goto(live_server.url + "/")
    check(page, "home")
    page.goto(live_server.url + "/request/")
    check(page, "request-empty")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_load_state()
    check(page, "request-errors")
    fill_request_form(page)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/request/thanks/")
    check(page, "request-thanks")

    page.goto(live_server.url + "/refer/")
    check(page, "refer-empty")
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_load_state()
    check(page, "refer-errors")

    page.goto(live_server.url + "/status/")
    check(page, "status-empty")
    page.get_by_role("button", name="Email me the link").click()
    page.wait_for_load_state()
    check(page, "status-errors")


def test_status_pages(page: Any, live_server: Any) -> None:
    """The status lookup's answer, the link's button and the tracker."""
    case = make_request()
    page.goto(live_server.url + "/status/")
    page.locator("#id_reference").fill(case.reference)
    page.locator("#id_date_of_birth").fill("1961-03-28")
    page.locator("#id_email").fill("maria.lopez@example.com")
    page.get_by_role("button", name="Email me the link").click()
    page.wait_for_load_state()
    check(page, "status-sent")
    # The link exists only in the email sent (the outbox keeps the link's id, not its URL).
    link = re.search(r"\S+/status/open/\S+", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    check(page, "status-open")
    page.get_by_role("button", name="Open my request").click()
    page.wait_for_url("**/status/view/")
    check(page, "status-tracker")


def test_staff_pages_navigators_use_most(
    page: Any, live_server: Any, navigator_user: Any, supervisor: Any
) -> None:
    """Login, My cases, the case page, the records worklist and the dashboard."""
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    page.goto(live_server.url + "/admin/login/")
    check(page, "admin-login")
    page.locator("#id_username").fill("navigator")
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    for name, path in [
        ("my-cases", "/admin/requests/secondopinionrequest/"),
        ("case-page", f"/admin/requests/secondopinionrequest/{case.pk}/change/"),
        ("records-worklist", "/admin/requests/recorditem/"),
        ("dashboard", "/dashboard/"),
    ]:
        page.goto(live_server.url + path)
        check(page, name)
