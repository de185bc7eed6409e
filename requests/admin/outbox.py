"""The outbox in the admin: every email owed, its state, and a resend for failed ones."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from navigators.access import can_resend_emails
from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import StaffModelAdmin

from ..models import Notification
from ..services import notification_resend
from .search import ReferenceSearchMixin


@admin.register(Notification)
class NotificationAdmin(ReferenceSearchMixin, StaffModelAdmin):
    list_title = _("Emails")
    list_display = ("kind", "case", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "kind")
    reference_lookup = "case__reference"
    # A reference as typed goes through ReferenceSearchMixin; this shows the search box.
    search_fields = ("=case__reference",)
    list_select_related = ("case",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ("resend_selected",)
    readonly_fields = (
        "case",
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return can_resend_emails(request.user)

    @admin.action(description=_("Send the selected failed emails again"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        resent = sum(
            notification_resend(notification_id=pk) for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(request, _("%(n)d email(s) queued again.") % {"n": resent})
