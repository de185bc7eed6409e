"""Project middleware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

LOGIN_AT_KEY = "login_at"


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than MAX_REQUEST_BYTES before anything reads it.

    Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it
    streams to disk: without this, one hostile post could fill the disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
        return self.get_response(request)


class StaffSessionMiddleware:
    """End a signed-in session STAFF_SESSION_MAX_HOURS after login, however active it is.

    The idle limit is Django's (SESSION_COOKIE_AGE renewed by SESSION_SAVE_EVERY_REQUEST);
    this adds the absolute one. The login time is stamped at login (secondopinion.signals).
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
