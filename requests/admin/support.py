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

from navigators.access import can_change_support_task
from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import StaffModelAdmin

from ..models import InsuranceOutcome, SecondOpinionRequest, SupportTask
from ..selectors import support_due_date
from ..services import support_task_save
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
class SupportTaskAdmin(ReferenceSearchMixin, StaffModelAdmin):
    list_title = _("Support tasks")
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
    reference_lookup = "case__reference"
    search_fields = ("case__last_name",)  # and the case reference (ReferenceSearchMixin)
    case_path = "case"
    case_field_of = {
        "case_reference": "reference",
        "patient": "last_name",
        "language": "preferred_language",
        "spoken_language": "preferred_language",
        "phone": "phone",
        "email": "email",
        "best_contact": "preferred_contact_method",
        "place": "city",
        "requester": "requester_first_name",
        "insurance": "insurance_carrier",
        "insurance_member_id": "insurance_member_id",
        "support_wanted": "needs_travel",
    }
    list_select_related = ("case", "owner")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # What an advocate's work on a task needs of its case (advocates do not open case pages):
    # how to reach the patient or whoever asked, their language, insurance and support wanted.
    # Each is shown only to those whose role sees that part of a case.
    case_panel = (
        "patient",
        "phone",
        "email",
        "best_contact",
        "spoken_language",
        "place",
        "requester",
        "insurance",
        "insurance_member_id",
        "support_wanted",
    )
    fields = (
        "case_reference",
        "kind",
        *FIELDS,
        "insurance_outcome",
        "completed_at",
        *case_panel,
    )
    readonly_fields = ("case_reference", "kind", "completed_at", *case_panel)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("case")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Tasks come from the intake answers.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_change_support_task(request.user, obj)

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

    @admin.display(description=_("case"), ordering="case__reference")
    def case_reference(self, obj: SupportTask) -> str:
        return obj.case.reference

    @admin.display(description=_("patient"), ordering="case__last_name")
    def patient(self, obj: SupportTask) -> str:
        return obj.case.patient_name

    @admin.display(description=_("due"))
    def due(self, obj: SupportTask) -> Any:
        return support_due_date(obj) or _("when booked")

    @admin.display(description=_("language"))
    def language(self, obj: SupportTask) -> str:
        label = obj.case.preferred_language.upper()
        return f"{label} + interpreter" if obj.case.interpreter_needed else label

    @admin.display(description=_("phone"))
    def phone(self, obj: SupportTask) -> str:
        return obj.case.phone

    @admin.display(description=_("email"))
    def email(self, obj: SupportTask) -> str:
        return obj.case.email or "-"

    @admin.display(description=_("best way and time to reach"))
    def best_contact(self, obj: SupportTask) -> str:
        case = obj.case
        method = case.get_preferred_contact_method_display()
        return f"{method}, {case.get_preferred_contact_time_display()}"

    @admin.display(description=_("preferred language"))
    def spoken_language(self, obj: SupportTask) -> str:
        case = obj.case
        language = case.other_language or case.get_preferred_language_display()
        return f"{language}, {_('interpreter needed')}" if case.interpreter_needed else language

    @admin.display(description=_("city and state"))
    def place(self, obj: SupportTask) -> str:
        return ", ".join(part for part in (obj.case.city, obj.case.state) if part) or "-"

    @admin.display(description=_("who asked"))
    def requester(self, obj: SupportTask) -> str:
        case = obj.case
        if not case.requester_first_name:
            return case.get_requester_type_display()
        name = f"{case.requester_first_name} {case.requester_last_name}".strip()
        reach = ", ".join(part for part in (case.requester_phone, case.requester_email) if part)
        return f"{name} ({case.get_requester_type_display()}) {reach}".strip()

    @admin.display(description=_("insurance"))
    def insurance(self, obj: SupportTask) -> str:
        case = obj.case
        carrier = case.insurance_carrier or _("not given")
        return f"{carrier}; {_('coverage checked')}: {case.get_coverage_checked_display()}"

    @admin.display(description=_("member ID"))
    def insurance_member_id(self, obj: SupportTask) -> str:
        return obj.case.insurance_member_id or "-"

    @admin.display(description=_("support wanted"))
    def support_wanted(self, obj: SupportTask) -> str:
        case = obj.case
        wanted = [
            str(SecondOpinionRequest._meta.get_field(name).verbose_name)
            for name in ("needs_records_help", "needs_travel", "needs_lodging", "needs_financial")
            if getattr(case, name)
        ]
        return ", ".join(wanted) or "-"
