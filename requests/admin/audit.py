"""The audit trail in the admin: a read-only list, and the record of a case page opened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import ReadOnlyAdminMixin, StaffModelAdmin

from ..audit import audit_record
from ..models import AuditEvent
from .search import ReferenceSearchMixin


class ObjectTypeFilter(admin.AllValuesFieldListFilter):
    """The object types on the trail; events about no object (a sign-in) get a named link."""

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice["display"] = _("no object")
            yield choice


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ReferenceSearchMixin, StaffModelAdmin):
    """The audit trail, read-only for everyone: no one can add, change or delete a row."""

    list_title = _("Audit trail")

    list_display = (
        "at",
        "actor",
        "action",
        "case",
        "object_type",
        "object_id",
        "client_address",
    )
    list_filter = ("action", ("object_type", ObjectTypeFilter))
    reference_lookup = "case__reference"
    search_fields = ("actor__username",)  # and the case reference (ReferenceSearchMixin)
    # The case page links to its own trail.
    extra_list_lookups = ("case__id__exact",)
    list_select_related = ("actor", "case")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    date_hierarchy = "at"


def audit_case_view(request: HttpRequest, case: Any) -> None:
    """Record that a member of staff opened a case page."""
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW_CASE,
        case=case,
        obj=case,
        http_request=request,
    )
