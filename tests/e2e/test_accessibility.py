"""axe-core in Chromium on every public page (empty, error and success states) and on the
staff pages navigators use most: no serious or critical WCAG 2.2 AA violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from navigators.services import case_assign
from tests.e2e.browser import fill_request_form, screenshot
from tests.e2e.checks import serious_violations
from tests.factories import book_appointment, make_request

pytestmark = pytest.mark.django_db(transaction=True)


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
    page.wait_for_url("**/admin/today/")
    for name, path in [
        ("my-cases", "/admin/requests/secondopinionrequest/"),
        ("case-page", f"/admin/requests/secondopinionrequest/{case.pk}/change/"),
        ("records-worklist", "/admin/requests/recorditem/"),
        ("dashboard", "/dashboard/"),
    ]:
        page.goto(live_server.url + path)
        check(page, name)


def fill_referral_form(page: Any) -> None:
    page.locator("#id_provider_name").fill("Dr. Amelia Grant")
    page.locator("#id_npi").fill("1234567893")
    page.locator("#id_practice").fill("Grant Family Medicine")
    page.locator("#id_provider_phone").fill("617-555-0134")
    page.locator("#id_provider_email").fill("office@grantfamily.example.org")
    page.locator("input[name=patient_aware][value=yes]").check()
    page.locator("input[name=patient_in_hospital][value=no]").check()
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").fill("Lopez")
    page.locator("#id_date_of_birth").fill("1961-03-28")
    page.locator("#id_phone").fill("617-555-0123")
    page.locator("#id_cancer_type").select_option("breast")
    page.locator("#id_referral_reason").fill("Second opinion on adjuvant therapy.")


def answer_to(page: Any, url: str, **request: Any) -> int:
    """Show the page the server answers to a request no link makes (a post without a token,
    an unreadable body): the browser navigates to `url` and is given that answer. Return its
    status."""
    page.route(url, lambda route: route.fulfill(response=route.fetch(**request)))
    status = page.goto(url).status
    page.unroute(url)
    return status


@pytest.mark.parametrize("language", ["en", "es"])
def test_result_status_and_error_pages(
    page: Any, live_server: Any, settings: Any, language: str
) -> None:
    """In both languages: the referral's thanks page, the status link's pages (invalid,
    tracker, withdraw, withdrawn), and the 404, 400, 403 (form token), 413 and 429 pages."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    name = f"{language}-"
    page.goto(live_server.url + "/refer/")
    fill_referral_form(page)
    page.locator("#submit-request").click()
    page.wait_for_url("**/refer/thanks/")
    check(page, name + "refer-thanks")

    case = make_request()
    page.goto(live_server.url + "/status/")
    page.locator("#id_reference").fill(case.reference)
    page.locator("#id_date_of_birth").fill("1961-03-28")
    page.locator("#id_email").fill("maria.lopez@example.com")
    page.locator("form.request-form button[type=submit]").click()
    page.wait_for_load_state()
    # The link exists only in the email sent (the outbox keeps the link's id, not its URL).
    link = re.search(r"\S+/status/open/\S+", mail.outbox[-1].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert page.goto(live_server.url + "/status/view/").status == 410  # no link opened yet
    check(page, name + "status-invalid")
    page.goto(live_server.url + path)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/status/view/")
    check(page, name + "status-tracker")
    page.goto(live_server.url + "/status/withdraw/")
    check(page, name + "status-withdraw")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    check(page, name + "status-withdrawn")

    page.goto(live_server.url + "/no-such-page/")
    check(page, name + "404")
    unreadable = answer_to(
        page,
        live_server.url + "/request/",
        method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=x; charset=rot13"},
        post_data="--x--",
    )
    assert unreadable == 400
    check(page, name + "400")
    no_token = {
        "method": "POST",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "post_data": "first_name=Maria",
    }
    assert answer_to(page, live_server.url + "/request/", **no_token) == 403
    check(page, name + "403-csrf")
    settings.PUBLIC_POSTS_PER_HOUR = 1  # the referral above was this hour's one post
    page.goto(live_server.url + "/refer/")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.locator("#submit-request").click()
    assert posted.value.status == 429
    page.wait_for_load_state()
    check(page, name + "429")
    settings.MAX_REQUEST_BYTES = 1000
    too_large = answer_to(page, live_server.url + "/refer/", method="POST", post_data="x" * 2000)
    assert too_large == 413
    check(page, name + "413")


def test_spanish_forms_in_every_state(page: Any, live_server: Any, settings: Any) -> None:
    """Chosen with the language switch: the Spanish home page and the three forms, empty and
    with errors, and the request's thanks page."""
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    check(page, "es-home")
    for path in ("/request/", "/refer/", "/status/"):
        page.goto(live_server.url + path)
        check(page, f"es-{path.strip('/')}-empty")
        page.locator("form.request-form button[type=submit]").click()
        page.wait_for_load_state()
        check(page, f"es-{path.strip('/')}-errors")
    page.goto(live_server.url + "/request/")
    fill_request_form(page)
    page.locator("#submit-request").click()
    page.wait_for_url("**/request/thanks/")
    check(page, "es-request-thanks")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_booking_page_empty_and_with_errors(
    browser: Any, live_server: Any, navigator_user: Any, supervisor: Any, width: int
) -> None:
    """The booking page, empty and after a post with errors, passes axe and does not scroll
    sideways on a desktop or a phone; the error summary's links move the focus to the field."""
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 800)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill("navigator")
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/today/")
    page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}/book/")
    check(page, f"book-empty-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#id_location").fill("")
    page.get_by_role("button", name="Book the appointment").click()
    page.wait_for_load_state()
    check(page, f"book-errors-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#error-summary a[href='#id_clinician']").click()
    assert page.evaluate("document.activeElement.id") == "id_clinician"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_close_page_with_what_follows_and_with_errors(
    browser: Any, live_server: Any, navigator_user: Any, supervisor: Any, width: int
) -> None:
    """The decline page (who is emailed, the visit cancelled) and its refusal without a
    reason pass axe and do not scroll sideways on a desktop or a phone."""
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    book_appointment(case, navigator_user)
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 800)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill("navigator")
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/today/")
    page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}/close/decline/")
    assert "Dr. Helen Park" in page.content()
    check(page, f"close-decline-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Decline the case").click()
    page.wait_for_load_state()
    check(page, f"close-decline-errors-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#error-summary a[href='#id_reason']").click()
    assert page.evaluate("document.activeElement.id") == "id_reason"
    context.close()
