"""Per-client rate limits on public posts, counted in the cache (Redis when configured).

Shared through Redis, the counts hold across every web process. If the cache is down the
limit is not enforced (and a warning is logged): a patient must never be turned away
because a counter could not be read.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """Return the client's address: REMOTE_ADDR, or the proxy-given one when configured.

    With TRUSTED_PROXY_COUNT = N (the number of reverse proxies in front of the portal),
    the Nth address from the right of X-Forwarded-For is the client's: anything left of it
    was written by the client and is not trusted.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt for (scope, key); return whether it is within `limit` per `window` s."""
    name = f"ratelimit:{scope}:{key}"
    try:
        cache.add(name, 0, timeout=window)
        return cache.incr(name) <= limit
    except Exception:
        logger.warning("Rate limit for %s not enforced: the cache did not answer.", scope)
        return True


def too_many(request: HttpRequest) -> HttpResponse:
    """The friendly 429 page, with the phone number."""
    return render(request, "429.html", status=429)


def limit_posts(scope: str, *, setting: str, window: int = 3600) -> Callable[..., Any]:
    """Decorate a view: more posts per client address in `window` s than the setting named
    `setting` allows get a 429."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = getattr(settings, setting)
            if request.method == "POST" and not allow(
                scope, client_ip(request), limit=limit, window=window
            ):
                return too_many(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
