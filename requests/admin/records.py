"""Records work in the admin: the records desk (admin:records_desk, where records staff work),
the worklist across cases, and items and documents on the case page (the inlines at the end).

Records staff change record items and nothing else about a case: they have no change
permission on requests, and this admin shows them the identification they need on the phone
with a facility (reference, name, date of birth) and nothing clinical beyond the cancer type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from navigators.access import (
    can_change_record_items,
    can_view_documents,
    may_browse_cases,
    may_manage_facilities,
    may_use_records_desk,
    record_item_for_user,
    record_items_visible_to,
)
from secondopinion.pagination import EstimatedCountPaginator, query_keeping
from secondopinion.staff_admin import StaffModelAdmin

from ..audit import audit_record
from ..forms.desks import (
    METHOD_CHOICES,
    BulkMarkForm,
    FacilityNameInput,
    MarkReceivedForm,
    MarkRequestedForm,
    UploadReceivedForm,
)
from ..models import AuditEvent, RecordItem, SecondOpinionRequest, normalise_reference
from ..selectors import OUTSTANDING, record_item_due_chase
from ..selectors.records import DeskFilters, records_desk
from ..services import (
    RECORD_FIELDS,
    record_item_mark_received,
    record_item_mark_requested,
    record_item_receive_document,
    record_item_save,
    record_items_mark,
)
from ..targets import days_left
from .filters import AgeFilter, ChaseFilter, OutstandingFilter
from .search import ReferenceSearchMixin

EDITABLE = tuple(RECORD_FIELDS)

State = RecordItem.State


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


# --- The records desk ----------------------------------------------------------------------

DESK_PAGE_SIZE = 50
DESK_FILTER_KEYS = ("state", "chase", "facility", "page")


def desk_filters(params: Any) -> DeskFilters:
    """Return the desk's filters from a query string (anything unknown is ignored)."""
    state = params.get("state", "")
    return DeskFilters(
        state=state if state in OUTSTANDING else "",
        chase=params.get("chase") == "yes",
        facility=params.get("facility", "")[:200],
    )


def desk_query(params: Any) -> str:
    """Return the desk's own filters of a query string, to come back to after a post."""
    return query_keeping(params, DESK_FILTER_KEYS, longest=200)


@dataclass
class DeskRow:
    """One outstanding item on the desk, with the forms of what the user may do with it."""

    item: RecordItem
    can_change: bool
    requested: MarkRequestedForm
    received: MarkReceivedForm
    upload: UploadReceivedForm
    errors: list[str] = field(default_factory=list)

    @property
    def open_form(self) -> str:
        """Return which of the row's forms to show open: the one that was refused."""
        for name in ("requested", "received", "upload"):
            if getattr(self, name).is_bound:
                return name
        return ""


class RecordsDeskMixin:
    """The records desk: every outstanding item in the order to work it, marked requested or
    received (one at a time or checked together), and a received file uploaded in one step.

    Records staff work it; navigators and supervisors read it too, and mark the items they
    may change (navigators.access).
    """

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("desk/", wrap(self.desk_view), name="records_desk"),
            path("desk/bulk/", wrap(self.desk_bulk_view), name="records_desk_bulk"),
            path(
                "desk/<int:pk>/<str:change>/",
                wrap(self.desk_mark_view),
                name="records_desk_mark",
            ),
            *super().get_urls(),
        ]

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        if not may_use_records_desk(request.user):
            raise PermissionDenied
        return self._desk_page(request, request.GET)

    def _desk_page(
        self,
        request: HttpRequest,
        params: Any,
        *,
        bound: dict[int, DeskRow] | None = None,
        bulk: BulkMarkForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        """Render the desk; a refused post shows its row's bound form and error in place."""
        filters = desk_filters(params)
        items = record_items_visible_to(request.user, records_desk(filters))
        paginator = Paginator(items, DESK_PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        rows = [(bound or {}).get(item.pk) or self._desk_row(request, item) for item in page]
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW_LIST,
            case=None,
            detail={"view": "records_desk", "shown": [row.item.pk for row in rows]},
            http_request=request,
        )
        query = desk_query(params)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Records desk"),
            "opts": self.opts,
            "rows": rows,
            "page_obj": page,
            "filters": filters,
            "states": [("", _("Needed or requested")), *((s, State(s).label) for s in OUTSTANDING)],
            "back": query,
            "page_query": desk_query({**params.dict(), "page": ""}),
            "bulk": bulk or BulkMarkForm(),
            "may_bulk": any(row.can_change for row in rows),
            "chase_days": settings.RECORDS_FOLLOW_UP_DAYS,
            "methods": METHOD_CHOICES,
            "upload_accept": UploadReceivedForm.base_fields["file"].widget.attrs["accept"],
            "today": timezone.localdate(),
            "may_manage_facilities": may_manage_facilities(request.user),
            "errors": [error for row in (bound or {}).values() for error in row.errors]
            + ([str(e) for errors in bulk.errors.values() for e in errors] if bulk else []),
        }
        return render(request, "admin/records_desk.html", context, status=status)

    def _desk_row(self, request: HttpRequest, item: RecordItem, **bound: Any) -> DeskRow:
        prefix = f"item-{item.pk}"
        data = bound.get("data")
        files = bound.get("files")
        do = bound.get("do")
        return DeskRow(
            item=item,
            can_change=can_change_record_items(request.user, item.case),
            requested=MarkRequestedForm(data if do == "requested" else None, prefix=prefix),
            received=MarkReceivedForm(data if do == "received" else None, prefix=prefix),
            upload=UploadReceivedForm(
                data if do == "upload" else None,
                files if do == "upload" else None,
                prefix=f"{prefix}-upload",
            ),
        )

    def _back_to_desk(self, request: HttpRequest) -> HttpResponseRedirect:
        query = desk_query(QueryDict(request.POST.get("back", "")))
        return HttpResponseRedirect(reverse("admin:records_desk") + (f"?{query}" if query else ""))

    def desk_mark_view(self, request: HttpRequest, pk: int, change: str) -> HttpResponse:
        """Mark one item requested or received, or upload its file and mark it received."""
        if request.method != "POST":
            return HttpResponse(status=405)
        do = change
        if do not in {"requested", "received", "upload"}:
            raise Http404("No such desk action.")
        item = record_item_for_user(request.user, pk)
        row = self._desk_row(request, item, data=request.POST, files=request.FILES, do=do)
        form = {"requested": row.requested, "received": row.received, "upload": row.upload}[do]
        if form.is_valid():
            try:
                self._desk_act(request, item, do, form)
            except ValidationError as error:
                row.errors = list(error.messages)
            else:
                return self._back_to_desk(request)
        else:
            row.errors = [str(e) for errors in form.errors.values() for e in errors]
        back = QueryDict(request.POST.get("back", ""))
        return self._desk_page(request, back, bound={item.pk: row}, status=400)

    def _desk_act(self, request: HttpRequest, item: RecordItem, do: str, form: Any) -> None:
        name = f"{item.case.reference}, {item.get_kind_display()}"
        if do == "requested":
            record_item_mark_requested(
                item=item,
                method=form.cleaned_data["method"],
                on=form.day(),
                by=request.user,
                http_request=request,
            )
            messages.success(request, _("%(item)s: marked requested.") % {"item": name})
        elif do == "received":
            record_item_mark_received(
                item=item, on=form.day(), by=request.user, http_request=request
            )
            messages.success(request, _("%(item)s: marked received.") % {"item": name})
        else:
            document = record_item_receive_document(
                item=item,
                upload=form.cleaned_data["file"],
                content_type=form.content_type,
                on=form.day(),
                by=request.user,
                http_request=request,
            )
            messages.success(
                request,
                _("%(item)s: “%(file)s” uploaded and the item marked received.")
                % {"item": name, "file": document.original_name},
            )

    def desk_bulk_view(self, request: HttpRequest) -> HttpResponse:
        """Mark the checked rows requested (with a method) or received, all or none."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not may_use_records_desk(request.user):
            raise PermissionDenied
        form = BulkMarkForm(request.POST)
        back = QueryDict(request.POST.get("back", ""))
        if not form.is_valid():
            return self._desk_page(request, back, bulk=form, status=400)
        wanted = set(form.cleaned_data["items"])
        chosen = RecordItem.objects.filter(pk__in=wanted).select_related("case")
        found = list(chosen)
        if len(found) != len(wanted) or not all(
            can_change_record_items(request.user, item.case) for item in found
        ):
            raise PermissionDenied  # A row the user may not change (or none such) was sent.
        do = form.cleaned_data["do"]
        try:
            changed = record_items_mark(
                items=chosen,
                status=do,
                by=request.user,
                method=form.cleaned_data["method"] if do == State.REQUESTED else None,
                on=form.day(),
                http_request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self._desk_page(request, back, bulk=form, status=400)
        messages.success(
            request,
            _("%(n)d item(s) marked %(state)s.") % {"n": changed, "state": State(do).label.lower()},
        )
        return self._back_to_desk(request)


@admin.register(RecordItem)
class RecordItemAdmin(RecordsDeskMixin, ReferenceSearchMixin, StaffModelAdmin):
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

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "facility":
            # Offers the directory's names; any other name may still be typed.
            kwargs["widget"] = FacilityNameInput(attrs={"class": "vTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

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
