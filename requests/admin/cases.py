"""The case admin: the case list, worked from the most urgent case, and the case pages.

This module configures SecondOpinionRequestAdmin; the case page is the workspace (workspace),
its details page the admin's change form (the fieldsets of case_page), the actions on a case
are in case_actions, the list's filters in filters. Every change goes
through a service (requests.services, navigators.services); who may do what is decided in
navigators.access. The admin only shows and routes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from navigators.access import can_change_case, case_sections_for
from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import StaffModelAdmin

from ..choices import Treatment
from ..models import SecondOpinionRequest
from ..selectors import cases_by_urgency
from ..services import case_details_update
from .case_actions import CaseActionsMixin
from .case_page import CASE_FIELDSETS, FOLDED_SECTIONS, WORKFLOW_FIELDS, target_badge
from .filters import CaseQueueFilter, NavigatorFilter
from .search import ReferenceSearchMixin
from .workspace import CaseWorkspaceMixin


class CaseChangeList(ChangeList):
    """The case list, by default in the order a navigator works: most urgent first."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[str]:
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        # Overdue, then at risk, then the soonest target (get_queryset adds "urgency").
        return ["urgency", "target_date", "submitted_at", "-pk"]


@admin.register(SecondOpinionRequest)
class SecondOpinionRequestAdmin(
    CaseWorkspaceMixin, CaseActionsMixin, ReferenceSearchMixin, StaffModelAdmin
):
    """The case list, worked from the most urgent case, and the case pages."""

    list_title = _("Cases")

    list_display = (
        "reference",
        "patient_name",
        "status",
        "days_left_badge",
        "navigator",
        "cancer_type",
        "language",
    )
    list_display_links = ("reference", "patient_name")
    list_filter = (
        CaseQueueFilter,
        "status",
        "target_state",
        "cancer_type",
        ("navigator", NavigatorFilter),
    )
    search_fields = ("last_name", "first_name")  # and the reference: ReferenceSearchMixin
    case_path = ""
    case_field_of = {
        "patient_name": "last_name",
        "language": "preferred_language",
        "days_left_badge": "target_date",
        "queue": "status",
    }
    list_select_related = ("navigator__user",)
    list_per_page = 50
    ordering = ("target_date",)
    show_full_result_count = False
    view_on_site = False
    paginator = EstimatedCountPaginator
    actions = ("assign_selected", "take_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SecondOpinionRequest]:
        # Not super(): it orders by get_ordering() before the urgency annotation exists.
        return cases_by_urgency(self.model._default_manager.get_queryset())

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> SecondOpinionRequest | None:
        """Return the case with the relations its details page shows (one query)."""
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        queryset = self.get_queryset(request).select_related(
            "navigator__user", "referring_provider"
        )
        try:
            return queryset.get(pk=self.model._meta.pk.to_python(object_id))
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CaseChangeList

    @admin.display(description=_("patient"), ordering="last_name")
    def patient_name(self, obj: SecondOpinionRequest) -> str:
        return obj.patient_name

    @admin.display(description=_("language"), ordering="preferred_language")
    def language(self, obj: SecondOpinionRequest) -> str:
        label = obj.preferred_language.upper()
        return f"{label} + interpreter" if obj.interpreter_needed else label

    @admin.display(description=_("treatment so far"))
    def treatments_display(self, obj: SecondOpinionRequest) -> str:
        labels = dict(Treatment.choices)
        return ", ".join(str(labels.get(value, value)) for value in obj.treatments) or "-"

    @admin.display(description=_("target"), ordering="target_date")
    def days_left_badge(self, obj: SecondOpinionRequest) -> str:
        return target_badge(obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[str, dict]]:
        sections = case_sections_for(request.user)
        return [
            (title, {"fields": fields, "classes": ["collapse"] if key in FOLDED_SECTIONS else []})
            for key, title, fields in CASE_FIELDSETS
            if key in sections
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is not None and can_change_case(request.user, obj):
            return WORKFLOW_FIELDS
        return tuple(field for _key, _title, fields in CASE_FIELDSETS for field in fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests arrive through the public forms (or a call, entered there).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return can_change_case(request.user, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        case_details_update(
            case=obj,
            before={name: form.initial.get(name) for name in form.changed_data},
            by=request.user,
            http_request=request,
        )
