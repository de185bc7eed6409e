"""The outbox: owed once, claimed before sending, sent once, retried, then failed."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from requests.models import Notification
from requests.services import (
    notification_owe,
    notification_owe_many,
    notification_requeue,
    notification_resend,
    notification_send,
)
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmation() -> Notification:
    case = make_request()
    return Notification.objects.get(case=case, kind="confirmation")


def test_owing_the_same_email_twice_records_it_once(confirmation: Notification) -> None:
    again = notification_owe(
        kind="confirmation",
        recipient="x@example.com",
        dedupe_key=confirmation.dedupe_key,
        case=confirmation.case,
    )
    assert again.pk == confirmation.pk
    assert Notification.objects.count() == 1


def test_owing_many_records_each_once_and_queues_them_as_one_task(
    confirmation: Notification, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    """The bulk owe (the sweep's) skips a key already owed and sends the rest, one batch."""
    case_id = confirmation.case_id
    owed = [
        (case_id, "alert_overdue", "alert:1:1", "a@example.org", {"staff_first_name": "A"}),
        (case_id, "alert_overdue", confirmation.dedupe_key, "b@example.org", {}),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = notification_owe_many(owed=owed, now=timezone.now())

    [new] = Notification.objects.exclude(pk=confirmation.pk)
    assert ids == [new.pk]
    assert (new.dedupe_key, new.recipient, new.state) == ("alert:1:1", "a@example.org", "sent")
    assert len(callbacks) == 1
    assert [message.to for message in mailoutbox] == [["a@example.org"]]
    confirmation.refresh_from_db()
    assert (confirmation.kind, confirmation.recipient) == (
        "confirmation",
        "maria.lopez@example.com",
    )


def test_send_marks_the_row_sent_and_a_second_run_sends_nothing(
    confirmation: Notification, mailoutbox
) -> None:
    assert notification_send(notification_id=confirmation.pk) is True
    assert notification_send(notification_id=confirmation.pk) is False
    assert len(mailoutbox) == 1
    confirmation.refresh_from_db()
    assert confirmation.state == "sent"
    assert confirmation.sent_at is not None
    assert confirmation.attempts == 1


def test_a_row_claimed_by_another_worker_is_not_sent(
    confirmation: Notification, mailoutbox
) -> None:
    Notification.objects.filter(pk=confirmation.pk).update(
        state="sending", claimed_at=timezone.now()
    )
    assert notification_send(notification_id=confirmation.pk) is False
    assert mailoutbox == []


def test_a_dead_workers_claim_expires(confirmation: Notification, mailoutbox) -> None:
    Notification.objects.filter(pk=confirmation.pk).update(
        state="sending", claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert notification_send(notification_id=confirmation.pk) is True
    assert len(mailoutbox) == 1


def test_confirmation_email_has_the_reference_only(confirmation: Notification, mailoutbox) -> None:
    """The confirmation greets generically: the reference and the phone, no name (the
    address is unverified, whoever typed it)."""
    notification_send(notification_id=confirmation.pk)
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    case = confirmation.case
    assert message.to == ["maria.lopez@example.com"]
    assert case.reference in message.subject
    for body in (message.body, html):
        assert case.reference in body
        assert "Hello," in body
        assert "833-773-3111" in body
        for private in (
            "Maria",
            "Lopez",
            DIAGNOSIS_TEXT,
            "carcinoma",
            PATIENT_DOB.isoformat(),
            "1961",
            "Boston",
            "617",
        ):
            assert private not in body
    assert "Maria" not in message.subject
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{confirmation.pk}@")


def test_caregiver_gets_the_email_addressed_to_them(mailoutbox) -> None:
    case = make_request(
        requester_type="caregiver",
        requester_first_name="Ana",
        requester_last_name="Lopez",
        requester_email="ana@example.com",
        requester_phone="+16175550199",
    )
    notification = Notification.objects.get(case=case)
    notification_send(notification_id=notification.pk)
    assert mailoutbox[0].to == ["ana@example.com"]
    assert "Hello," in mailoutbox[0].body
    # The address is unverified: the email carries no name typed on the form.
    assert "Ana" not in mailoutbox[0].body


def test_failure_is_recorded_and_raised_for_the_retry(
    confirmation: Notification, monkeypatch
) -> None:
    _break_smtp(monkeypatch)
    with pytest.raises(SMTPServerDisconnected):
        notification_send(notification_id=confirmation.pk)
    confirmation.refresh_from_db()
    assert confirmation.state == "pending"
    assert confirmation.attempts == 1
    assert "SMTPServerDisconnected" in confirmation.last_error


def test_the_last_failure_marks_the_row_failed(
    confirmation: Notification, monkeypatch, settings
) -> None:
    settings.EMAIL_MAX_ATTEMPTS = 2
    _break_smtp(monkeypatch)
    for _attempt in range(2):
        with pytest.raises(SMTPServerDisconnected):
            notification_send(notification_id=confirmation.pk)
    confirmation.refresh_from_db()
    assert confirmation.state == "failed"
    assert notification_send(notification_id=confirmation.pk) is False


def test_a_supervisor_can_resend_a_failed_email(
    confirmation: Notification, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    Notification.objects.filter(pk=confirmation.pk).update(state="failed", attempts=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(notification_id=confirmation.pk) is True
    confirmation.refresh_from_db()
    assert confirmation.state == "sent"
    assert len(mailoutbox) == 1


def test_requeue_finds_rows_whose_task_was_lost(
    confirmation: Notification, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    assert notification_requeue() == 0, "a fresh row still has its task"
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notification_requeue() == 1
    assert len(mailoutbox) == 1
    assert notification_requeue(now=timezone.now() + timedelta(hours=1)) == 0


def test_the_send_task_retries_smtp_errors(confirmation: Notification, monkeypatch) -> None:
    """Outside eager mode a delivery error schedules a retry with backoff."""
    from celery.exceptions import Retry

    from requests.tasks import _backoff, notification_send_task

    _break_smtp(monkeypatch)
    monkeypatch.setattr(notification_send_task, "retry", _raise_retry)
    monkeypatch.setattr(type(notification_send_task.request), "is_eager", False, raising=False)
    with pytest.raises(Retry):
        notification_send_task.run(confirmation.pk)
    assert 30 <= _backoff(0) <= 38
    assert _backoff(10) <= 1800 + 450


def _raise_retry(**kwargs: object) -> None:
    from celery.exceptions import Retry

    assert 0 < kwargs["countdown"] < 3600, "shorter than the broker's visibility timeout"
    raise Retry()


def _break_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object, messages: object) -> int:
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", fail)


def test_a_batch_sends_each_email_once_and_leaves_a_failure_pending(
    mailoutbox, monkeypatch
) -> None:
    """The sweep's batch task: one email failing does not hold back the others."""
    from requests.tasks import notification_send_batch_task

    first, second = make_request(), make_request(email="second@example.com")
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    original = mail.backends.locmem.EmailBackend.send_messages

    def fail_for_second(self: object, messages: list) -> int:
        if messages[0].to == ["second@example.com"]:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return original(self, messages)

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", fail_for_second)
    assert notification_send_batch_task.run(ids) == 1
    assert notification_send_batch_task.run(ids) == 0, "safe to run twice"
    states = dict(Notification.objects.values_list("case_id", "state"))
    assert states == {first.pk: "sent", second.pk: "pending"}
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("kind", ["assignment", "patient_withdrew", "records_complete"])
def test_plain_text_is_not_html_escaped(mailoutbox, kind: str) -> None:
    """A staff first name with an apostrophe or an ampersand reads as typed in the text part
    (O'Brien, not O&#x27;Brien); the HTML part escapes it."""
    case = make_request()
    name = "Siobhán O'Brien & <Co>"
    notification = notification_owe(
        kind=kind,
        recipient="obrien@example.org",
        dedupe_key=f"{kind}:escape-test",
        case=case,
        context={"staff_first_name": name, "progress": "3 of 3"},
    )

    notification_send(notification_id=notification.pk)

    message = mailoutbox[0]
    assert f"Hello {name}," in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in html
    assert "<Co>" not in html
