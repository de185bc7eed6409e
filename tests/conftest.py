"""Shared fixtures: users per role, and the real services (what they are made of lives in
tests/factories.py and tests/infra.py).

Tests that need PostgreSQL, Redis or Chromium skip, with the reason, where the machine has
none; CI sets SO_FORBID_SKIPS=1, which turns any skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from secondopinion.celery import app as celery_app
from tests.factories import (
    make_advocate,
    make_navigator,
    make_records_user,
    make_supervisor,
)
from tests.infra import (
    CHROMIUM,
    ROOT,
    SmtpSink,
    WorkerProcess,
    database_url,
    redis_available,
    start_worker,
    stop_worker,
)
from tests.worlds import ROLE_FIXTURES, CaseWorld, build_world, private_storage_in


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("SO_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        sys.stderr.write(
            f"\nSO_FORBID_SKIPS=1: {len(skipped)} test(s) skipped; every service must be "
            "available here, so this run fails.\n"
        )
        session.exitstatus = 1


@pytest.fixture
def require_postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def require_redis() -> None:
    if not redis_available():
        pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 with Redis running")


@pytest.fixture
def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in Spanish leaves Spanish active in
    this thread (LocaleMiddleware activates it and nothing deactivates it), which would change
    the messages of the next test's forms."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Hash test passwords cheaply: no test is about the hasher's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_storage_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep every test's documents out of the project folder."""
    folder = tmp_path_factory.mktemp("private")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    """Each test gets its own in-memory caches: no rate-limit counts or page fragments from
    other tests, and counts that time-machine can age (a test of the Redis-shared limits sets
    its own)."""
    settings.CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{alias}-{uuid.uuid4().hex}",
        }
        for alias in ("default", "fragments")
    }


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Run tasks in-process in unit tests, whatever REDIS_URL says."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_sink: SmtpSink) -> SmtpSink:
    """Send this process's email to the loopback SMTP sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_sink


@pytest.fixture
def worker_env(require_postgres: None, require_redis: None, smtp_sink: SmtpSink) -> dict[str, str]:
    """The environment of a real worker: the test database, Redis and the SMTP sink."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    # This process publishes to the same private queue, so no other worker takes the tasks.
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": smtp_sink.url,
        "CELERY_QUEUE": queue,
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    return env


@pytest.fixture
def celery_worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real `celery worker` process on the Redis broker, sending to the SMTP sink."""
    worker = start_worker(tmp_path, worker_env, worker_env["CELERY_QUEUE"])
    yield worker
    stop_worker(worker)


@pytest.fixture
def supervisor(db: None) -> Any:
    return make_supervisor()


@pytest.fixture
def navigator_user(db: None) -> Any:
    return make_navigator()


@pytest.fixture
def other_navigator_user(db: None) -> Any:
    return make_navigator("othernav", disease_groups=("breast",), languages=("en",))


@pytest.fixture
def records_user(db: None) -> Any:
    return make_records_user()


@pytest.fixture
def advocate_user(db: None) -> Any:
    return make_advocate()


@pytest.fixture
def staff(
    supervisor: Any,
    navigator_user: Any,
    other_navigator_user: Any,
    records_user: Any,
    advocate_user: Any,
) -> dict[str, Any]:
    """Staff of every role, by the name of their fixture."""
    return {
        "supervisor": supervisor,
        "navigator_user": navigator_user,
        "other_navigator_user": other_navigator_user,
        "records_user": records_user,
        "advocate_user": advocate_user,
    }


@pytest.fixture
def world(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> CaseWorld:
    """The staff-URL case world (tests/worlds.py), its documents stored in this test's folder."""
    private_storage_in(settings, tmp_path)
    return build_world(
        {role: request.getfixturevalue(name) for role, name in ROLE_FIXTURES.items()}
    )


@pytest.fixture
def chromium_path(require_chromium: None) -> str:
    return shutil.which("chromium") or CHROMIUM
