"""Our email is no relay: an email to an address nobody verified carries no text a submitter
typed, in any language. Staff emails (to staff addresses) are not concerned."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import CloseReason, Status
from requests.emails import UNVERIFIED_RECIPIENT_KINDS
from requests.models import Notification, SecondOpinionRequest
from requests.services import appointment_book, case_close, case_transition, notification_send
from tests.factories import PATIENT_DOB, form_data, lookup_data

pytestmark = pytest.mark.django_db

HOSTILE = "PAY $500 NOW at evil.example"
# Every field a submitter types freely gets its own hostile text, so that a leak names it.
TYPED = re.compile(r"evil\.example|PAY \$500", re.IGNORECASE)


def hostile(field: str) -> str:
    return f"{HOSTILE} ({field})"[:100]


def request_post(language: str) -> dict[str, Any]:
    """A caregiver's request, every free-text field hostile."""
    return form_data(
        requester_type="caregiver",
        requester_first_name=hostile("requester_first_name"),
        requester_last_name=hostile("requester_last_name"),
        requester_relationship=hostile("requester_relationship"),
        requester_email="carer@example.com",
        requester_phone="617-555-0199",
        first_name=hostile("first_name"),
        last_name=hostile("last_name"),
        city=hostile("city"),
        questions=hostile("questions"),
        insurance_carrier=hostile("insurance_carrier"),
        preferred_language=language,
    )


def referral_post(language: str) -> dict[str, Any]:
    """A referral, every free-text field hostile."""
    return {
        "provider_name": hostile("provider_name"),
        "npi": "1234567893",
        "practice": hostile("practice"),
        "provider_phone": "617-555-0134",
        "provider_email": "office@example.com",
        "referral_urgent": "routine",
        "patient_aware": "yes",
        "patient_in_hospital": "no",
        "first_name": hostile("first_name"),
        "last_name": hostile("last_name"),
        "date_of_birth": PATIENT_DOB.isoformat(),
        "phone": "617-555-0123",
        "email": "patient@example.com",
        "preferred_language": language,
        "cancer_type": "breast",
        "referral_reason": hostile("referral_reason"),
        "consent_records": "on",
        "submission_key": str(uuid.uuid4()),
    }


def send_everything_owed() -> None:
    for pk in Notification.objects.filter(state=Notification.State.PENDING).values_list(
        "pk", flat=True
    ):
        notification_send(notification_id=pk)


def kind_of(message: Any) -> str:
    pk = int(re.match(r"<notification-(\d+)@", message.extra_headers["Message-ID"]).group(1))
    return Notification.objects.get(pk=pk).kind


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_email_to_an_unverified_address_carries_typed_text(
    language: str, supervisor: Any, navigator_user: Any
) -> None:
    """Every kind of email to a patient, caregiver or referring office, in English and
    Spanish, after submissions whose every free-text field is hostile: no subject or body,
    text or HTML, carries any of it."""
    client = Client()
    assert client.post("/request/", request_post(language)).status_code == 302
    assert client.post("/refer/", referral_post(language)).status_code == 302
    referred = SecondOpinionRequest.objects.get(referring_provider__isnull=False)
    if referred.navigator_id is None:
        case_assign(case=referred, navigator=navigator_user.navigator, by=supervisor)
    case_transition(case=referred, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    appointment_book(
        case=referred,
        starts_at=timezone.now() + timedelta(days=3),
        specialty="medical",
        clinician="Dr. Helen Park",
        modality="in_person",
        location="Yawkey Center, floor 9",
        by=navigator_user,
        insurance_override="Checked by phone.",
    )
    for case, email in (
        (SecondOpinionRequest.objects.get(referring_provider__isnull=True), "carer@example.com"),
        (referred, "patient@example.com"),
    ):
        lookup = lookup_data(case.reference, email=email)
        assert client.post("/status/", lookup).status_code == 200
    case_close(
        case=SecondOpinionRequest.objects.get(referring_provider__isnull=True),
        move="decline",
        reason=CloseReason.OTHER,
        note="Not for the program.",
        by=supervisor,
    )

    send_everything_owed()

    staff = set(get_user_model().objects.values_list("email", flat=True))
    checked = set()
    for message in mail.outbox:
        if set(message.to) & staff:
            continue
        kind = kind_of(message)
        assert kind in UNVERIFIED_RECIPIENT_KINDS, kind
        parts = [message.subject, message.body, *(body for body, _type in message.alternatives)]
        for part in parts:
            assert not TYPED.search(part), (kind, TYPED.search(part).group(0), part)
        assert (
            SecondOpinionRequest.objects.get(
                notifications__kind=kind, notifications__recipient=message.to[0]
            ).reference
            in message.subject + message.body
        )
        checked.add(kind)
    assert checked == UNVERIFIED_RECIPIENT_KINDS
    greeting = {"en": "Hello,", "es": "Hola:"}[language]
    patient_emails = Notification.objects.filter(
        kind=Notification.Kind.CONFIRMATION, language=language
    )
    assert patient_emails.exists()
    assert any(greeting in message.body for message in mail.outbox)


def test_the_hostile_text_was_saved_where_staff_read_it(supervisor: Any) -> None:
    """The submission keeps what was typed (staff read it): the emails' silence is a choice,
    not a form that refused the text."""
    assert Client().post("/request/", request_post("en")).status_code == 302
    case = SecondOpinionRequest.objects.get()
    assert case.first_name == hostile("first_name")
    assert case.requester_first_name == hostile("requester_first_name")
