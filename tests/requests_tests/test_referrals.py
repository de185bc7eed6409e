"""Provider referrals: the NPI check, the /refer/ form, its emails, and the closed loop."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from navigators.services import case_assign
from requests.choices import Requester, Status
from requests.emails import notification_message
from requests.models import Notification, ReferringProvider, SecondOpinionRequest
from requests.services import case_transition, referral_submit
from requests.validators import npi_is_valid
from tests.factories import (
    PATIENT_DOB,
    PROVIDER_EMAIL,
    book_appointment,
    make_request,
    referral_data,
)
from tests.factories import REFERRAL_REASON as REASON

pytestmark = pytest.mark.django_db

PATIENT_PRIVATE = (
    "Maria",
    "Lopez",
    PATIENT_DOB.isoformat(),
    "03/28/1961",
    "March 28, 1961",
    REASON,
    "HER2",
    "neoadjuvant",
    "Breast cancer",
)


def luhn_check_digit(nine: str) -> str:
    """Return the NPI check digit of nine digits, computed here apart from the app's code."""
    payload = [int(ch) for ch in "80840" + nine]
    total = 0
    # Double every other digit, starting from the rightmost digit of the payload.
    for index, digit in enumerate(reversed(payload)):
        if index % 2 == 0:
            digit = sum(divmod(digit * 2, 10))
        total += digit
    return str((10 - total % 10) % 10)


def npi(nine: str) -> str:
    return nine + luhn_check_digit(nine)


# Characters that str.isdigit() accepts but that are not the ASCII digits of an NPI.
SUPERSCRIPT = "123456789\u00b2"
FULL_WIDTH = "".join(chr(0xFF10 + int(digit)) for digit in "1234567893")
ARABIC_INDIC = "".join(chr(0x0660 + int(digit)) for digit in "1234567893")
VALID_NPIS = ["1234567893", *(npi(nine) for nine in ("198765432", "100000000", "299999999"))]


def field_error(page: str, name: str) -> str:
    """Return the message shown next to a field of a rendered form ("" if none)."""
    found = re.search(rf'<(?:p|span) id="error_1_id_{name}"><strong>(.*?)</strong>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def rendered(message: EmailMultiAlternatives) -> list[str]:
    """Return the subject, the text body and the HTML body of an email."""
    return [message.subject, message.body, *(content for content, _type in message.alternatives)]


# --- The NPI check ----------------------------------------------------------------------


def test_the_independent_check_digit_agrees_with_the_cms_example() -> None:
    """The test's own Luhn digit gives 1234567893, the CMS example of a valid NPI."""
    assert npi("123456789") == "1234567893"


@pytest.mark.parametrize("number", VALID_NPIS)
def test_a_valid_npi_is_accepted(number: str) -> None:
    """Ten digits whose last is the Luhn digit over 80840 and the first nine are valid."""
    assert npi_is_valid(number)


@pytest.mark.parametrize("number", VALID_NPIS)
def test_every_wrong_check_digit_is_refused(number: str) -> None:
    """Each of the nine other last digits makes the NPI invalid."""
    for digit in "0123456789":
        if digit != number[-1]:
            assert not npi_is_valid(number[:-1] + digit), number[:-1] + digit


@pytest.mark.parametrize(
    "number",
    [
        "",
        "123456789",
        "12345678930",
        "0123456789 3",
        "123456789O",
        "12345678a3",
        "ABCDEFGHIJ",
        "1234-67893",
        " 234567893",
        "-123456789",
    ],
)
def test_wrong_lengths_and_letters_are_refused(number: str) -> None:
    """Anything but exactly ten digits is not an NPI."""
    assert not npi_is_valid(number)


@pytest.mark.parametrize("number", [SUPERSCRIPT, FULL_WIDTH, ARABIC_INDIC])
def test_characters_that_only_look_like_digits_are_refused(number: str) -> None:
    """Superscript, full-width or Arabic-Indic digits are not the ten digits of an NPI."""
    assert not npi_is_valid(number)


@pytest.mark.parametrize("number", [SUPERSCRIPT, FULL_WIDTH])
def test_a_crafted_npi_gets_the_npi_message(client, number: str) -> None:
    """A posted NPI of look-alike digits is refused next to the field, saving nothing."""
    response = client.post("/refer/", referral_data(npi=number))
    assert response.status_code == 400
    assert "not a valid NPI" in field_error(response.content.decode(), "npi")
    assert not SecondOpinionRequest.objects.exists()
    assert not ReferringProvider.objects.exists()


# --- The referral form ------------------------------------------------------------------


def test_the_referral_form_is_shown_with_a_fresh_submission_key(client) -> None:
    """GET /refer/ shows the form with a hidden submission key."""
    response = client.get("/refer/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="submission_key"' in page
    assert 'name="npi"' in page


def test_a_valid_referral_creates_one_provider_request(client) -> None:
    """A valid referral saves one request from a provider, linked to the provider by NPI."""
    response = client.post("/refer/", referral_data(provider_fax="617-555-0199"))

    assert response.status_code == 302
    assert response["Location"] == reverse("requests:refer_thanks")
    case = SecondOpinionRequest.objects.get()
    assert case.requester_type == Requester.PROVIDER
    assert case.status == Status.NEW
    assert case.referral_reason == REASON
    assert case.referral_urgent is False
    provider = case.referring_provider
    assert provider is not None
    assert (provider.npi, provider.name, provider.practice) == (
        "1234567893",
        "Dr. Amelia Grant",
        "Grant Family Medicine",
    )
    assert (provider.phone, provider.fax, provider.email) == (
        "+16175550134",
        "+16175550199",
        PROVIDER_EMAIL,
    )
    assert case.status_changes.get().note == "Referred by a provider."


def test_an_urgent_referral_is_marked_urgent(client) -> None:
    """The urgency answer "urgent" is kept on the request."""
    client.post("/refer/", referral_data(referral_urgent="urgent"))
    assert SecondOpinionRequest.objects.get().referral_urgent is True


def test_an_npi_with_surrounding_spaces_is_accepted(client) -> None:
    """Spaces around the NPI are dropped; the provider is stored by its ten digits."""
    client.post("/refer/", referral_data(npi=" 1234567893 "))
    assert ReferringProvider.objects.get().npi == "1234567893"


@pytest.mark.parametrize("typed", ["123-456-7893", "1234 567 893"])
def test_the_npi_may_be_typed_with_separators(client, typed: str) -> None:
    """Dashes or spaces typed in the NPI are dropped, as clean_npi intends."""
    response = client.post("/refer/", referral_data(npi=typed))
    assert response.status_code == 302, field_error(response.content.decode(), "npi")
    assert ReferringProvider.objects.get().npi == "1234567893"


def test_an_npi_with_a_wrong_check_digit_is_refused_next_to_the_field(client) -> None:
    """A mistyped NPI gets the NPI message beside its field, and nothing is saved."""
    response = client.post("/refer/", referral_data(npi="1234567894"))
    assert response.status_code == 400
    assert "not a valid NPI" in field_error(response.content.decode(), "npi")
    assert not SecondOpinionRequest.objects.exists()
    assert not ReferringProvider.objects.exists()
    assert not Notification.objects.exists()


def test_a_second_referral_from_the_same_npi_updates_the_provider(client) -> None:
    """The same NPI finds the provider again and updates their details, but not the address
    earlier cases' updates go to (an NPI is public): each referral keeps its own."""
    client.post("/refer/", referral_data())
    client.post(
        "/refer/",
        referral_data(
            first_name="Ana",
            last_name="Silva",
            practice="Grant & Lee Family Medicine",
            provider_phone="617-555-0177",
            provider_email="office@grantlee.example.org",
        ),
    )

    provider = ReferringProvider.objects.get()
    assert provider.practice == "Grant & Lee Family Medicine"
    assert provider.phone == "+16175550177"
    assert provider.email != "office@grantlee.example.org"
    cases = SecondOpinionRequest.objects.order_by("pk")
    assert len(cases) == 2
    assert {case.referring_provider_id for case in cases} == {provider.pk}
    assert cases[0].referral_email == provider.email
    assert cases[1].referral_email == "office@grantlee.example.org"
    second = Notification.objects.get(case=cases[1], kind="referral_provider")
    assert second.recipient == "office@grantlee.example.org"


def test_a_referral_from_another_npi_makes_another_provider(client) -> None:
    """A different NPI is a different provider."""
    client.post("/refer/", referral_data())
    client.post("/refer/", referral_data(npi=VALID_NPIS[1], provider_name="Dr. Lee"))
    assert ReferringProvider.objects.count() == 2


def test_a_referral_owes_the_provider_and_the_patient_one_email_each(client) -> None:
    """One "referral_provider" to the office and one "referral_patient" to the patient."""
    client.post("/refer/", referral_data())
    case = SecondOpinionRequest.objects.get()

    owed = Notification.objects.filter(case=case)
    assert sorted(owed.values_list("kind", "recipient")) == [
        (Notification.Kind.REFERRAL_PATIENT, "maria.lopez@example.com"),
        (Notification.Kind.REFERRAL_PROVIDER, PROVIDER_EMAIL),
    ]
    assert not owed.filter(kind=Notification.Kind.CONFIRMATION).exists()


def test_a_referral_without_a_patient_email_owes_only_the_provider(client) -> None:
    """With no patient email the provider is still told, and no patient email is owed."""
    response = client.post("/refer/", referral_data(email=""))
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    assert list(Notification.objects.values_list("kind", "recipient")) == [
        (Notification.Kind.REFERRAL_PROVIDER, PROVIDER_EMAIL)
    ]
    assert case.email == ""


def test_a_double_submit_creates_nothing_more(client) -> None:
    """The same form posted twice (same submission key) saves one request and owes no more."""
    data = referral_data()
    first = client.post("/refer/", data)
    second = client.post("/refer/", data)

    assert first.status_code == second.status_code == 302
    assert SecondOpinionRequest.objects.count() == 1
    assert ReferringProvider.objects.count() == 1
    assert Notification.objects.count() == 2
    page = client.get("/refer/thanks/").content.decode()
    assert SecondOpinionRequest.objects.get().reference in page


def test_the_emails_are_queued_only_after_commit(
    client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    """The referral's emails are sent by tasks queued on commit, not during the request."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/refer/", referral_data())
    assert callbacks
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mailoutbox) == [
        "maria.lopez@example.com",
        PROVIDER_EMAIL,
    ]


def test_a_referral_the_patient_is_not_aware_of_is_refused(client) -> None:
    """Answering that the patient is not aware is refused beside the field; nothing saved."""
    response = client.post("/refer/", referral_data(patient_aware="no"))

    assert response.status_code == 400
    message = field_error(response.content.decode(), "patient_aware")
    assert "only accept a referral the patient knows about" in message
    assert "talk with the patient first" in message
    assert not SecondOpinionRequest.objects.exists()
    assert not ReferringProvider.objects.exists()
    assert not Notification.objects.exists()


def test_a_patient_in_hospital_is_refused_with_the_phone_number(client) -> None:
    """Answering that the patient is in hospital gives the phone number; nothing saved."""
    response = client.post("/refer/", referral_data(patient_in_hospital="yes"))

    assert response.status_code == 400
    message = field_error(response.content.decode(), "patient_in_hospital")
    assert "in hospital now needs a conversation" in message
    assert settings.PATIENT_ACCESS_PHONE in message
    assert not SecondOpinionRequest.objects.exists()
    assert not ReferringProvider.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("patient_aware", "whether the patient knows"),
        ("patient_in_hospital", "whether the patient is in hospital"),
        ("npi", "10-digit NPI"),
        ("referral_reason", "reason for the referral"),
    ],
)
def test_a_missing_answer_is_asked_for_beside_its_field(client, name: str, message: str) -> None:
    """Leaving out a required answer shows its own message and saves nothing."""
    response = client.post("/refer/", referral_data(**{name: None}))
    assert response.status_code == 400
    assert message in field_error(response.content.decode(), name)
    assert not SecondOpinionRequest.objects.exists()


def test_the_honeypot_refuses_and_saves_nothing(client) -> None:
    """A filled-in honeypot (a bot) gets the refusal page and saves nothing."""
    response = client.post("/refer/", referral_data(website="http://spam.example"))
    assert response.status_code == 400
    assert not SecondOpinionRequest.objects.exists()
    assert not ReferringProvider.objects.exists()


def test_the_thanks_page_shows_the_reference_and_nothing_about_the_patient(client) -> None:
    """The provider's thanks page carries the reference, not the patient's details."""
    response = client.post("/refer/", referral_data())
    case = SecondOpinionRequest.objects.get()
    assert case.reference not in response["Location"]
    page = client.get("/refer/thanks/").content.decode()
    assert case.reference in page
    for private in PATIENT_PRIVATE:
        assert private not in page, private


def test_the_thanks_page_without_a_referral_goes_to_the_form(client) -> None:
    """Nothing referred in this session: the thanks page sends back to the form."""
    response = client.get("/refer/thanks/")
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:refer")


def test_the_provider_email_carries_the_reference_and_nothing_clinical(client) -> None:
    """The provider's email names the reference, never the patient, birth date or reason."""
    client.post("/refer/", referral_data())
    case = SecondOpinionRequest.objects.get()
    notification = Notification.objects.get(kind=Notification.Kind.REFERRAL_PROVIDER)

    message = notification_message(notification)

    assert message.to == [PROVIDER_EMAIL]
    assert case.reference in message.subject
    for part in rendered(message):
        assert case.reference in part
        for private in PATIENT_PRIVATE:
            assert private not in part, private


def test_the_patient_email_names_the_reference_and_nothing_clinical(client) -> None:
    """The patient's "your doctor referred you" email greets them generically, with no
    medical detail and no name (the office typed it: the address is unverified)."""
    client.post("/refer/", referral_data())
    case = SecondOpinionRequest.objects.get()
    notification = Notification.objects.get(kind=Notification.Kind.REFERRAL_PATIENT)

    message = notification_message(notification)

    assert message.to == ["maria.lopez@example.com"]
    assert "Hello," in message.body
    for part in rendered(message):
        assert case.reference in part
        for private in (REASON, "HER2", "Breast cancer", "Maria", "Lopez", PATIENT_DOB.isoformat()):
            assert private not in part, private


# --- The closed loop: the referring provider hears of the booking and the plan -------------


@pytest.fixture
def referred_ready(supervisor, navigator_user) -> SecondOpinionRequest:
    """A referral with coverage checked, assigned and ready to schedule."""
    case, _created = referral_submit(
        intake=SecondOpinionRequest(
            first_name="Maria",
            last_name="Lopez",
            date_of_birth=PATIENT_DOB,
            email="maria.lopez@example.com",
            phone="+16175550123",
            preferred_language="en",
            cancer_type="breast",
            referral_reason=REASON,
            coverage_checked="yes",
        ),
        provider={
            "npi": "1234567893",
            "name": "Dr. Amelia Grant",
            "practice": "Grant Family Medicine",
            "phone": "+16175550134",
            "fax": "",
            "email": PROVIDER_EMAIL,
        },
        submission_key=uuid.uuid4(),
        consent_records=True,
    )
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    return case


def updates(case: SecondOpinionRequest) -> list[Notification]:
    return list(Notification.objects.filter(case=case, kind=Notification.Kind.REFERRER_UPDATE))


def assert_nothing_clinical(notification: Notification, case: SecondOpinionRequest) -> None:
    message = notification_message(notification)
    assert message.to == [PROVIDER_EMAIL]
    for part in rendered(message):
        assert case.reference in part
        for private in (*PATIENT_PRIVATE, "Helen Park", "Yawkey", "/admin/"):
            assert private not in part, private


def test_booking_owes_the_provider_one_update(referred_ready, navigator_user) -> None:
    """Booking the appointment owes the referring provider exactly one update."""
    assert updates(referred_ready) == []

    book_appointment(referred_ready, navigator_user)

    owed = updates(referred_ready)
    assert len(owed) == 1
    assert owed[0].recipient == PROVIDER_EMAIL
    assert "appointment" in notification_message(owed[0]).body
    assert_nothing_clinical(owed[0], referred_ready)


def test_delivering_the_plan_owes_the_provider_one_more_update(
    referred_ready, navigator_user
) -> None:
    """The delivered plan owes one more update, with no clinical content."""
    book_appointment(referred_ready, navigator_user)
    case_transition(case=referred_ready, to_status=Status.SEEN, by=navigator_user)
    assert len(updates(referred_ready)) == 1

    case_transition(case=referred_ready, to_status=Status.PLAN_DELIVERED, by=navigator_user)

    owed = updates(referred_ready)
    assert len(owed) == 2
    plan = next(row for row in owed if row.context == {"event": "plan_delivered"})
    assert "treatment plan has been delivered" in notification_message(plan).body
    assert_nothing_clinical(plan, referred_ready)
    case_transition(case=referred_ready, to_status=Status.CLOSED, by=navigator_user)
    assert len(updates(referred_ready)) == 2


def test_a_patients_own_request_owes_no_referrer_update(supervisor, navigator_user) -> None:
    """Without a referring provider, booking and the plan tell no provider anything."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    book_appointment(case, navigator_user)
    case_transition(case=case, to_status=Status.SEEN, by=navigator_user)
    case_transition(case=case, to_status=Status.PLAN_DELIVERED, by=navigator_user)
    assert updates(case) == []
