"""The target sweep through the real parts: a worker on Redis, alerts at a loopback SMTP."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import TargetState
from requests.jobs import task_named
from requests.models import RecordItem, SecondOpinionRequest
from requests.targets import target_date_for
from requests.tasks import target_sweep_task
from tests.factories import book_appointment, make_request
from tests.infra import SmtpSink, WorkerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def move_back(case: SecondOpinionRequest, days: int) -> None:
    submitted = timezone.now() - timedelta(days=days)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        submitted_at=submitted, target_date=target_date_for(submitted)
    )


def wait_for_state(case: SecondOpinionRequest, state: str, timeout: float = 20) -> None:
    def reached() -> bool:
        case.refresh_from_db()
        return case.target_state == state

    if not wait_until(reached, timeout):
        raise AssertionError(f"{case.reference} stayed {case.target_state}")


def test_sweep_task_alerts_navigator_then_supervisors_once_each(
    celery_worker: WorkerProcess, smtp_sink: SmtpSink, navigator_user, supervisor
) -> None:
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    smtp_sink.wait_for(2, timeout=15)  # the confirmation and the assignment email
    smtp_sink.messages.clear()

    move_back(case, 6)
    target_sweep_task.delay()
    wait_for_state(case, TargetState.AT_RISK)
    target_sweep_task.delay()  # a second sweep sends nothing more
    messages = smtp_sink.wait_for(1, timeout=15)
    time.sleep(1.5)
    assert [m["To"] for m in smtp_sink.messages] == ["navigator@example.org"]
    assert case.reference in messages[0]["Subject"]

    smtp_sink.messages.clear()
    move_back(case, 8)
    target_sweep_task.delay()
    wait_for_state(case, TargetState.OVERDUE)
    target_sweep_task.delay()
    smtp_sink.wait_for(2, timeout=15)
    time.sleep(1.5)
    assert sorted(m["To"] for m in smtp_sink.messages) == [
        "navigator@example.org",
        "supervisor@example.org",
    ]


def test_beat_schedule_runs_the_sweep_and_the_requeue_with_expiry() -> None:
    """The periodic jobs are scheduled in settings, each with an expiry within its period."""
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["target-sweep"]["schedule"] == 60 * settings.TARGET_SWEEP_MINUTES
    for entry in schedule.values():
        assert task_named(entry["task"]).name == entry["task"]
        assert entry["options"]["expires"] > 0
        if isinstance(entry["schedule"], float):
            assert entry["options"]["expires"] < entry["schedule"]


def test_sweep_task_sends_records_at_risk_to_navigator_and_records_staff_once(
    celery_worker: WorkerProcess, smtp_sink: SmtpSink, navigator_user, supervisor, records_user
) -> None:
    """A visit tomorrow with a record still requested: the worker's sweep emails the navigator
    and the records staff once each, by the real SMTP server, with no PHI."""
    case = make_request()
    if case.navigator_id is None:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    RecordItem.objects.create(
        case=case,
        kind=RecordItem.Kind.PATHOLOGY_REPORT,
        facility="Mercy General",
        status=RecordItem.State.REQUESTED,
    )
    book_appointment(case, navigator_user, starts_at=timezone.now() + timedelta(days=1))
    smtp_sink.wait_for(3, timeout=15)  # the confirmation, the assignment and the booking
    smtp_sink.messages.clear()

    target_sweep_task.delay()
    target_sweep_task.delay()  # a second sweep sends nothing more
    smtp_sink.wait_for(2, timeout=15)
    time.sleep(1.5)

    assert sorted(m["To"] for m in smtp_sink.messages) == [
        "navigator@example.org",
        "records@example.org",
    ]
    for message in smtp_sink.messages:
        assert message["Subject"].startswith("Records at risk:")
        assert case.reference in message["Subject"]
        text = "".join(
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        )
        assert "record item(s) still needed or requested" in text
        for private in ("Maria", "Lopez", "Mercy General"):
            assert private not in text, private
