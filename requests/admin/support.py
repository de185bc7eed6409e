"""The patient advocates' worklist: travel, lodging, financial help, interpreters, insurance.

Advocates see the contact details, language, insurance and support needs of a case, never the
diagnosis details; they change support tasks and nothing else about a case.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from secondopinion.pagination import EstimatedCountPaginator

from ..models import InsuranceOutcome, ReferringProvider, SupportTask
from ..support import support_due_date, support_task_save
from .search import ReferenceSearchMixin

FIELDS = ("status", "owner", "notes")


class SupportTaskForm(forms.ModelForm):
    insurance_outcome = forms.ChoiceField(
        label=_("Insurance verification outcome"),
        choices=[("", "-"), *InsuranceOutcome.choices],
        required=False,
        help_text=_("For an insurance verification task: recorded on the case."),
    )

    class Meta:
        model = SupportTask
        fields = FIELDS


@admin.register(SupportTask)
class SupportTaskAdmin(ReferenceSearchMixin, admin.ModelAdmin):
    form = SupportTaskForm
    list_display = (
        "case_reference",
        "patient",
        "kind",
        "status",
        "owner",
        "due",
        "language",
        "phone",
    )
    list_editable = ("status",)
    list_filter = ("status", "kind", "owner")
    reference_lookup = "request__reference"
    search_fields = ("request__last_name",)  # and the case reference (ReferenceSearchMixin)
    list_select_related = ("request", "owner")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = ("case_reference", "kind", *FIELDS, "insurance_outcome", "completed_at")
    readonly_fields = ("case_reference", "kind", "completed_at")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("request")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Tasks come from the intake answers.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SupportTask, form: Any, change: bool) -> None:
        before = dict(
            SupportTask.objects.filter(pk=obj.pk).values("status", "owner_id", "notes").get()
        )
        support_task_save(
            task=obj,
            by=request.user,
            before=before,
            insurance_outcome=form.cleaned_data.get("insurance_outcome") or None,
            http_request=request,
        )

    @admin.display(description=_("case"), ordering="request__reference")
    def case_reference(self, obj: SupportTask) -> str:
        return obj.request.reference

    @admin.display(description=_("patient"), ordering="request__last_name")
    def patient(self, obj: SupportTask) -> str:
        return obj.request.patient_name

    @admin.display(description=_("due"))
    def due(self, obj: SupportTask) -> Any:
        return support_due_date(obj) or _("when booked")

    @admin.display(description=_("language"))
    def language(self, obj: SupportTask) -> str:
        label = obj.request.preferred_language.upper()
        return f"{label} + interpreter" if obj.request.interpreter_needed else label

    @admin.display(description=_("phone"))
    def phone(self, obj: SupportTask) -> str:
        return obj.request.phone


class SupportTaskInline(admin.TabularInline):
    model = SupportTask
    extra = 0
    can_delete = False
    fields = ("kind", "status", "owner", "notes", "completed_at")
    readonly_fields = ("kind", "status", "owner", "notes", "completed_at")
    verbose_name_plural = _("support (worked by the patient advocates)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferringProvider)
class ReferringProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "practice", "npi", "phone", "email")
    search_fields = ("name", "practice", "=npi")
