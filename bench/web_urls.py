"""The portal's URLs plus /bench/baseline/, the trivial view of bench/web.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from secondopinion.urls import handler400, handler500
from secondopinion.urls import urlpatterns as portal_urls


def baseline(request: HttpRequest) -> HttpResponse:
    """Answer "ok" after the same middleware as every page: what a view costs at the least."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/baseline/", baseline), *portal_urls]
__all__ = ["handler400", "handler500", "urlpatterns"]
