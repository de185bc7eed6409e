"""The status link through the real parts: a Celery worker on Redis, an SMTP server on loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.test import Client

from requests.models import Notification, SecondOpinionRequest
from tests.conftest import DIAGNOSIS_TEXT, PATIENT_DOB, SmtpSink, WorkerProcess, make_request

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://[^\s/]+/status/open/[^/\s]+/")
SUBJECT = "Your link to see your request"


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def status_emails(sink: SmtpSink) -> list[EmailMessage]:
    return [message for message in list(sink.messages) if SUBJECT in message["Subject"]]


def test_the_emailed_link_opens_the_tracker_once(
    client, celery_worker: WorkerProcess, smtp_sink: SmtpSink
) -> None:
    """A lookup's link reaches the patient through the worker and opens the tracker once."""
    case = make_request()
    response = client.post(
        "/status/",
        {
            "reference": case.reference.lower(),
            "date_of_birth": PATIENT_DOB.isoformat(),
            "email": case.email,
        },
    )
    assert response.status_code == 200

    assert wait_until(lambda: len(status_emails(smtp_sink)) == 1), celery_worker.log.read_text()[
        -3000:
    ]
    message = status_emails(smtp_sink)[0]
    assert message["To"] == case.email
    assert case.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Dear Maria" in text
    for private in (DIAGNOSIS_TEXT, "Lopez", PATIENT_DOB.isoformat(), "Breast cancer"):
        assert private not in text, private
    found = LINK.search(text)
    assert found, text
    path = urlsplit(found.group(0)).path

    opened = client.post(path)
    assert opened.status_code == 302
    tracker = client.get(opened["Location"])
    assert tracker.status_code == 200
    assert case.reference in tracker.content.decode()
    assert DIAGNOSIS_TEXT not in tracker.content.decode()

    again = Client().post(path)
    assert again.status_code == 410
    assert "This link no longer works" in again.content.decode()

    notification = Notification.objects.get(kind=Notification.Kind.STATUS_LINK)
    assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
    assert len(status_emails(smtp_sink)) == 1
    assert SecondOpinionRequest.objects.get(pk=case.pk).status == "new"
