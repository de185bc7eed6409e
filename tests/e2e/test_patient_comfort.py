"""The public form for every patient: keyboard alone, 200% zoom, JavaScript off, Spanish."""

from __future__ import annotations

from typing import Any

import pytest

from requests.models import Notification, SecondOpinionRequest
from tests.e2e.browser import fill_request_form, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page: Any, element_id: str, limit: int = 150) -> None:
    """Press Tab until the element has the focus, as a keyboard user does."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_the_form_can_be_sent_by_keyboard_alone(page: Any, live_server: Any) -> None:
    """Every answer typed and the form sent without a mouse, on a phone-sized screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/request/")
    for element_id, keys in [
        ("id_first_name", "Maria"),
        ("id_last_name", "Lopez"),
        ("id_date_of_birth", "03281961"),
        ("id_email", "maria.lopez@example.com"),
        ("id_phone", "617-555-0123"),
        ("id_city", "Boston"),
        ("id_zip_code", "02115"),
    ]:
        tab_to(page, element_id)
        page.keyboard.type(keys)
    tab_to(page, "id_state")
    page.keyboard.type("Massachusetts")
    tab_to(page, "id_cancer_type")
    page.keyboard.type("Breast")
    for checkbox in ("id_privacy_acknowledged", "id_consent_contact"):
        tab_to(page, checkbox)
        page.keyboard.press("Space")
    tab_to(page, "submit-request")
    page.keyboard.press("Enter")
    page.wait_for_url("**/request/thanks/")
    screenshot(page, "keyboard-thanks")
    assert SecondOpinionRequest.objects.count() == 1


@pytest.mark.parametrize("width", [320, 640])
def test_no_horizontal_scrolling_at_200_percent_zoom(
    page: Any, live_server: Any, width: int
) -> None:
    """At 320 and 640 CSS pixels wide (400% and 200% zoom of a laptop) nothing scrolls sideways."""
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("/", "/request/", "/refer/", "/status/"):
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, width, overflow)


def test_the_form_works_with_javascript_off(browser: Any, live_server: Any) -> None:
    """Without JavaScript every field is shown and the form is sent."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/request/")
        assert page.locator("#id_requester_first_name").is_visible()
        fill_request_form(page)
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_url("**/request/thanks/")
        assert SecondOpinionRequest.objects.count() == 1
    finally:
        context.close()


def test_a_spanish_speaker_asks_entirely_in_spanish(
    page: Any, live_server: Any, mailoutbox: Any
) -> None:
    """From the home page to the thanks page in Spanish, and the confirmation in Spanish."""
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    page.locator("a[href='/request/']").first.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    heading = page.locator("h1").inner_text()
    assert "segunda opinión" in heading.lower(), heading
    fill_request_form(page)
    page.locator("#id_preferred_language").select_option("es")
    page.locator("#submit-request").click()
    page.wait_for_url("**/request/thanks/")
    screenshot(page, "spanish-thanks")
    assert "referencia" in page.content().lower()
    notification = Notification.objects.get(kind="confirmation")
    assert notification.language == "es"
    from requests.emails import notification_message

    message = notification_message(notification)
    assert "referencia" in message.body.lower()
    assert "Estimada" in message.body or "Estimado" in message.body or "Hola" in message.body
