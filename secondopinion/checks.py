"""System checks of our own, run by `manage.py check` (the deploy ones with --deploy)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

MFA_OFF = "secondopinion.W001"
NO_VIRUS_SCAN = "secondopinion.W002"


@register(Tags.security, deploy=True)
def mfa_required_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when staff would sign in to a production site with a password alone."""
    if settings.DEBUG or settings.MFA_REQUIRED:
        return []
    return [
        Warning(
            "MFA_REQUIRED is off while DEBUG is off: staff sign in with a password alone.",
            hint="Unset MFA_REQUIRED (it defaults to on when DEBUG is off) or set it to 1.",
            id=MFA_OFF,
        )
    ]


@register(Tags.security, deploy=True)
def uploads_scanned_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a production site would show staff documents no virus scanner has read."""
    if settings.DEBUG or settings.CLAMD_SOCKET:
        return []
    return [
        Warning(
            "CLAMD_SOCKET is unset while DEBUG is off: uploads reach staff without a virus scan.",
            hint="Run clamd (Debian's clamav-daemon) and set CLAMD_SOCKET to its socket.",
            id=NO_VIRUS_SCAN,
        )
    ]
