"""Queueing tasks by name after commit (requests.jobs), and the one requeue threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from navigators.services import case_auto_assign_requeue
from requests.jobs import enqueue_on_commit
from requests.services import notification_requeue
from tests.factories import make_request

pytestmark = pytest.mark.django_db

REQUEUE_TASK = "requests.tasks.notification_requeue_task"


def test_a_task_named_is_queued_only_once_the_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """The task is found in the Celery registry by its name and published after commit."""
    from requests.tasks import notification_requeue_task

    published = []
    monkeypatch.setattr(notification_requeue_task, "delay", lambda *a: published.append(a))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(REQUEUE_TASK, 7)
    assert published == [], "published before the commit"
    callbacks[0]()

    assert published == [(7,)]


def test_an_unknown_task_name_fails_in_the_caller_not_after_commit() -> None:
    """A misspelt name is an error where it is written, not a silent loss after commit."""
    with pytest.raises(KeyError, match="no_such_task"):
        enqueue_on_commit("requests.tasks.no_such_task", 1)


def test_the_outbox_and_the_assignment_requeue_wait_the_same_setting(settings) -> None:
    """REQUEUE_AFTER_SECONDS alone decides when an email or a new case lost its task."""
    settings.REQUEUE_AFTER_SECONDS = 600
    make_request()  # Owes a confirmation and waits, unassigned: no navigator fits.
    now = timezone.now()

    with time_machine.travel(now + timedelta(minutes=9), tick=False):
        assert notification_requeue() == 0
        assert case_auto_assign_requeue() == 0
    with time_machine.travel(now + timedelta(minutes=11), tick=False):
        assert notification_requeue() == 1
        assert case_auto_assign_requeue() == 1
