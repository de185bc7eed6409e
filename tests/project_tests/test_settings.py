"""Settings read from the environment, with a loud failure for unsafe production values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from secondopinion.env import email_config, env_bool, env_int, env_list
from tests.infra import ROOT


def _run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "secondopinion.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_debug_off_refuses_the_default_secret_key() -> None:
    result = _run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_off_starts_with_a_real_secret_key() -> None:
    result = _run_settings(DEBUG="0", SECRET_KEY="k" * 64)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_defaults_are_local(monkeypatch) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env={
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "SECRET_KEY"}
        }
        | {"DJANGO_SETTINGS_MODULE": "secondopinion.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ], result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("off", False), ("0", False)]
)
def test_env_bool(monkeypatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_ambiguity(monkeypatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be one of 1/0"):
        env_bool("FLAG", False)


def test_env_int(monkeypatch) -> None:
    monkeypatch.setenv("DAYS", "9")
    assert env_int("DAYS", 7) == 9
    monkeypatch.setenv("DAYS", "seven")
    with pytest.raises(ImproperlyConfigured, match="DAYS must be a whole number"):
        env_int("DAYS", 7)
    monkeypatch.setenv("DAYS", "-1")
    with pytest.raises(ImproperlyConfigured, match="DAYS must be at least"):
        env_int("DAYS", 7)


def test_env_list(monkeypatch) -> None:
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_email_urls() -> None:
    assert email_config("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_config("smtp://user:p%40ss@mail.example:2525")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_PASSWORD"]) == (
        "mail.example",
        2525,
        "p@ss",
    )
    assert email_config("smtp+tls://mail.example:587")["EMAIL_USE_TLS"] is True
    assert email_config("smtps://mail.example")["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured, match="scheme 'carrier-pigeon' is not supported"):
        email_config("carrier-pigeon://coop")
