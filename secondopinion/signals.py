"""Signal receivers of the project: the login time of a staff session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .middleware import LOGIN_AT_KEY


@receiver(user_logged_in)
def stamp_login_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Remember when this session signed in, for the 12-hour limit."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = timezone.now().isoformat()
