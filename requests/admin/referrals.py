"""Referring providers in the admin: the offices that refer patients, found by name or NPI."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from secondopinion.staff_admin import StaffModelAdmin

from ..models import ReferringProvider


@admin.register(ReferringProvider)
class ReferringProviderAdmin(StaffModelAdmin):
    list_title = _("Referring providers")
    list_display = ("name", "practice", "npi", "phone", "email")
    search_fields = ("name", "practice", "=npi")
