"""Project middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


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
