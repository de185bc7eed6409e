"""The staff admin site: a second factor at the site itself when MFA is required."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The admin site. With MFA_REQUIRED (the default when DEBUG is off) a user is let in only
    once verified by a TOTP device: has_permission, which every admin view and every staff page
    of ours checks, refuses a session signed in with a password alone, whatever the URL."""

    site_header = "Cancer Second Opinion Program"
    site_title = "Second Opinion staff"
    index_title = "Staff work"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        if settings.MFA_REQUIRED:
            return super().has_permission(request)
        return admin.AdminSite.has_permission(self, request)

    @property
    def login_form(self) -> Any:  # type: ignore[override]
        return OTPAdminSite.login_form if settings.MFA_REQUIRED else None

    @property
    def login_template(self) -> Any:  # type: ignore[override]
        return OTPAdminSite.login_template if settings.MFA_REQUIRED else None


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through only what the admin site lets in (staff, and verified when MFA is on)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return wrapped
