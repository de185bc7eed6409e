"""Records work in the admin: the worklist across cases.

Records staff change record items and nothing else about a case: they have no change
permission on requests, and this admin shows them the identification they need on the phone
with a facility (reference, name, date of birth) and nothing clinical beyond the cancer type.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from navigators.access import (
    can_change_record_items,
    can_view_documents,
    may_browse_cases,
    record_items_visible_to,
)
from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import StaffModelAdmin

from ..models import RecordItem, SecondOpinionRequest, normalise_reference
from ..selectors import record_item_due_chase
from ..services import RECORD_FIELDS, record_item_save, record_items_mark
from ..targets import days_left
from .filters import AgeFilter, ChaseFilter, OutstandingFilter
from .search import ReferenceSearchMixin

EDITABLE = tuple(RECORD_FIELDS)


def _before(item: RecordItem) -> dict[str, Any] | None:
    """Return the stored values of an item (None for a new one), to record what changed."""
    if item.pk is None:
        return None
    return dict(RecordItem.objects.filter(pk=item.pk).values(*EDITABLE).get())


class CaseReferenceField(forms.ModelChoiceField):
    """A case chosen by its reference, as read over the phone (for staff who do not browse
    the case list, which the admin's case chooser searches)."""

    default_error_messages = {
        "invalid_choice": _("No case has this reference. Check it with the navigator."),
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = normalise_reference(value)
        return super().to_python(value)


@admin.register(RecordItem)
class RecordItemAdmin(ReferenceSearchMixin, StaffModelAdmin):
    """The records worklist: every outstanding item across open cases, oldest first."""

    list_title = _("Record items to obtain")

    list_display = (
        "case_reference",
        "patient",
        "date_of_birth",
        "facility",
        "kind",
        "status",
        "days_since_requested",
        "days_left_to_target",
        "chase_flag",
    )
    list_editable = ("status",)
    # No filter by facility: a list of every facility ever named grows without end (search
    # finds one instead).
    list_filter = (OutstandingFilter, ChaseFilter, "status", "kind", AgeFilter)
    reference_lookup = "case__reference"
    search_fields = ("facility", "case__last_name")  # and the reference (ReferenceSearchMixin)
    case_path = "case"
    case_field_of = {
        "case_reference": "reference",
        "patient": "last_name",
        "date_of_birth": "date_of_birth",
        "days_left_to_target": "target_date",
        "disease_group": "cancer_type",
        "records_consent": "consent_records_at",
        "items": "status",
    }
    list_select_related = ("case",)
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Oldest listed first, through record_outstanding_idx.
    ordering = ("created_at", "pk")
    actions = ("mark_requested", "mark_received")
    fields = (
        "case",
        *EDITABLE,
        "requested_at",
        "received_at",
        "status_changed_at",
        "status_changed_by",
    )
    # What the work on an item needs of its case, for records staff who do not open case
    # pages: who the patient is, the disease group, the consent to request records, and the
    # case's documents (each shown only to those who may see it).
    case_panel = ("patient", "date_of_birth", "disease_group", "records_consent", "documents")
    readonly_fields = ("requested_at", "received_at", "status_changed_at", "status_changed_by")
    autocomplete_fields = ("case",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)
        panel = [
            name
            for name in self.case_panel
            if self.shows(request, name)
            and (name != "documents" or can_view_documents(request.user, obj.case))
        ]
        return [*super().get_fields(request, obj), *panel]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The case of an item never changes once listed.
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "case", *self.case_panel)

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # The case chooser searches the case list: for those who browse it.
        return self.autocomplete_fields if may_browse_cases(request.user) else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "case" and not may_browse_cases(request.user):
            return CaseReferenceField(
                queryset=SecondOpinionRequest.objects.all(),
                to_field_name="reference",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                label=_("Case reference"),
                help_text=_("The case's reference, for example K7M4-9QXP."),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # An item is dropped by marking it "not needed": its history stays.

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_change_record_items(request.user, obj.case)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecordItem]:
        # The same rule as the case page: a navigator works the items of their own cases.
        return record_items_visible_to(request.user, super().get_queryset(request))

    def save_model(self, request: HttpRequest, obj: RecordItem, form: Any, change: bool) -> None:
        # The case chosen on the add form must be one this user works, like every other item.
        if not can_change_record_items(request.user, obj.case):
            raise PermissionDenied
        record_item_save(item=obj, by=request.user, before=_before(obj), http_request=request)

    @admin.display(description=_("case"), ordering="case__reference")
    def case_reference(self, obj: RecordItem) -> str:
        return obj.case.reference

    @admin.display(description=_("patient"), ordering="case__last_name")
    def patient(self, obj: RecordItem) -> str:
        return obj.case.patient_name

    @admin.display(description=_("date of birth"))
    def date_of_birth(self, obj: RecordItem) -> Any:
        return obj.case.date_of_birth

    @admin.display(description=_("disease group"))
    def disease_group(self, obj: RecordItem) -> str:
        return obj.case.get_cancer_type_display()

    @admin.display(description=_("consented to records requests"))
    def records_consent(self, obj: RecordItem) -> Any:
        return obj.case.consent_records_at or _("not given")

    @admin.display(description=_("documents of the case"))
    def documents(self, obj: RecordItem) -> str:
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (document.get_absolute_url(), document.original_name)
                for document in obj.case.documents.cleared().order_by("uploaded_at")
            ),
        )
        return links or "-"

    @admin.display(description=_("days since requested"), ordering="requested_at")
    def days_since_requested(self, obj: RecordItem) -> Any:
        if obj.requested_at is None:
            return "-"
        return (timezone.localdate() - timezone.localdate(obj.requested_at)).days

    @admin.display(description=_("days left to target"))
    def days_left_to_target(self, obj: RecordItem) -> int:
        return days_left(obj.case.target_date)

    @admin.display(description=_("chase"))
    def chase_flag(self, obj: RecordItem) -> str:
        if record_item_due_chase(obj):
            return format_html('<span class="so-badge badge-warn">{}</span>', _("follow up"))
        return ""

    @admin.action(description=_("Mark the selected items requested"), permissions=["change"])
    def mark_requested(self, request: HttpRequest, queryset: QuerySet[RecordItem]) -> None:
        changed = record_items_mark(
            items=queryset,
            status=RecordItem.State.REQUESTED,
            by=request.user,
            http_request=request,
        )
        messages.success(request, _("%(n)d item(s) marked requested.") % {"n": changed})

    @admin.action(description=_("Mark the selected items received"), permissions=["change"])
    def mark_received(self, request: HttpRequest, queryset: QuerySet[RecordItem]) -> None:
        changed = record_items_mark(
            items=queryset,
            status=RecordItem.State.RECEIVED,
            by=request.user,
            http_request=request,
        )
        messages.success(request, _("%(n)d item(s) marked received.") % {"n": changed})
