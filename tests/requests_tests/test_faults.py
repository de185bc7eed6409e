"""Nothing lost, nothing sent twice: the real parts under faults."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from requests import jobs
from requests.models import Notification, SecondOpinionRequest
from requests.services import notification_requeue
from tests.factories import form_data
from tests.html import input_value
from tests.infra import (
    ROOT,
    SmtpSink,
    free_port,
    start_worker,
    stop_worker,
    url_answers,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def start_web(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: url_answers(url + "/"), timeout=60):
        process.kill()
        raise AssertionError("the web server did not start")
    return process, url


def submit_in_a_browserless_client(url: str) -> tuple[int, str, float]:
    """GET the form, post it like a browser; return the status, final path and seconds taken."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/request/", timeout=10).read().decode()
    token = input_value(page, "csrfmiddlewaretoken")
    key = input_value(page, "submission_key")
    data = form_data(submission_key=key)
    data["csrfmiddlewaretoken"] = token
    body = urllib.parse.urlencode(data, doseq=True).encode()
    started = time.monotonic()
    response = opener.open(url + "/request/", data=body, timeout=10)
    return response.status, urllib.parse.urlsplit(response.url).path, time.monotonic() - started


def test_a_submission_with_the_broker_down_is_saved_and_emailed_once_it_is_back(
    worker_env: dict[str, str], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """Broker on a closed port: the page answers and the row exists; once the broker is back
    and the requeue job has run, exactly one email goes out."""
    down = {**worker_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    web, url = start_web(down, tmp_path)
    try:
        status, path, seconds = submit_in_a_browserless_client(url)
    finally:
        web.terminate()
        web.wait(timeout=20)
    assert (status, path) == (200, "/request/thanks/")
    assert seconds < 10, "the page must never hang on the broker"
    case = SecondOpinionRequest.objects.get()
    notification = Notification.objects.get(case=case, kind="confirmation")
    assert notification.state == "pending"
    assert smtp_sink.messages == []

    worker = start_worker(tmp_path, worker_env, worker_env["CELERY_QUEUE"])
    try:
        Notification.objects.filter(pk=notification.pk).update(
            created_at=timezone.now() - timedelta(minutes=3)
        )
        assert notification_requeue() == 1
        assert len(smtp_sink.wait_for(1, timeout=30)) == 1
        assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
        assert notification_requeue() == 0
        time.sleep(1)
        assert len(smtp_sink.messages) == 1
    finally:
        stop_worker(worker)


def test_a_worker_killed_while_sending_leaves_the_email_to_be_sent_once(
    client: Any, worker_env: dict[str, str], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """SIGKILL during the SMTP exchange: the row stays claimable and is sent once, not 0 or 2."""
    smtp_sink.delay = 3.0
    first = start_worker(tmp_path, worker_env, worker_env["CELERY_QUEUE"])
    client.post("/request/", form_data())
    notification = Notification.objects.get(kind="confirmation")
    assert smtp_sink.receiving.wait(timeout=30), first.log.read_text()[-2000:]
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    time.sleep(smtp_sink.delay + 0.5)  # let the sink notice the dead connection
    assert smtp_sink.messages == []
    assert Notification.objects.get(pk=notification.pk).state == "sending"

    smtp_sink.delay = 0
    second = start_worker(tmp_path, worker_env, worker_env["CELERY_QUEUE"])
    try:
        # Moved back past the claim timeout, as the requeue job would find it later.
        Notification.objects.filter(pk=notification.pk).update(
            claimed_at=timezone.now() - timedelta(hours=1)
        )
        assert notification_requeue() == 1
        assert len(smtp_sink.wait_for(1, timeout=30)) == 1
        assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
        time.sleep(1)
        assert len(smtp_sink.messages) == 1
    finally:
        stop_worker(second)


def test_smtp_refusing_for_good_marks_the_email_failed_and_a_supervisor_resends_it(
    client: Any, worker_env: dict[str, str], smtp_sink: SmtpSink, tmp_path: Path, supervisor: Any
) -> None:
    """After the last retry the row is failed, with its error, in the admin; resend works."""
    smtp_sink.refuse_all = True
    env = {**worker_env, "EMAIL_MAX_ATTEMPTS": "2", "EMAIL_RETRY_BACKOFF": "1"}
    worker = start_worker(tmp_path, env, worker_env["CELERY_QUEUE"])
    try:
        client.post("/request/", form_data())
        notification = Notification.objects.get(kind="confirmation")
        assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "failed")
        notification.refresh_from_db()
        assert notification.attempts == 2
        assert "550" in notification.last_error

        client.force_login(supervisor)
        listing = client.get("/admin/requests/notification/?state__exact=failed")
        assert notification.case.reference in listing.content.decode()

        smtp_sink.refuse_all = False
        response = client.post(
            "/admin/requests/notification/",
            {"action": "resend_selected", "_selected_action": [notification.pk]},
        )
        assert response.status_code == 302
        assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
        # Sent once. (The supervisors' "no navigator fits" alert, refused too, may still be
        # between its retries and arrive now: only the patient's address counts here.)
        to_patient = [m for m in smtp_sink.messages if m["To"] == notification.recipient]
        assert len(to_patient) == 1
    finally:
        stop_worker(worker)
    assert site.is_registered(Notification)


@pytest.mark.django_db
def test_after_a_failed_publish_the_process_stops_trying_for_a_while(monkeypatch) -> None:
    """One slow broker timeout per outage, not one per task: later enqueues are skipped."""
    attempts = []

    class Failing:
        name = "failing"

        def delay(self, *args: object) -> None:
            attempts.append(args)
            raise ConnectionError("broker down")

    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    monkeypatch.setattr(jobs, "task_named", lambda name: Failing())
    monkeypatch.setattr(jobs.transaction, "on_commit", lambda callback: callback())
    jobs.enqueue_on_commit("failing", 1)
    jobs.enqueue_on_commit("failing", 2)
    assert attempts == [(1,)]
    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    jobs.enqueue_on_commit("failing", 3)
    assert attempts == [(1,), (3,)]
