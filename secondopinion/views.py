"""Project-wide views: /health/, and the plain pages for a refused form (CSRF), a 400 and a 500."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from navigators.access import can_see_health_details
from requests.selectors import outbox_counts

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("Health check: the database did not answer.")
        return False


def _broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        return bool(client.ping())
    except redis.RedisError:
        logger.warning("Health check: the broker did not answer.")
        return False


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database (and the broker, when configured) answer, else 503.

    The public learns only that (`{"status": "ok"}` or `"unavailable"`); the checks and the
    outbox's counts are for staff and for a monitor holding HEALTH_TOKEN.
    """
    checks = {"database": "ok" if _database_ok() else "down"}
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "down"
    else:
        checks["broker"] = "in-process"
    healthy = "down" not in checks.values()
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    if _may_see_details(request):
        body["checks"] = checks
        if checks["database"] == "ok":
            # Counts only: how many emails wait, and for how long the oldest has waited.
            body["outbox"] = outbox_counts()
    return JsonResponse(body, status=200 if healthy else 503)


def _may_see_details(request: HttpRequest) -> bool:
    try:
        return can_see_health_details(request)
    except DatabaseError:
        # The staff session is kept in the database that is down: only the token can tell.
        return False


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain an expired or missing form token in plain words (never the raw reason)."""
    return render(request, "403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Explain a refused request (too large, too many fields, malformed) without echoing it."""
    return render(request, "400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """Render the 500 page from settings alone: it must not fail again, nor echo any input."""
    return render(
        None,
        "500.html",
        {"program_name": settings.PROGRAM_NAME, "program_phone": settings.PATIENT_ACCESS_PHONE},
        status=500,
    )
