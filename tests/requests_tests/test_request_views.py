"""The public pages: the program, the form, the thanks page, and hostile posts."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests.models import Notification, SecondOpinionRequest, StatusChange
from tests.factories import form_data
from tests.html import input_value

pytestmark = pytest.mark.django_db


def test_home_explains_the_program(client) -> None:
    html = client.get("/").content.decode()
    for words in (
        "No referral necessary",
        "7 days",
        "navigator",
        "records",
        "travel",
        "financial",
        "insurance",
        'href="tel:+18337733111"',
        'href="/request/"',
    ):
        assert words in html


def test_pages_are_accessible_landmarks(client) -> None:
    html = client.get("/request/").content.decode()
    assert '<html lang="en">' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html


def test_valid_submission_creates_one_request_and_one_owed_email(client) -> None:
    response = client.post("/request/", form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:thanks")
    case = SecondOpinionRequest.objects.get()
    assert case.status == "new"
    assert case.consent_contact_at
    assert case.consent_records_at
    assert case.privacy_acknowledged_at
    assert case.phone == "+16175550123"
    # Calendar days in the center's time zone, exactly the program's target.
    assert (case.target_date - timezone.localdate(case.submitted_at)).days == 7
    notification = Notification.objects.get()
    assert notification.kind == "confirmation"
    assert notification.recipient == "maria.lopez@example.com"
    assert notification.state == "pending"
    assert StatusChange.objects.filter(case=case, to_status="new").count() == 1


def test_double_submit_creates_no_second_request(client) -> None:
    """A double click or a refresh re-posts the same form: one request, one email."""
    data = form_data()
    first = client.post("/request/", data)
    second = client.post("/request/", data)
    assert first.status_code == second.status_code == 302
    assert SecondOpinionRequest.objects.count() == 1
    assert Notification.objects.count() == 1


def test_two_different_forms_make_two_requests(client) -> None:
    client.post("/request/", form_data())
    client.post("/request/", form_data())
    assert SecondOpinionRequest.objects.count() == 2


def test_the_email_is_queued_only_after_commit(
    client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/request/", form_data())
    assert callbacks, "sending is queued on commit"
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert Notification.objects.get().state == "sent"


def test_thanks_page_shows_the_reference_and_nothing_about_the_patient(client) -> None:
    client.post("/request/", form_data())
    case = SecondOpinionRequest.objects.get()
    response = client.get("/request/thanks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert "833-773-3111" in html
    for private in ("Maria", "Lopez", "1961", "carcinoma", "maria.lopez"):
        assert private not in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_thanks_page_without_a_submission_goes_to_the_form(client) -> None:
    response = client.get("/request/thanks/")
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:create")


def test_no_reference_or_phi_in_the_redirect(client) -> None:
    response = client.post("/request/", form_data())
    case = SecondOpinionRequest.objects.get()
    assert case.reference not in response["Location"]
    assert "Maria" not in response["Location"]


def test_honeypot_refuses_with_a_message_and_saves_nothing(client) -> None:
    response = client.post("/request/", form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert "could not accept" in response.content.decode()
    assert SecondOpinionRequest.objects.count() == 0


def test_huge_body_is_a_400_with_a_message(client) -> None:
    response = client.post("/request/", form_data(questions="x" * 1_000_000))
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert SecondOpinionRequest.objects.count() == 0


def test_too_many_fields_is_a_400(client) -> None:
    data = form_data()
    data.update({f"extra{i}": "1" for i in range(500)})
    response = client.post("/request/", data)
    assert response.status_code == 400
    assert SecondOpinionRequest.objects.count() == 0


def test_wrong_types_are_refused_not_crashing(client) -> None:
    response = client.post(
        "/request/",
        form_data(
            date_of_birth=["1961-03-28", "x"],
            treatments="surgery",
            submission_key="not-a-uuid",
            cancer_type=["breast", "lung"],
        ),
    )
    assert response.status_code == 400
    assert SecondOpinionRequest.objects.count() == 0


def test_post_without_csrf_token_is_refused(client) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/request/", form_data())
    assert response.status_code == 403
    assert "send the form again" in response.content.decode()
    assert SecondOpinionRequest.objects.count() == 0


def test_other_methods_are_refused(client) -> None:
    assert client.put("/request/").status_code == 405
    assert client.delete("/request/").status_code == 405


# --- The blank form's page: rendered once per language, filled in for each visitor -------


def blank_form(client: Client, path: str = "/request/") -> tuple[str, str, str]:
    """GET a blank form; return the page, its form token and its submission key."""
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    token = input_value(page, "csrfmiddlewaretoken")
    key = input_value(page, "submission_key")
    return page, token, key


def unfilled(page: str) -> str:
    """Return the page without what differs for each visitor: tokens and submission key."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'name="submission_key" value="[^"]+"', "", page)


@pytest.mark.parametrize("path", ["/request/", "/refer/"])
def test_each_visitor_gets_a_token_and_key_of_their_own(path: str) -> None:
    """Two visitors of a kept page get different, working tokens and different keys."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page, first_token, first_key = blank_form(first, path)
    _page, second_token, second_key = blank_form(second, path)

    assert first_token != second_token
    assert first_key != second_key
    uuid.UUID(second_key)
    assert "slot0q7x" not in page
    if path == "/request/":
        response = second.post(
            path, form_data(submission_key=second_key, csrfmiddlewaretoken=second_token)
        )
        assert response.status_code == 302
        assert SecondOpinionRequest.objects.get().submission_key == uuid.UUID(second_key)


def test_the_kept_page_is_in_the_visitor_s_language() -> None:
    """After an English visitor, a Spanish one gets the Spanish form, and the other way."""
    english, _token, _key = blank_form(Client(HTTP_ACCEPT_LANGUAGE="en"))
    spanish, _token, _key = blank_form(Client(HTTP_ACCEPT_LANGUAGE="es"))
    again, _token, _key = blank_form(Client(HTTP_ACCEPT_LANGUAGE="en"))

    assert 'lang="en"' in english
    assert 'lang="es"' in spanish
    assert "Solicitar una segunda opinión" in spanish
    assert unfilled(again) == unfilled(english)


def test_a_page_asked_with_a_query_string_is_not_kept() -> None:
    """The language switch carries the page's path: one visitor's query is not shown to all."""
    page, _token, _key = blank_form(Client(), "/request/?utm_source=flyer")
    assert "utm_source=flyer" in page
    page, _token, _key = blank_form(Client())
    assert "utm_source" not in page


@pytest.mark.parametrize(("language", "chosen"), [("en", "en"), ("es", "es")])
def test_the_preferred_language_starts_on_the_language_of_the_page(
    client, settings, language: str, chosen: str
) -> None:
    """A visitor reading the form in Spanish finds Spanish already chosen, and in English,
    English (the blank page is kept per language, so each keeps its own choice)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get("/request/").content.decode()

    select = re.search(r'<select name="preferred_language".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{chosen}" selected>', select)
