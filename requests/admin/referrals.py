"""Referring providers in the admin: the offices that refer patients, found by name or NPI."""

from __future__ import annotations

from django.contrib import admin

from secondopinion.staff_admin import StaffModelAdmin

from ..models import ReferringProvider


@admin.register(ReferringProvider)
class ReferringProviderAdmin(StaffModelAdmin):
    list_display = ("name", "practice", "npi", "phone", "email")
    search_fields = ("name", "practice", "=npi")
