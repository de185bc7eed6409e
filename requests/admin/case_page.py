"""What the case page shows: its sections, the parts below them, and the panel above them.

The panel is the case's target badge, the actions the user may take on it (moves, assignment,
booking) and its timeline. Which sections and parts a user sees is navigators.access's to say;
this module lays them out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from navigators.access import (
    CASE_SECTION_FIELDS,
    can_assign_case,
    can_book_case,
    can_change_case,
    can_read_audit_trail,
    can_reopen_case,
    can_take_case,
    can_transition_case,
    case_sections_for,
    is_supervisor,
    sees_case_notes,
)
from secondopinion.staff_admin import StaffInlineMixin

from ..choices import BOOKABLE_STATUSES, CLOSING_STATUSES, Status
from ..forms import AssignForm
from ..models import Appointment, CaseNote, SecondOpinionRequest
from ..selectors import case_appointments, case_timeline, records_progress
from ..services.closing import CLOSE_MOVE_OF
from ..targets import days_left, target_colour, target_words
from .records import DocumentInline, DocumentUploadInline, RecordItemInline
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


def case_panel_context(request: HttpRequest, case: SecondOpinionRequest) -> dict[str, Any]:
    """Return what the panel above the case page's fields shows to this user."""
    user = request.user
    can_change = can_change_case(user, case)
    appointments = case_appointments(case) if can_change or sees_case_notes(user) else []
    records = records_progress(case)
    transitions, close_moves = [], []
    if can_transition_case(user, case):
        for status in case.manual_moves(outstanding=records.outstanding):
            if status in CLOSING_STATUSES:
                close_moves.append((CLOSE_MOVE_OF[status], Status(status).label))
            else:
                transitions.append((status, Status(status).label))
    sections = case_sections_for(user)
    return {
        "case": case,
        "case_badge": target_badge(case),
        "case_days_left": days_left(case.target_date),
        "case_target_words": target_words(case),
        # The moves of _case_moves.html: buttons, links to the close pages, and reopen.
        "case_transitions": transitions,
        "case_close_moves": close_moves,
        "case_can_reopen": can_reopen_case(user, case),
        "case_can_book": can_book_case(user, case) and case.status in BOOKABLE_STATUSES,
        "case_can_take": can_take_case(user, case),
        "case_can_assign": can_assign_case(user, case),
        "assign_form": AssignForm() if is_supervisor(user) else None,
        "case_sees_contact": "contact" in sections,
        "case_sees_cancer_type": "cancer_type" in sections,
        "case_records": records,
        # The case's audit trail is a page of its own: a list that only grows.
        "case_audit_url": (
            reverse("admin:requests_auditevent_changelist")
            + "?"
            + urlencode({"case__id__exact": case.pk})
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


def target_badge(case: SecondOpinionRequest) -> str:
    """Return the coloured badge of a case's target: days left while it is open and not
    booked, else the visit's verdict (met, missed) in words (targets.target_words)."""
    return format_html(
        '<span class="so-badge badge-{}" title="{}">{}</span>',
        target_colour(case),
        _("Target: %(date)s") % {"date": date_format(case.target_date)},
        target_words(case),
    )
