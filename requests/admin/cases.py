"""Staff work on requests in the Django admin: the case list, the case page, its actions.

Every change goes through a service (requests.services, navigators.services); who may do
what is decided in navigators.access. The admin only shows and routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from navigators.access import (
    CASE_SECTION_FIELDS,
    can_assign_case,
    can_book_case,
    can_change_case,
    can_read_audit_trail,
    can_take_case,
    can_transition_case,
    case_for_user,
    case_parts_for,
    case_sections_for,
    is_supervisor,
    may_take_cases,
    navigator_of,
    sees_case_notes,
)
from navigators.services import case_assign, case_take
from secondopinion.pagination import EstimatedCountPaginator
from secondopinion.staff_admin import StaffInlineMixin, StaffModelAdmin

from ..choices import Status, TargetState, Treatment
from ..models import (
    OPEN_STATUSES,
    Appointment,
    CaseNote,
    Document,
    RecordItem,
    SecondOpinionRequest,
)
from ..selectors import (
    case_appointments,
    case_timeline,
    cases_by_urgency,
    records_progress,
    with_records_progress,
)
from ..services import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    case_note_add,
    case_transition,
    request_details_update,
)
from ..staff_forms import AppointmentForm, AppointmentMoveForm, AssignForm, TransitionForm
from ..targets import days_left
from .records import (
    DocumentInline,
    DocumentUploadInline,
    RecordItemInline,
    audit_case_view,
    save_record_formset,
)
from .search import ReferenceSearchMixin
from .support import SupportTaskInline

SECTION_TITLES = (
    ("case", _("Case")),
    ("identity", _("Patient")),
    ("contact", _("Contact")),
    ("requester", _("Who asked")),
    ("cancer_type", _("Disease group")),
    ("diagnosis", _("Diagnosis")),
    ("insurance", _("Insurance")),
    ("referral", _("Referral")),
    ("support", _("Support wanted")),
    ("consents", _("Consents")),
)
# Section fields the page does not show: the raw list behind treatments_display, and the
# referring office's address (its emails go there; the provider is shown).
NOT_ON_PAGE = frozenset({"treatments", "referral_email"})
# The case page's sections; which of them a user sees is navigators.access's to say.
CASE_FIELDSETS: list[tuple[str, str, tuple[str, ...]]] = [
    (key, title, tuple(name for name in CASE_SECTION_FIELDS[key] if name not in NOT_ON_PAGE))
    for key, title in SECTION_TITLES
]
# Set only by the services: never through the change form.
WORKFLOW_FIELDS = (
    "reference",
    "status",
    "navigator",
    "submitted_at",
    "target_date",
    "target_state",
    "closed_at",
    "decline_reason",
    "requester_type",
    "consent_contact_at",
    "consent_records_at",
    "privacy_acknowledged_at",
    "treatments_display",
    "insurance_outcome",
    "referring_provider",
    "referral_reason",
    "referral_urgent",
)
# Sections folded on the case page: looked up now and then, not worked from.
FOLDED_SECTIONS = frozenset({"requester", "consents"})
BADGE_CLASSES = {
    TargetState.ON_TRACK: "badge-ok",
    TargetState.AT_RISK: "badge-warn",
    TargetState.OVERDUE: "badge-danger",
    TargetState.MET: "badge-done",
    TargetState.MISSED: "badge-danger",
}


class CaseQueueFilter(admin.SimpleListFilter):
    """My cases (a navigator's default), the unassigned queue, all open, or all."""

    title = _("cases")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("mine", _("My open cases")),
            ("unassigned", _("Unassigned")),
            ("open", _("All open cases")),
            ("all", _("All cases, open and closed")),
        ]

    def value(self) -> str:
        # No choice made: navigators start on their own cases, everyone else on all open ones.
        chosen = super().value()
        if chosen:
            return chosen
        return "mine" if navigator_of(self.user) is not None else "open"

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]
    ) -> QuerySet[SecondOpinionRequest]:
        choice = self.value()
        if choice == "mine":
            navigator = navigator_of(request.user)
            if navigator is None:
                return queryset.none()  # Staff who do not navigate have no cases of their own.
            return queryset.filter(navigator=navigator, status__in=OPEN_STATUSES)
        if choice == "unassigned":
            return queryset.filter(navigator__isnull=True, status__in=OPEN_STATUSES)
        if choice == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def __init__(self, request: HttpRequest, *args: Any) -> None:
        self.user = request.user
        super().__init__(request, *args)


class NavigatorFilter(admin.RelatedFieldListFilter):
    """The navigator filter, naming navigators from one query (not one per navigator)."""

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[int, str]]:
        from navigators.models import Navigator

        return [
            (navigator.pk, str(navigator)) for navigator in Navigator.objects.select_related("user")
        ]


class CaseChangeList(ChangeList):
    """The case list, by default in the order a navigator works: most urgent first."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[str]:
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        # Overdue, then at risk, then the soonest target (get_queryset adds "urgency").
        return ["urgency", "target_date", "submitted_at", "-pk"]


class CaseNoteInline(StaffInlineMixin, admin.StackedInline):
    """Add a note or a contact attempt; notes once written are not edited."""

    model = CaseNote
    extra = 1
    can_delete = False
    fields = ("kind", "outcome", "body")
    verbose_name = _("new note or contact attempt")
    verbose_name_plural = _("add a note or contact attempt")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseNote]:
        # Past notes are on the timeline; this inline only adds.
        return super().get_queryset(request).none()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and can_change_case(request.user, obj)
            and super().has_add_permission(request, obj)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)


class AppointmentInline(StaffInlineMixin, admin.TabularInline):
    model = Appointment
    extra = 0
    can_delete = False
    fields = ("starts_at", "specialty", "clinician", "modality", "location", "state")
    readonly_fields = fields
    verbose_name_plural = _("appointments (book with the button above)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The parts below the case page's fields, by the name navigators.access.case_parts_for uses.
CASE_INLINES: tuple[tuple[str, type], ...] = (
    ("notes", CaseNoteInline),
    ("record_items", RecordItemInline),
    ("documents", DocumentUploadInline),
    ("documents", DocumentInline),
    ("appointments", AppointmentInline),
    ("support_tasks", SupportTaskInline),
)


@admin.register(SecondOpinionRequest)
class SecondOpinionRequestAdmin(ReferenceSearchMixin, StaffModelAdmin):
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
    # Navigators and supervisors: their timeline lists the status changes and appointments,
    # and the case panel the booked ones with their buttons.
    inlines = (
        CaseNoteInline,
        RecordItemInline,
        DocumentUploadInline,
        DocumentInline,
        SupportTaskInline,
    )

    # --- The list ----------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[SecondOpinionRequest]:
        # Not super(): it orders by get_ordering() before the urgency annotation exists.
        return cases_by_urgency(self.model._default_manager.get_queryset())

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> SecondOpinionRequest | None:
        """Return the case with what its page shows; a GET reads it once for panel and form.

        A POST reads it afresh for the form, which writes the posted values into it: the
        panel keeps showing the case as saved.
        """
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        cached = getattr(request, "_case_page_case", None)
        if cached is not None and str(cached.pk) == str(object_id):
            return cached
        queryset = with_records_progress(
            self.get_queryset(request).select_related("navigator__user", "referring_provider")
        )
        try:
            case = queryset.get(pk=self.model._meta.pk.to_python(object_id))
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None
        if request.method == "GET":
            request._case_page_case = case
        return case

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

    # --- The case page -----------------------------------------------------------------

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

    def get_inlines(self, request: HttpRequest, obj: Any) -> tuple[type, ...]:
        if obj is None:
            return ()
        parts = case_parts_for(request.user)
        return tuple(inline for part, inline in CASE_INLINES if part in parts)

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
        request_details_update(
            case=obj,
            before={name: form.initial.get(name) for name in form.changed_data},
            by=request.user,
            http_request=request,
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model in {RecordItem, Document}:
            save_record_formset(request, form, formset)
            return
        if formset.model is not CaseNote:
            super().save_formset(request, form, formset, change)
            return
        # Notes go through the service (author, audit); the admin's change message reads
        # what the formset saved, so it is told here.
        formset.new_objects = [
            case_note_add(
                case=form.instance,
                by=request.user,
                kind=note_form.cleaned_data["kind"],
                outcome=note_form.cleaned_data.get("outcome", ""),
                body=note_form.cleaned_data["body"],
                http_request=request,
            )
            for note_form in formset.forms
            if note_form.has_changed() and note_form.cleaned_data.get("body")
        ]
        formset.changed_objects, formset.deleted_objects = [], []

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        case = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if case is not None and self.has_view_or_change_permission(request, case):
            context.update(self.case_panel_context(request, case))
            if request.method == "GET":
                audit_case_view(request, case)
        return super().change_view(request, object_id, form_url, context)

    def case_panel_context(
        self, request: HttpRequest, case: SecondOpinionRequest
    ) -> dict[str, Any]:
        user = request.user
        can_change = can_change_case(user, case)
        appointments = case_appointments(case) if can_change or sees_case_notes(user) else []
        transitions = []
        if can_transition_case(user, case):
            transitions = [
                (status, Status(status).label)
                for status in Status.values
                if status in case.allowed_next_statuses()
                and status not in {Status.ASSIGNED, Status.SCHEDULED}
            ]
        sections = case_sections_for(user)
        return {
            "case": case,
            "case_badge": target_badge(case),
            "case_days_left": days_left(case.target_date),
            "case_transitions": transitions,
            "case_can_book": can_book_case(user, case)
            and case.status in {Status.READY_TO_SCHEDULE, Status.SCHEDULED},
            "case_can_take": can_take_case(user, case),
            "case_can_assign": can_assign_case(user, case),
            "assign_form": AssignForm() if is_supervisor(user) else None,
            "case_sees_contact": "contact" in sections,
            "case_sees_cancer_type": "cancer_type" in sections,
            "case_records": records_progress(case),
            # The case's audit trail is a page of its own: a list that only grows.
            "case_audit_url": (
                reverse("admin:requests_auditevent_changelist")
                + "?"
                + urlencode({"request__id__exact": case.pk})
                if can_read_audit_trail(user)
                else ""
            ),
            "case_timeline": case_timeline(case, appointments) if sees_case_notes(user) else [],
            "case_booked": (
                [item for item in appointments if item.state == Appointment.State.BOOKED]
                if can_change
                else []
            ),
        }

    # --- Case actions (each one a service call) ----------------------------------------

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/transition/", wrap(self.transition_view), name="case_transition"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="case_assign"),
            path("<int:pk>/take/", wrap(self.take_view), name="case_take"),
            path("<int:pk>/book/", wrap(self.book_view), name="case_book"),
            path(
                "<int:pk>/appointments/<int:appointment_pk>/<str:change>/",
                wrap(self.appointment_change_view),
                name="case_appointment_change",
            ),
            *super().get_urls(),
        ]

    def _back(self, case: SecondOpinionRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
        )

    def _refuse(self, request: HttpRequest, error: ValidationError) -> None:
        for message in error.messages:
            messages.error(request, message)

    def _act(
        self,
        request: HttpRequest,
        case: SecondOpinionRequest,
        action: Callable[[], object],
        success: Callable[[], str],
    ) -> HttpResponseRedirect:
        """Run a service for a case action; show its refusal or `success`, and go back."""
        try:
            action()
        except ValidationError as error:
            self._refuse(request, error)
        else:
            messages.success(request, success())
        return self._back(case)

    def transition_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="transition")
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a status to move the case to."))
            return self._back(case)
        return self._act(
            request,
            case,
            lambda: case_transition(
                case=case,
                to_status=form.cleaned_data["to_status"],
                by=request.user,
                note=form.cleaned_data["note"],
                http_request=request,
            ),
            lambda: (
                _("Case %(ref)s is now %(status)s.")
                % {"ref": case.reference, "status": case.get_status_display().lower()}
            ),
        )

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="assign")
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("navigator", [])))
            return self._back(case)
        return self._act(
            request,
            case,
            lambda: case_assign(
                case=case,
                navigator=form.cleaned_data["navigator"],
                by=request.user,
                note=form.cleaned_data["note"],
                http_request=request,
            ),
            lambda: (
                _("Case %(ref)s is assigned to %(name)s.")
                % {"ref": case.reference, "name": form.cleaned_data["navigator"]}
            ),
        )

    def take_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="take")
        return self._act(
            request,
            case,
            lambda: case_take(
                case=case, navigator=navigator_of(request.user), http_request=request
            ),
            lambda: _("Case %(ref)s is yours.") % {"ref": case.reference},
        )

    def book_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = case_for_user(request.user, pk, action="book")
        form = AppointmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                appointment_book(
                    case=case, by=request.user, http_request=request, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Appointment booked; the patient will get an email."))
                return self._back(case)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Book an appointment for %(ref)s") % {"ref": case.reference},
            "case": case,
            "form": form,
            "opts": self.model._meta,
            "target_deadline": case.target_date,
        }
        return TemplateResponse(request, "admin/requests/book_appointment.html", context)

    def appointment_change_view(
        self, request: HttpRequest, pk: int, appointment_pk: int, change: str
    ) -> HttpResponse:
        """Cancel or move a booked appointment (POST), as the case page's buttons do."""
        if request.method != "POST" or change not in {"cancel", "move"}:
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="book")
        appointment = get_object_or_404(Appointment, pk=appointment_pk, request=case)
        try:
            if change == "cancel":
                appointment_cancel(
                    appointment=appointment,
                    by=request.user,
                    reason=request.POST.get("note", ""),
                    http_request=request,
                )
                messages.success(request, _("Appointment cancelled."))
            else:
                form = AppointmentMoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(
                        [error for errors in form.errors.values() for error in errors]
                    )
                appointment_move(
                    appointment=appointment,
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                    http_request=request,
                )
                messages.success(request, _("Appointment moved; the patient will get an email."))
        except ValidationError as error:
            self._refuse(request, error)
        return self._back(case)

    # --- List actions ------------------------------------------------------------------

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return is_supervisor(request.user)

    def has_take_permission(self, request: HttpRequest) -> bool:
        return may_take_cases(request.user)

    @admin.action(description=_("Assign the selected cases to a navigator"), permissions=["assign"])
    def assign_selected(
        self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = AssignForm(request.POST)
            if form.is_valid():
                done = 0
                for case in queryset:
                    try:
                        case_assign(
                            case=case,
                            navigator=form.cleaned_data["navigator"],
                            by=request.user,
                            note=form.cleaned_data["note"],
                            http_request=request,
                        )
                        done += 1
                    except ValidationError as error:
                        messages.warning(request, f"{case.reference}: {' '.join(error.messages)}")
                messages.success(
                    request,
                    _("%(n)d case(s) assigned to %(name)s.")
                    % {"n": done, "name": form.cleaned_data["navigator"]},
                )
                return None
        else:
            form = AssignForm()
        return render(
            request,
            "admin/requests/assign_cases.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign cases"),
                "cases": queryset.select_related("navigator__user"),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Take the selected unassigned cases"), permissions=["take"])
    def take_selected(self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]) -> None:
        navigator = navigator_of(request.user)
        taken = 0
        for case in queryset:
            if not can_take_case(request.user, case):
                messages.warning(request, _("%(ref)s is not unassigned.") % {"ref": case.reference})
                continue
            try:
                case_take(case=case, navigator=navigator, http_request=request)
                taken += 1
            except ValidationError as error:
                messages.warning(request, f"{case.reference}: {' '.join(error.messages)}")
        messages.success(request, _("You took %(n)d case(s).") % {"n": taken})


def target_badge(case: SecondOpinionRequest) -> str:
    """Return the coloured badge of a case's target: state and days left."""
    css = BADGE_CLASSES.get(case.target_state, "badge-ok")
    if case.target_state in {TargetState.MET, TargetState.MISSED} or not case.is_open:
        text = case.get_target_state_display()
    else:
        left = days_left(case.target_date)
        if left < 0:
            text = ngettext("%(n)d day overdue", "%(n)d days overdue", -left) % {"n": -left}
        elif left == 0:
            text = _("due today")
        else:
            text = ngettext("%(n)d day left", "%(n)d days left", left) % {"n": left}
    return format_html(
        '<span class="so-badge {}" title="{}">{}</span>',
        css,
        _("Target: %(date)s") % {"date": date_format(case.target_date)},
        text,
    )
