"""The staff admin site: a second factor at the site itself when MFA is required.

`staff_view` lets the staff pages outside the admin (the dashboard, the downloads) in on the
same terms as the admin site.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The admin site. With MFA_REQUIRED (the default when DEBUG is off) a user is let in only
    once verified by a TOTP device: has_permission, which every admin view and every staff page
    of ours checks, refuses a session signed in with a password alone, whatever the URL.
    Its sign-in page asks for the code in the same form, and a person without a device
    enrols their own on a page of this site (secondopinion.signin)."""

    site_header = "Cancer Second Opinion Program"
    site_title = "Second Opinion staff"
    index_title = "Staff work"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        if settings.MFA_REQUIRED:
            return super().has_permission(request)
        return admin.AdminSite.has_permission(self, request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The sign-in page: password and code in one form (secondopinion.signin)."""
        # Imported here: this site is built while the apps load, before any model can be.
        from .signin import login_view

        return login_view(request, self)

    def enrol(self, request: HttpRequest) -> HttpResponse:
        """The page where a person enrols their own second factor after the password step."""
        from .signin import enrol_view

        return enrol_view(request, self)

    def index(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Send each person to the page their role starts on (navigators.access.landing_page);
        the admin's own index of pages is `all_pages`."""
        from navigators.access import landing_page

        return HttpResponseRedirect(landing_page(request.user))

    def all_pages(self, request: HttpRequest) -> HttpResponse:
        """The admin's own index: every list the person may open, linked from the landing
        pages for whoever needs a page their own does not link."""
        return super().index(request, extra_context={"title": "All staff pages"})

    def get_urls(self) -> list[Any]:
        from navigators import staff_views

        wrap = self.admin_view
        return [
            # Not wrapped in admin_view: the person enrolling is not signed in yet.
            path("enrol/", self.enrol, name="mfa_enrol"),
            path("all/", wrap(self.all_pages), name="all_pages"),
            path("today/", wrap(staff_views.today_view), name="today"),
            path("team/", wrap(staff_views.team_view), name="team"),
            *super().get_urls(),
        ]


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through only what the admin site lets in (staff, and verified when MFA is on)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return wrapped
