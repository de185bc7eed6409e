"""The public request form: each rule refuses a bad value with its message, saving nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests.forms import RequestForm
from requests.models import Notification, SecondOpinionRequest
from tests.factories import form_data

pytestmark = pytest.mark.django_db

# Resolved when the post is built, not at import: a run that crosses midnight must still
# post a date in the future.
TOMORROW = "tomorrow"

# field, bad value (None removes the field), words of the message shown next to it
RULES = [
    ("first_name", "", "patient's first name"),
    ("first_name", "x" * 101, "at most 100 characters"),
    ("last_name", "", "patient's last name"),
    ("date_of_birth", "", "patient's date of birth"),
    ("date_of_birth", "28/03/1961", "Enter a real date"),
    ("date_of_birth", "1961-02-30", "Enter a real date"),
    ("date_of_birth", TOMORROW, "can't be in the future"),
    ("date_of_birth", "1890-01-01", "more than 120 years ago"),
    ("diagnosis_date", TOMORROW, "can't be in the future"),
    ("diagnosis_date", "1950-01-01", "before the date of birth"),
    ("email", "", "so that we can send you the reference"),
    ("email", "maria@", "Enter an email address"),
    ("phone", "", "where we can reach the patient"),
    ("phone", "12", "Enter a phone number we can call"),
    ("phone", "555-0000-999999", "Enter a phone number we can call"),
    ("zip_code", "2115", "ZIP code of five digits"),
    ("zip_code", "ABCDE", "ZIP code of five digits"),
    ("state", "ZZ", "Select a valid choice"),
    ("cancer_type", "", "type of cancer"),
    ("cancer_type", "flu", "Select a valid choice"),
    ("treatments", ["none", "surgery"], "not both"),
    ("questions", "q" * 2001, "at most 2000 characters"),
    ("consent_contact", None, "permission to contact you"),
    ("privacy_acknowledged", None, "privacy notice"),
    ("consent_records", None, "To help with records we need this permission"),
    ("first_name", "Ma\x00ria", "Null characters are not allowed"),
]


@pytest.mark.parametrize(("name", "value", "message"), RULES)
def test_bad_value_is_refused_next_to_its_field(name: str, value: object, message: str) -> None:
    """A bad value gets a plain message on its own field."""
    form = RequestForm(data=_post(**{name: value}))
    assert not form.is_valid()
    assert message.lower() in " ".join(form.errors[name]).lower()


@pytest.mark.parametrize(("name", "value", "message"), RULES)
def test_bad_post_saves_nothing(client, name: str, value: object, message: str) -> None:
    """The view answers 400 with the message beside the field, and saves no row."""
    response = client.post("/request/", _post(**{name: value}))
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower().replace("&#x27;", "'")
    assert SecondOpinionRequest.objects.count() == 0
    assert Notification.objects.count() == 0


CAREGIVER_FIELDS = [
    "requester_first_name",
    "requester_last_name",
    "requester_relationship",
    "requester_email",
    "requester_phone",
]


@pytest.mark.parametrize("missing", CAREGIVER_FIELDS)
def test_caregiver_must_say_who_they_are(missing: str) -> None:
    """Someone filling the form in for the patient gives their own name and contact."""
    data = _caregiver_post()
    data.pop(missing)
    form = RequestForm(data=data)
    assert not form.is_valid()
    assert list(form.errors) == [missing]


def test_other_language_must_be_named() -> None:
    form = RequestForm(data=_post(preferred_language="other", other_language=""))
    assert not form.is_valid()
    assert "which language" in form.errors["other_language"][0]


def test_caregiver_may_leave_patient_email_empty() -> None:
    form = RequestForm(data=_caregiver_post(email=""))
    assert form.is_valid(), form.errors


def test_patient_answers_drop_someone_elses_details() -> None:
    """Details typed in the "someone else" part are not kept when the patient asks."""
    form = RequestForm(data=_post(requester_first_name="Ana", requester_email="ana@example.com"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["requester_first_name"] == ""
    assert form.cleaned_data["requester_email"] == ""


def test_phone_is_normalised() -> None:
    form = RequestForm(data=_post(phone="(617) 555-0123"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+16175550123"


def test_international_phone_is_accepted() -> None:
    form = RequestForm(data=_post(phone="+44 20 7946 0958"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+442079460958"


def test_us_style_dates_are_accepted() -> None:
    form = RequestForm(data=_post(date_of_birth="03/28/1961"))
    assert form.is_valid(), form.errors


def test_error_summary_links_to_each_field_in_order() -> None:
    form = RequestForm(data=_post(first_name="", zip_code="1", consent_contact=None))
    assert not form.is_valid()
    anchors = [anchor for anchor, _message in form.error_summary()]
    assert anchors == ["id_first_name", "id_zip_code", "id_consent_contact"]


def test_every_visible_field_has_a_label(client) -> None:
    """Every input the patient sees has a visible label tied to it."""
    form = RequestForm()
    for name, field in form.fields.items():
        if name in {"submission_key"}:
            continue
        assert field.label, name
    html = client.get("/request/").content.decode()
    for name in ("first_name", "date_of_birth", "phone", "zip_code", "cancer_type"):
        assert f'for="id_{name}"' in html


def test_inputs_have_types_and_autocomplete(client) -> None:
    html = client.get("/request/").content.decode()
    assert 'type="date" name="date_of_birth"' in html
    assert 'autocomplete="bday"' in html
    assert 'type="email" name="email"' in html
    assert 'autocomplete="given-name"' in html
    assert 'autocomplete="postal-code"' in html
    assert 'type="tel" name="phone"' in html


def _post(**overrides: object) -> dict[str, object]:
    data = form_data()
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        elif value == TOMORROW:
            data[key] = (timezone.localdate() + timedelta(days=1)).isoformat()
        else:
            data[key] = value
    return data


def _caregiver_post(**overrides: object) -> dict[str, object]:
    return _post(
        requester_type="caregiver",
        requester_first_name="Ana",
        requester_last_name="Lopez",
        requester_relationship="daughter",
        requester_email="ana.lopez@example.com",
        requester_phone="617-555-0199",
        **overrides,
    )
