"""What search engines see: robots.txt, the icons at their well-known addresses, and a
`noindex` on every page but the program's own.

Patients find the program through search engines, so its three public pages are indexed and
described. Nothing else is: the thanks pages, the status pages and every staff page show
something about one patient or about the staff's work, and the error pages describe nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# The program's pages, and the only paths a search engine may index (answered with a 200).
INDEXABLE_PATHS = frozenset({"/", "/request/", "/refer/"})
# Pages that show one patient's request, staff work, form results or nothing worth finding.
DISALLOWED_PREFIXES = (
    "/admin/",
    "/dashboard/",
    "/documents/",
    "/status/",
    "/request/thanks/",
    "/refer/thanks/",
    "/health/",
    "/i18n/",
)
ROBOTS_TAG = "noindex, nofollow"
# Icons served at the addresses browsers and crawlers ask for without reading the page.
ICONS = {
    "favicon.ico": ("icons/favicon.ico", "image/x-icon"),
    "apple-touch-icon.png": ("icons/apple-touch-icon.png", "image/png"),
}
DAY = 24 * 60 * 60


@require_safe
@cache_control(public=True, max_age=DAY)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Allow the program's pages; disallow the staff, status and form-result pages."""
    lines = [
        "User-agent: *",
        *(f"Disallow: {prefix}" for prefix in DISALLOWED_PREFIXES),
        "Allow: /",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@functools.cache
def _icon_bytes(static_path: str) -> bytes:
    found = finders.find(static_path)
    if not found:
        raise Http404
    with open(found, "rb") as icon:
        return icon.read()


@require_safe
@cache_control(public=True, max_age=DAY)
def icon(request: HttpRequest, name: str) -> HttpResponse:
    """Serve the favicon or the touch icon at the site's root, where browsers look first."""
    static_path, content_type = ICONS[name]
    return HttpResponse(_icon_bytes(static_path), content_type=content_type)


class RobotsTagMiddleware:
    """Add `X-Robots-Tag: noindex, nofollow` to every page but the program's own.

    An allow-list rather than a list of private pages: a page added later stays out of search
    engines until someone decides it belongs there. The public templates say the same in a
    `<meta name="robots">`, for crawlers that read the page but not its headers. Static files,
    the icons and robots.txt are not pages and get no header (a search engine shows the
    favicon next to the program's page).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not (indexable(request.path, response.status_code) or _asset(request.path)):
            response["X-Robots-Tag"] = ROBOTS_TAG
        return response


def indexable(path: str, status_code: int) -> bool:
    """Return whether a search engine may index the page at `path` that answered `status_code`."""
    return status_code == 200 and path in INDEXABLE_PATHS


def _asset(path: str) -> bool:
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    return path == "/robots.txt" or path.lstrip("/") in ICONS or path.startswith(static_prefix)
