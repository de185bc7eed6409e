"""The second-factor device list: who has a device, never its key; a supervisor may reset one.

django-otp's own device admin shows each key and its QR code and lets staff add, reassign and
change devices. It is replaced here (this app comes after django-otp's in INSTALLED_APPS, so
its registration is already made when this module is imported).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigators.access import can_reset_second_factor, can_view_second_factors

from .mfa import device_reset
from .staff_admin import ReadOnlyAdminMixin

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class SecondFactorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Devices by person, read-only. Nobody adds, reassigns or changes a device here: each
    person enrols their own at sign-in, and a reset is the only change offered."""

    list_title = _("Second factors")

    list_display = ("person", "name", "confirmed", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    ordering = ("user__username", "name")
    # The key, its QR code, the drift and the throttle state are never among these.
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ("reset_second_factor",)

    @admin.display(description="Person", ordering="user__username")
    def person(self, device: TOTPDevice) -> str:
        return device.user.get_username()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_second_factors(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view_second_factors(request.user)

    def has_reset_permission(self, request: HttpRequest) -> bool:
        return can_view_second_factors(request.user)

    @admin.action(
        description="Reset the second factor of the selected people", permissions=["reset"]
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Delete every device of each selected person; each enrols anew at next sign-in."""
        people = get_user_model().objects.filter(pk__in=queryset.values_list("user_id", flat=True))
        reset, refused = 0, []
        for person in people:
            if can_reset_second_factor(request.user, person):
                device_reset(actor=request.user, person=person, http_request=request)
                reset += 1
            else:
                refused.append(person.get_username())
        if reset:
            self.message_user(
                request,
                f"Reset the second factor of {reset} "
                f"{'person' if reset == 1 else 'people'}: each sets up a new device "
                "at their next sign-in.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                "Not reset (your own, or a superuser's): " + ", ".join(refused) + ".",
                messages.WARNING,
            )
