"""What the case pages show: the details page's sections, and the workspace's moves.

The moves are the actions the user may take on the case (take, book, status moves, assign),
with its target badge. Which sections a user sees is navigators.access's to say; this module
lays them out (the rest of the workspace is requests.admin.workspace's).
"""

from __future__ import annotations

from typing import Any

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
    can_read_audit_trail,
    can_reopen_case,
    can_take_case,
    can_transition_case,
    case_sections_for,
    is_supervisor,
)

from ..choices import BOOKABLE_STATUSES, CLOSING_STATUSES, Status, TargetState
from ..forms import AssignForm
from ..models import SecondOpinionRequest
from ..selectors import records_progress
from ..services.closing import CLOSE_MOVE_OF
from ..targets import days_left, target_colour, target_words

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
# Sections folded on the details page: looked up now and then, not worked from.
FOLDED_SECTIONS = frozenset({"requester", "consents"})


def case_panel_context(request: HttpRequest, case: SecondOpinionRequest) -> dict[str, Any]:
    """Return the workspace's header badge and the moves this user may make on the case."""
    user = request.user
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
        # The badge says the days left; the words say the risk (overdue says both).
        "case_shows_risk": target_counts_days(case) and case.target_state != TargetState.OVERDUE,
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
    }


def target_counts_days(case: SecondOpinionRequest) -> bool:
    """Return whether the days left to a case's target mean something: not once it is booked
    (its visit, not the calendar, decides the target), met, missed or closed."""
    return (
        case.is_open
        and case.status != Status.SCHEDULED
        and case.target_state not in {TargetState.MET, TargetState.MISSED}
    )


def target_badge(case: SecondOpinionRequest) -> str:
    """Return the coloured badge of a case's target: days left while it is open and not
    booked, else the visit's verdict (met, missed) in words (targets.target_words)."""
    return format_html(
        '<span class="so-badge badge-{}" title="{}">{}</span>',
        target_colour(case),
        _("Target: %(date)s") % {"date": date_format(case.target_date)},
        target_words(case),
    )
