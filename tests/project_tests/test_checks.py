"""The project's own system checks (secondopinion/checks.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from typing import Any

import pytest

from secondopinion.checks import (
    MFA_OFF,
    NO_VIRUS_SCAN,
    mfa_required_in_production,
    uploads_scanned_in_production,
)
from tests.infra import ROOT

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": hashlib.sha256(b"checks-test").hexdigest(),
    "ALLOWED_HOSTS": "portal.example.org",
    "SITE_URL": "https://portal.example.org",
    "CLAMD_SOCKET": "/run/clamav/clamd.ctl",
}


@pytest.mark.parametrize(
    ("debug", "mfa", "warned"),
    [(False, False, True), (False, True, False), (True, False, False), (True, True, False)],
)
def test_mfa_off_is_warned_only_with_debug_off(
    debug: bool, mfa: bool, warned: bool, settings: Any
) -> None:
    """The deploy check warns exactly when MFA_REQUIRED is off and DEBUG is off."""
    settings.DEBUG, settings.MFA_REQUIRED = debug, mfa

    messages = mfa_required_in_production()

    assert [message.id for message in messages] == ([MFA_OFF] if warned else [])


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py check --deploy` with production settings and `env` on top."""
    unset = {"DATABASE_URL", "REDIS_URL", "MFA_REQUIRED", "SECURE_SSL_REDIRECT", "EMAIL_URL"}
    unset |= {"SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "secondopinion.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_fails_on_mfa_off_in_production() -> None:
    """`check --deploy` with DEBUG off and MFA_REQUIRED=0 reports the warning (and fails at
    --fail-level WARNING); with MFA left at its default it does not."""
    off = check_deploy(MFA_REQUIRED="0")
    on = check_deploy()

    assert off.returncode != 0
    assert MFA_OFF in off.stdout + off.stderr
    assert MFA_OFF not in on.stdout + on.stderr


@pytest.mark.parametrize(
    ("debug", "socket", "warned"),
    [(False, "", True), (False, "/run/clamav/clamd.ctl", False), (True, "", False)],
)
def test_an_unscanned_production_is_warned(
    debug: bool, socket: str, warned: bool, settings: Any
) -> None:
    """The deploy check warns exactly when DEBUG is off and no clamd is configured."""
    settings.DEBUG, settings.CLAMD_SOCKET = debug, socket

    messages = uploads_scanned_in_production()

    assert [message.id for message in messages] == ([NO_VIRUS_SCAN] if warned else [])


def test_check_deploy_fails_without_a_virus_scanner_in_production() -> None:
    """`check --deploy` with DEBUG off and no CLAMD_SOCKET fails at --fail-level WARNING."""
    unscanned = check_deploy(CLAMD_SOCKET="")

    assert unscanned.returncode != 0
    assert NO_VIRUS_SCAN in unscanned.stdout + unscanned.stderr
