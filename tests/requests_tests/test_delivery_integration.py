"""Delivery through the real parts: a Celery worker on Redis, an SMTP server on loopback."""

from __future__ import annotations

import time

import pytest

from requests.models import Notification, SecondOpinionRequest
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, form_data
from tests.infra import SmtpSink, WorkerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_sends_the_confirmation_once(
    client, celery_worker: WorkerProcess, smtp_sink: SmtpSink
) -> None:
    response = client.post("/request/", form_data())
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()

    messages = smtp_sink.wait_for(1, timeout=30)
    assert len(messages) == 1, celery_worker.log.read_text()[-2000:]
    message = messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert case.reference in message["Subject"]
    assert message["To"] == "maria.lopez@example.com"
    for body in (text, html):
        assert case.reference in body
        assert "Hello," in body
        for private in (
            "Maria",
            DIAGNOSIS_TEXT,
            "carcinoma",
            PATIENT_DOB.isoformat(),
            "03/28/1961",
            "Lopez",
        ):
            assert private not in body
    assert wait_until(lambda: Notification.objects.get(case=case).state == "sent")
    # The same task delivered again (a redelivery after a crash) sends nothing more.
    from requests.tasks import notification_send_task

    notification_send_task.delay(Notification.objects.get(case=case).pk)
    time.sleep(1.5)
    assert len(smtp_sink.messages) == 1


def test_smtp_refusing_then_accepting_is_retried_and_delivered_once(
    client, worker_env: dict[str, str], smtp_sink: SmtpSink, tmp_path
) -> None:
    from tests.infra import start_worker, stop_worker

    smtp_sink.refuse = 2
    worker = start_worker(
        tmp_path, {**worker_env, "EMAIL_RETRY_BACKOFF": "1"}, worker_env["CELERY_QUEUE"]
    )
    try:
        client.post("/request/", form_data())
        messages = smtp_sink.wait_for(1, timeout=40)
        assert len(messages) == 1, worker.log.read_text()[-2000:]
        notification = Notification.objects.get()
        assert wait_until(lambda: Notification.objects.get().state == "sent")
        notification.refresh_from_db()
        assert notification.attempts == 3
        time.sleep(1)
        assert len(smtp_sink.messages) == 1
    finally:
        stop_worker(worker)
