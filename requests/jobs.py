"""Queueing background work after commit, by task name.

Services start tasks through this module and never import the tasks modules, which import
the services: a task is looked up by its name in the Celery app's registry when it is
queued, so that no module imports one that imports it back.
"""

from __future__ import annotations

import importlib
import logging
import time
from datetime import timedelta

from celery import Task, current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# After a failed publish, this process stops trying for a while: one slow timeout per
# outage, not one per task and page (the periodic jobs pick the work up when it is back).
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until = 0.0


def requeue_after() -> timedelta:
    """Return the age after which recorded work whose task has not started lost it
    (REQUEUE_AFTER_SECONDS): the periodic jobs queue it again (owed emails, new cases)."""
    return timedelta(seconds=settings.REQUEUE_AFTER_SECONDS)


def task_named(name: str) -> Task:
    """Return the registered task called `name` ("app.tasks.some_task")."""
    if name not in current_app.tasks:
        # A web process registers a task when its module is first imported; the worker
        # imports them all at start-up.
        importlib.import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def enqueue_on_commit(task_name: str, *args: object) -> None:
    """Queue the task called `task_name` once the current transaction commits; never fail
    the caller.

    The work a task does is always recorded in the database first (an outbox row, a case in
    the unassigned queue) and found again by a periodic job, so a broker that is down only
    delays it; the patient's submission must not fail, nor hang, because the broker did.
    """

    task = task_named(task_name)  # An unknown name fails here, loudly, not after the commit.

    def enqueue() -> None:
        global _broker_paused_until
        if time.monotonic() < _broker_paused_until:
            return
        try:
            task.delay(*args)
        except Exception:
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning("Could not queue %s; a periodic job will pick it up.", task_name)

    transaction.on_commit(enqueue)
