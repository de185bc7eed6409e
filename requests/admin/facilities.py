"""The facility directory: records staff keep each facility's records phone, fax, address
and how it releases records; the records desk shows them, and the facility fields offer the
directory's names."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secondopinion.staff_admin import StaffModelAdmin

from ..models import Facility
from ..selectors import OUTSTANDING
from ..services import facility_save


@admin.register(Facility)
class FacilityAdmin(StaffModelAdmin):
    list_title = _("Facility directory")
    list_display = ("name", "phone", "fax", "outstanding_items")
    search_fields = ("name",)
    ordering = ("name",)
    list_per_page = 50
    fields = ("name", "phone", "fax", "address", "release_notes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Facility]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                desk_outstanding=Count(
                    "record_items", filter=Q(record_items__status__in=OUTSTANDING)
                )
            )
        )

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        facility_save(facility=obj, by=request.user, http_request=request)

    @admin.display(description=_("items outstanding"), ordering="desk_outstanding")
    def outstanding_items(self, obj: Facility) -> int:
        return obj.desk_outstanding

    def has_delete_permission(self, request: HttpRequest, obj: Facility | None = None) -> bool:
        return False  # Items point to it: a facility that closed keeps its entry.
