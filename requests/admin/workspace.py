"""The case workspace: everything about a case on one page, at the case's change URL.

The page (`change_view`) reads the case with its work facts and records progress in one
query, then one query per part (notes, record items, appointments, documents, support tasks,
timeline), whatever their number. Its small forms post to views of their own (a contact
attempt, a note, a record item, a document), each calling one service; a refused post shows
the page again with the error next to its field. Editing the patient's details is the
separate details page, the admin's change form. Who sees and does what is navigators.access's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from navigators.access import (
    can_add_record_items,
    can_book_case,
    can_change_case,
    can_log_contact,
    can_upload_documents,
    can_view_documents,
    case_allows,
    case_sections_for,
    may_browse_cases,
    sees_case_notes,
    sees_record_items,
    sees_support_tasks,
)

from ..choices import ContactMethod
from ..forms import (
    CONTACT_CHANNELS,
    AppointmentMoveForm,
    ContactLogForm,
    DocumentUploadForm,
    NoteForm,
    RecordItemAddForm,
)
from ..models import Appointment, CaseNote, RecordItem, SecondOpinionRequest
from ..selectors import case_appointments, case_timeline, support_due_date, with_records_progress
from ..selectors.next_action import CONTACT_KINDS, case_next_action, with_work_facts, work_facts
from ..services import case_contact_log, case_note_add, document_store, record_item_save
from .audit import audit_case_view
from .case_page import case_panel_context

WORKSPACE_TEMPLATE = "admin/requests/case_workspace.html"
CONTACT_TEMPLATE = "admin/requests/_workspace_contact.html"
# The contact log's channel that opens first: the patient's preferred way to be reached.
PREFERRED_CHANNEL = {
    ContactMethod.PHONE: "call",
    ContactMethod.TEXT: "text",
    ContactMethod.EMAIL: "email",
}


def workspace_case(pk: Any) -> SecondOpinionRequest:
    """Return the case with what its workspace reads of it (one query), or raise Http404."""
    queryset: QuerySet[SecondOpinionRequest] = with_work_facts(
        with_records_progress(
            SecondOpinionRequest.objects.select_related("navigator__user", "referring_provider")
        )
    )
    try:
        return queryset.get(pk=int(pk))
    except (SecondOpinionRequest.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such case.") from error


def workspace_context(
    request: HttpRequest, case: SecondOpinionRequest, **forms: Any
) -> dict[str, Any]:
    """Return what the workspace shows this user of the case; `forms` replace the blank
    forms (a refused post shows its form again, with its errors)."""
    user = request.user
    sections = case_sections_for(user)
    can_change = can_change_case(user, case)
    sees_notes = sees_case_notes(user)
    appointments = case_appointments(case) if can_change or sees_notes else []
    notes = list(case.notes.select_related("author")) if sees_notes else []
    items = list(case.record_items.all()) if sees_record_items(user) else []
    tasks = list(case.support_tasks.select_related("owner")) if sees_support_tasks(user) else []
    may_upload = can_upload_documents(user, case)
    documents = []
    if can_view_documents(user, case):
        by_pk = {item.pk: item for item in items}
        documents = list(case.documents.cleared().order_by("-uploaded_at"))
        for document in documents:
            document.item = by_pk.get(document.record_item_id)
    may_log = can_log_contact(user, case)
    preferred = PREFERRED_CHANNEL.get(case.preferred_contact_method, "call")
    return {
        **case_panel_context(request, case),
        "title": _("Case %(ref)s") % {"ref": case.reference},
        "next_action": case_next_action(case, work_facts(case)),
        "sees_contact": "contact" in sections,
        "sees_diagnosis": "diagnosis" in sections,
        "sees_insurance": "insurance" in sections,
        "sees_requester": "requester" in sections,
        "sees_notes": sees_notes,
        "sees_record_items": sees_record_items(user),
        "sees_support_tasks": sees_support_tasks(user),
        "sees_documents": can_view_documents(user, case) or may_upload,
        "can_change": can_change,
        "can_log_contact": may_log,
        "can_add_record_items": can_add_record_items(user, case),
        "can_upload_documents": may_upload,
        "can_book": can_book_case(user, case),
        "contact_channels": [
            {"key": key, "label": label, "buttons": buttons, "open": key == preferred}
            for key, label, buttons in CONTACT_CHANNELS
        ]
        if may_log
        else [],
        "contact_form": forms.get("contact_form") or ContactLogForm(),
        "contact_attempts": [note for note in notes if note.kind in CONTACT_KINDS],
        "contact_status": forms.get("contact_status", ""),
        "note_form": forms.get("note_form") or NoteForm(),
        "notes": [note for note in notes if note.kind == CaseNote.Kind.NOTE],
        "record_items": items,
        "documents": documents,
        "upload_form": forms.get("upload_form") or DocumentUploadForm(items=items),
        "support_tasks": [(task, support_due_date(task)) for task in tasks],
        "appointments": appointments,
        "booked": [item for item in appointments if item.state == Appointment.State.BOOKED],
        "move_form": AppointmentMoveForm(),
        "timeline": case_timeline(case, appointments) if sees_notes else [],
    }


class CaseWorkspaceMixin:
    """The case page as a workspace, its details page and the posts of its small forms."""

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/details/", wrap(self.details_view), name="case_details"),
            path("<int:pk>/contact/", wrap(self.contact_view), name="case_contact"),
            path("<int:pk>/note/", wrap(self.note_view), name="case_note"),
            path("<int:pk>/records/add/", wrap(self.record_add_view), name="case_record_add"),
            path("<int:pk>/documents/add/", wrap(self.document_add_view), name="case_document_add"),
            *super().get_urls(),
        ]

    # --- The page --------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Show the workspace. Nothing posts here: details are changed on their own page."""
        case = workspace_case(object_id)
        if not case_allows(request.user, case, "view"):
            raise PermissionDenied
        if request.method not in {"GET", "HEAD"}:
            if not can_change_case(request.user, case):
                raise PermissionDenied
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        audit_case_view(request, case)
        return self.workspace_response(request, case)

    def workspace_response(
        self, request: HttpRequest, case: SecondOpinionRequest, status: int = 200, **forms: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            **workspace_context(request, case, **forms),
        }
        return TemplateResponse(request, WORKSPACE_TEMPLATE, context, status=status)

    def details_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Show and save the patient's details: the admin's change form, its fieldsets and
        read-only rules (cases.py), saved through case_details_update."""
        response = super().change_view(request, str(pk))
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            case = getattr(response, "context_data", {}).get("original")
            if case is not None:
                audit_case_view(request, case)
        return response

    def response_post_save_change(self, request: HttpRequest, obj: Any) -> HttpResponseRedirect:
        return _back(obj)

    # --- The small forms -------------------------------------------------------------------

    def contact_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Log one contact attempt: the outcome button pressed, and an optional note."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        case = self._case_to_work(request, pk)
        form = ContactLogForm(request.POST)
        if form.is_valid():
            try:
                attempt = case_contact_log(
                    case=case,
                    kind=form.kind,
                    outcome=form.outcome,
                    note=form.cleaned_data["note"],
                    by=request.user,
                    http_request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                done = _("Logged: %(kind)s, %(outcome)s.") % {
                    "kind": attempt.get_kind_display().lower(),
                    "outcome": attempt.get_outcome_display().lower(),
                }
                if request.htmx:
                    return self._contact_part(request, pk, contact_status=done)
                messages.success(request, done)
                return _back(case)
        if request.htmx:
            # htmx swaps in only a 2xx answer: the refusal is shown in the log, in place.
            return self._contact_part(request, pk, contact_form=form)
        return self.workspace_response(request, workspace_case(pk), 400, contact_form=form)

    def _contact_part(
        self, request: HttpRequest, pk: int, status: int = 200, **forms: Any
    ) -> TemplateResponse:
        """Return the contact log alone (and the next action, which it may change), for
        htmx to swap in place."""
        context = workspace_context(request, workspace_case(pk), **forms)
        context["swap_next_action"] = True
        return TemplateResponse(request, CONTACT_TEMPLATE, context, status=status)

    def note_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        case = self._case_to_work(request, pk)
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                case_note_add(
                    case=case,
                    body=form.cleaned_data["body"],
                    by=request.user,
                    http_request=request,
                )
            except ValidationError as error:
                form.add_error("body", error)
            else:
                messages.success(request, _("Note added."))
                return _back(case)
        return self.workspace_response(request, workspace_case(pk), 400, note_form=form)

    def document_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Upload a document to the case: checked and scanned by validate_upload, stored by
        document_store; a refused file is named next to the field."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        case = workspace_case(pk)
        if not can_upload_documents(request.user, case):
            raise PermissionDenied
        items = list(case.record_items.all())
        form = DocumentUploadForm(request.POST, request.FILES, items=items)
        if form.is_valid():
            document_store(
                case=case,
                upload=form.cleaned_data["file"],
                content_type=form.content_type,
                by=request.user,
                record_item=form.cleaned_data["record_item"],
                http_request=request,
            )
            messages.success(request, _("Document uploaded."))
            return _back(case)
        return self.workspace_response(request, case, 400, upload_form=form)

    def record_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """List one more outside record to obtain for the case (record_item_save)."""
        case = workspace_case(pk)
        if not can_add_record_items(request.user, case):
            raise PermissionDenied
        form = RecordItemAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            item: RecordItem = form.save(commit=False)
            item.case = case
            record_item_save(item=item, by=request.user, http_request=request)
            messages.success(
                request,
                _("%(kind)s from %(facility)s added.")
                % {"kind": item.get_kind_display(), "facility": item.facility},
            )
            if may_browse_cases(request.user):
                return _back(case)
            return HttpResponseRedirect(reverse("admin:requests_recorditem_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Add a record item to %(ref)s") % {"ref": case.reference},
            "case": case,
            "form": form,
            "back_url": reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
            if may_browse_cases(request.user)
            else reverse("admin:requests_recorditem_changelist"),
        }
        return TemplateResponse(
            request,
            "admin/requests/record_add.html",
            context,
            status=400 if form.errors else 200,
        )

    def _case_to_work(self, request: HttpRequest, pk: int) -> SecondOpinionRequest:
        """Return the case for a post of the contact log or the notes, or refuse."""
        case = workspace_case(pk)
        if not can_log_contact(request.user, case):
            raise PermissionDenied
        return case


def _back(case: SecondOpinionRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    )
