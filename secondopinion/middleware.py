"""The project's middleware: what every request passes through before a view.

Trusted proxy headers only, the allowed methods, a cap on the body's size, the idle and the
absolute lifetime of a staff session, and the content security policy.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import datetime, timedelta

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import parse_header_parameters

LOGIN_AT_KEY = "login_at"
RENEWED_AT_KEY = "renewed_at"


# The headers a reverse proxy sets about the client's connection. Django trusts
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and the rate limits read X-Forwarded-For
# (TRUSTED_PROXY_COUNT) from whoever sends them, so only the proxies may.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)
# Every page of the portal is read with GET (or HEAD) and changed with POST.
ALLOWED_METHODS = ("GET", "HEAD", "POST")


class TrustedProxyMiddleware:
    """Drop the X-Forwarded-* headers of a request that did not come from a trusted proxy.

    A client that reaches the server directly (or puts its own header in front of the
    proxy's) must not pass for HTTPS, nor choose the address the limits count.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR") not in settings.TRUSTED_PROXY_ADDRESSES:
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class AllowedMethodsMiddleware:
    """Refuse TRACE and every method but GET, HEAD and POST with a 405, on every URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


# What browsers send (UTF-8) and the few legacy charsets a form may still arrive in.
ACCEPTED_CHARSETS = frozenset({"utf-8", "ascii", "iso8859-1", "iso8859-15", "cp1252"})


def _text_charset(content_type: str) -> bool:
    """Return whether a Content-Type names no charset, or one we accept for text.

    Django's multipart parser trusts the charset it is given; one that is not a text encoding
    (base64, rot13, zlib...) makes it raise instead of refusing the post.
    """
    _main, params = parse_header_parameters(content_type)
    charset = params.get("charset")
    if not charset:
        return True
    try:
        return codecs.lookup(charset).name in ACCEPTED_CHARSETS
    except LookupError:
        return False


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than MAX_REQUEST_BYTES before anything reads it.

    Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it
    streams to disk: without this, one hostile post could fill the disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # This runs before LocaleMiddleware: its refusals speak the visitor's language (cookie
        # or browser) themselves.
        with translation.override(translation.get_language_from_request(request)):
            refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = settings.MAX_REQUEST_BYTES + 1
        if length > settings.MAX_REQUEST_BYTES:
            html = render_to_string(
                "413.html",
                {
                    "program_name": settings.PROGRAM_NAME,
                    "program_phone": settings.PATIENT_ACCESS_PHONE,
                    "max_files": settings.UPLOAD_MAX_FILES,
                    "max_megabytes": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
                },
            )
            return HttpResponse(html, status=413)
        if not _text_charset(request.META.get("CONTENT_TYPE", "")):
            return HttpResponseBadRequest(
                # With the request, for the layout's context (phone link, language switch).
                render_to_string("400.html", request=request)
            )
        return None


class SessionRenewalMiddleware:
    """Move a session's idle expiry forward at most once every SESSION_RENEW_SECONDS.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) costs a database write
    per page for the idle limit alone. Renewed this way, a session idle for SESSION_COOKIE_AGE
    still ends: at the latest SESSION_COOKIE_AGE after its last request, at the earliest
    SESSION_RENEW_SECONDS sooner.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(timezone.now().timestamp())
            if now - session.get(RENEWED_AT_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
                session[RENEWED_AT_KEY] = now
        return response


class StaffSessionMiddleware:
    """End a signed-in session STAFF_SESSION_MAX_HOURS after login, however active it is.

    The idle limit is Django's SESSION_COOKIE_AGE, renewed by SessionRenewalMiddleware; this
    adds the absolute one. The login time is stamped at login (secondopinion.signals).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            stamp = request.session.get(LOGIN_AT_KEY)
            limit = timedelta(hours=settings.STAFF_SESSION_MAX_HOURS)
            if stamp is None or timezone.now() - datetime.fromisoformat(stamp) > limit:
                logout(request)
        return self.get_response(request)


class PortalCSPMiddleware(CSPMiddleware):
    """The strict policy everywhere; under /admin/ also inline styles, which its templates use."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith("/admin/") and not hasattr(response, "_csp_update"):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return super().process_response(request, response)
