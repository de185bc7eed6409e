from __future__ import annotations

from django.contrib import admin

from .models import Navigator


@admin.register(Navigator)
class NavigatorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "capacity", "accepting_new_cases", "last_assigned_at")
    list_filter = ("accepting_new_cases",)
    search_fields = ("user__first_name", "user__last_name", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
