"""The patient advocates' work: travel, lodging, financial help, interpreters, insurance, on
the support desk (admin:support_desk) and the task list and pages (the inline at the end).

Advocates see the contact details, language, insurance and support needs of a case, never the
diagnosis details; they change support tasks and nothing else about a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from navigators.access import (
    can_change_support_task,
    can_take_support_task,
    may_use_support_desk,
    support_task_for_user,
    support_task_owners,
)
from secondopinion.pagination import EstimatedCountPaginator, query_keeping
from secondopinion.staff_admin import StaffModelAdmin

from ..audit import audit_record
from ..forms.desks import SupportTaskDeskForm, owner_label
from ..models import AuditEvent, InsuranceOutcome, SecondOpinionRequest, SupportTask
from ..selectors import support_due_date
from ..selectors.support import SupportDeskFilters, support_desk
from ..services import support_task_save, support_task_take, support_task_update
from ..services.support import FIELDS as SUPPORT_FIELDS
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


# --- The support desk ----------------------------------------------------------------------

SUPPORT_DESK_PAGE_SIZE = 50


def support_desk_filters(params: Any) -> SupportDeskFilters:
    """Return the desk's filters from a query string (anything unknown is ignored)."""
    queue = params.get("queue", "open")
    kind = params.get("kind", "")
    return SupportDeskFilters(
        queue=queue if queue in {"open", "mine", "unowned"} else "open",
        kind=kind if kind in SupportTask.Kind.values else "",
    )


def support_desk_query(params: Any) -> str:
    """Return the desk's own filters of a query string, to come back to after a post."""
    return query_keeping(params, ("queue", "kind", "page"), longest=40)


@dataclass
class SupportDeskRow:
    task: SupportTask
    form: SupportTaskDeskForm
    can_take: bool
    errors: list[str] = field(default_factory=list)


class SupportDeskMixin:
    """The support desk: the open tasks, the soonest due first, each named by its case's
    reference; an advocate takes an unowned task in one click, and a task is given to an
    advocate, worked and marked done with the outcome of its kind."""

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("desk/", wrap(self.support_desk_view), name="support_desk"),
            path("desk/<int:pk>/take/", wrap(self.support_take_view), name="support_desk_take"),
            path("desk/<int:pk>/", wrap(self.support_update_view), name="support_desk_update"),
            *super().get_urls(),
        ]

    def support_desk_view(self, request: HttpRequest) -> HttpResponse:
        if not may_use_support_desk(request.user):
            raise PermissionDenied
        return self._support_page(request, request.GET)

    def _support_page(
        self,
        request: HttpRequest,
        params: Any,
        *,
        bound: SupportDeskRow | None = None,
        status: int = 200,
    ) -> HttpResponse:
        filters = support_desk_filters(params)
        page = Paginator(support_desk(filters, request.user), SUPPORT_DESK_PAGE_SIZE).get_page(
            params.get("page")
        )
        owners = list(support_task_owners())
        rows = [
            bound
            if bound is not None and bound.task.pk == task.pk
            else SupportDeskRow(
                task=task,
                form=SupportTaskDeskForm(task=task, owners=owners),
                can_take=can_take_support_task(request.user, task),
            )
            for task in page
        ]
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW_LIST,
            case=None,
            detail={"view": "support_desk", "shown": [row.task.pk for row in rows]},
            http_request=request,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Support desk"),
            "opts": self.opts,
            "rows": rows,
            "page_obj": page,
            "filters": filters,
            "queues": [
                ("open", _("All open tasks")),
                ("mine", _("Mine")),
                ("unowned", _("Nobody's yet")),
            ],
            "kinds": [("", _("Every kind")), *SupportTask.Kind.choices],
            "back": support_desk_query(params),
            "page_query": support_desk_query({**params.dict(), "page": ""}),
            "errors": bound.errors if bound is not None else [],
        }
        return render(request, "admin/support_desk.html", context, status=status)

    def _back_to_support_desk(self, request: HttpRequest) -> HttpResponseRedirect:
        query = support_desk_query(QueryDict(request.POST.get("back", "")))
        return HttpResponseRedirect(reverse("admin:support_desk") + (f"?{query}" if query else ""))

    def support_take_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Take an unowned task for yourself (an advocate)."""
        if request.method != "POST":
            return HttpResponse(status=405)
        task = support_task_for_user(request.user, pk)
        if not can_take_support_task(request.user, task):
            if task.owner_id is None and task.is_open:
                raise PermissionDenied  # Not an advocate.
            messages.error(
                request,
                _("%(task)s is not free to take: %(owner)s has it.")
                % {"task": str(task), "owner": owner_label(task.owner) if task.owner else "-"},
            )
            return self._back_to_support_desk(request)
        try:
            support_task_take(task=task, by=request.user, http_request=request)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(task)s is yours.") % {"task": str(task)})
        return self._back_to_support_desk(request)

    def support_update_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Save a task's owner, status, outcome and notes; "Mark done" also closes it."""
        if request.method != "POST":
            return HttpResponse(status=405)
        task = support_task_for_user(request.user, pk)
        form = SupportTaskDeskForm(request.POST, task=task)
        row = SupportDeskRow(
            task=task, form=form, can_take=can_take_support_task(request.user, task)
        )
        if form.is_valid():
            data = form.cleaned_data
            insurance = task.kind == SupportTask.Kind.INSURANCE
            try:
                support_task_update(
                    task=task,
                    by=request.user,
                    owner=data["owner"],
                    status=data["status"],
                    notes=data["notes"],
                    outcome="" if insurance else data["outcome"],
                    insurance_outcome=(data["outcome"] or None) if insurance else None,
                    http_request=request,
                )
            except ValidationError as error:
                row.errors = list(error.messages)
            else:
                messages.success(request, _("%(task)s: saved.") % {"task": str(task)})
                return self._back_to_support_desk(request)
        else:
            row.errors = [str(e) for errors in form.errors.values() for e in errors]
        return self._support_page(
            request, QueryDict(request.POST.get("back", "")), bound=row, status=400
        )


@admin.register(SupportTask)
class SupportTaskAdmin(SupportDeskMixin, ReferenceSearchMixin, StaffModelAdmin):
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

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The outcome of the task's kind only: the insurance outcome on an insurance
        # verification, the outcomes of OUTCOMES_BY_KIND on the others.
        fields = list(super().get_fields(request, obj))
        if obj is not None and obj.kind != SupportTask.Kind.INSURANCE:
            fields = ["outcome" if name == "insurance_outcome" else name for name in fields]
        return fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "outcome" in form.base_fields:
            form.base_fields["outcome"].choices = [("", "-"), *obj.outcome_choices]
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":
            kwargs["queryset"] = support_task_owners()  # Tasks are owned by advocates only.
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Tasks come from the intake answers.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_change_support_task(request.user, obj)

    def save_model(self, request: HttpRequest, obj: SupportTask, form: Any, change: bool) -> None:
        before = dict(SupportTask.objects.filter(pk=obj.pk).values(*SUPPORT_FIELDS).get())
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
