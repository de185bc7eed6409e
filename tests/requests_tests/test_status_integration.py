"""The status link through the real parts: a Celery worker on Redis, an SMTP server on loopback."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client

from requests.models import Notification, SecondOpinionRequest
from requests.services.status_links import SALT
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, lookup_data, make_request
from tests.infra import SmtpSink, WorkerProcess, wait_until
from tests.requests_tests.stored_text import tables_holding

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://[^\s/]+/status/open/\?t=\S+")
SUBJECT = "Your link to see your request"


def status_emails(sink: SmtpSink) -> list[EmailMessage]:
    return [message for message in list(sink.messages) if SUBJECT in message["Subject"]]


def test_the_emailed_link_opens_the_tracker_once(
    client, celery_worker: WorkerProcess, smtp_sink: SmtpSink
) -> None:
    """A lookup's link reaches the patient through the worker and opens the tracker once;
    once it is sent, no row of the database holds the link, its token or its secret."""
    case = make_request()
    response = client.post("/status/", lookup_data(case.reference.lower(), email=case.email))
    assert response.status_code == 200

    assert wait_until(lambda: len(status_emails(smtp_sink)) == 1), celery_worker.log.read_text()[
        -3000:
    ]
    message = status_emails(smtp_sink)[0]
    assert message["To"] == case.email
    assert case.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Hello," in text
    for private in (DIAGNOSIS_TEXT, "Maria", "Lopez", PATIENT_DOB.isoformat(), "Breast cancer"):
        assert private not in text, private
    found = LINK.search(text)
    assert found, text
    token = parse_qs(urlsplit(found.group(0)).query)["t"][0]
    secret = signing.loads(token, salt=SALT)["s"]
    notification = Notification.objects.get(kind=Notification.Kind.STATUS_LINK)
    assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
    assert "requests_notification" in tables_holding(case.email)
    for needle in (found.group(0), token, secret):
        assert tables_holding(needle) == [], needle

    opened = client.post("/status/open/", {"t": token})
    assert opened.status_code == 302
    tracker = client.get(opened["Location"])
    assert tracker.status_code == 200
    assert case.reference in tracker.content.decode()
    assert DIAGNOSIS_TEXT not in tracker.content.decode()

    again = Client().post("/status/open/", {"t": token})
    assert again.status_code == 410
    assert "This link no longer works" in again.content.decode()

    assert len(status_emails(smtp_sink)) == 1
    assert SecondOpinionRequest.objects.get(pk=case.pk).status == "new"
