"""Shared fixtures: users per role, request factories, and the real services.

Tests that need PostgreSQL, Redis or Chromium skip, with the reason, where the machine has
none; CI sets SO_FORBID_SKIPS=1, which turns any skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation

from navigators.models import Navigator
from navigators.roles import (
    NAVIGATORS,
    PATIENT_ADVOCATES,
    RECORDS_STAFF,
    SUPERVISORS,
    sync_role_groups,
)
from requests.models import SecondOpinionRequest
from requests.services import request_submit
from secondopinion.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


# --- Skips that CI turns into failures ----------------------------------------------------


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


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


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


# --- Celery: eager by default, a real worker on demand -------------------------------------


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0  # how many next deliveries to refuse with a 451
    refuse_all: bool = False  # refuse every delivery (an SMTP server down for good)
    delay: float = 0.0  # seconds to hold each delivery before answering
    receiving: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink.receiving.set()
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
            if server.transport is None or server.transport.is_closing():
                # The sender died before our "250": like any MTA, we did not accept it.
                return "451 Connection lost"
        with self.lock:
            if self.sink.refuse_all:
                return "550 Mailbox unavailable"
            if self.sink.refuse > 0:
                self.sink.refuse -= 1
                return "451 Try again later"
            self.sink.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(_SinkHandler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_sink: SmtpSink) -> SmtpSink:
    """Send this process's email to the loopback SMTP sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_sink


def database_url() -> str:
    """Return the URL of the test database, for processes started by the tests."""
    conf = connection.settings_dict
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{conf.get('HOST') or '127.0.0.1'}:"
        f"{conf.get('PORT') or 5432}/{conf['NAME']}"
    )


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    queue: str
    log: Path
    env: dict[str, str]


def start_worker(
    tmp_path: Path, env: dict[str, str], queue: str, *, beat: bool = False
) -> WorkerProcess:
    log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "secondopinion",
        "worker",
        "-Q",
        queue,
        "-P",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "info",
    ]
    if beat:
        args += ["-B", "-s", str(tmp_path / "beat-schedule")]
    handle = log.open("wb")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if b" ready." in log.read_bytes():
            return WorkerProcess(process, queue, log, env)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("The Celery worker did not start:\n" + log.read_text()[-3000:])


def stop_worker(worker: WorkerProcess) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


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


# --- Staff per role ---------------------------------------------------------------------


def make_staff(username: str, role: str | None, **extra: Any) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username,
        password="correct horse battery staple",
        is_staff=True,
        email=f"{username}@example.org",
        first_name=username.title(),
        **extra,
    )
    if role:
        if not Group.objects.filter(name=role).exists():
            # A transactional test before this one flushed the groups the migrations made.
            sync_role_groups(django_apps)
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def supervisor(db: None) -> Any:
    return make_staff("supervisor", SUPERVISORS)


@pytest.fixture
def navigator_user(db: None) -> Any:
    user = make_staff("navigator", NAVIGATORS)
    Navigator.objects.create(
        user=user, disease_groups=["breast", "thoracic"], languages=["en", "es"], capacity=10
    )
    return user


@pytest.fixture
def other_navigator_user(db: None) -> Any:
    user = make_staff("othernav", NAVIGATORS)
    Navigator.objects.create(user=user, disease_groups=["breast"], languages=["en"], capacity=10)
    return user


@pytest.fixture
def records_user(db: None) -> Any:
    return make_staff("records", RECORDS_STAFF)


@pytest.fixture
def advocate_user(db: None) -> Any:
    return make_staff("advocate", PATIENT_ADVOCATES)


# --- Requests ---------------------------------------------------------------------------

PATIENT_DOB = date(1961, 3, 28)
DIAGNOSIS_TEXT = "Stage II invasive ductal carcinoma, HER2 positive"


def form_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid post of the public request form."""
    data = {
        "requester_type": "patient",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB.isoformat(),
        "email": "maria.lopez@example.com",
        "phone": "617-555-0123",
        "preferred_contact_method": "phone",
        "preferred_contact_time": "any",
        "preferred_language": "en",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02115",
        "cancer_type": "breast",
        "diagnosis_date": "2026-10-01",
        "treatments": ["surgery"],
        "questions": DIAGNOSIS_TEXT,
        "insurance_carrier": "Blue Cross",
        "insurance_member_id": "XJ123456",
        "coverage_checked": "no",
        "needs_records_help": "on",
        "consent_contact": "on",
        "consent_records": "on",
        "privacy_acknowledged": "on",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_request(**fields: Any) -> SecondOpinionRequest:
    """Create a request through the submission service, as the public form does."""
    values = {
        "requester_type": "patient",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB,
        "email": "maria.lopez@example.com",
        "phone": "+16175550123",
        "preferred_language": "en",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02115",
        "cancer_type": "breast",
        "questions": DIAGNOSIS_TEXT,
        "coverage_checked": "yes",  # no insurance verification task unless a test asks
    }
    values.update(fields)
    case, _created = request_submit(
        intake=SecondOpinionRequest(**values), submission_key=uuid.uuid4(), consent_records=True
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def chromium_path(require_chromium: None) -> str:
    return shutil.which("chromium") or CHROMIUM
