"""Staff work on requests in the Django admin."""

from __future__ import annotations

from django.contrib import admin

from .models import Notification, SecondOpinionRequest, StatusChange


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(SecondOpinionRequest)
class SecondOpinionRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "patient_name",
        "submitted_at",
        "status",
        "target_date",
        "target_state",
        "navigator",
    )
    list_filter = ("status", "target_state", "cancer_type", "navigator")
    search_fields = ("=reference", "last_name", "first_name")
    list_select_related = ("navigator__user",)
    readonly_fields = (
        "reference",
        "status",
        "submitted_at",
        "target_date",
        "target_state",
        "closed_at",
        "consent_contact_at",
        "consent_records_at",
        "privacy_acknowledged_at",
    )
    date_hierarchy = "submitted_at"
    ordering = ("target_date",)
    show_full_result_count = False
    inlines = (StatusChangeInline,)

    @admin.display(description="patient", ordering="last_name")
    def patient_name(self, obj: SecondOpinionRequest) -> str:
        return obj.patient_name


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "request", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("=request__reference",)
    list_select_related = ("request",)
    readonly_fields = (
        "request",
        "kind",
        "dedupe_key",
        "recipient",
        "language",
        "context",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False
