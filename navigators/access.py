"""Who may do what: the one module that compares permissions and roles.

The admin (every ModelAdmin's permissions, columns, filters, search, inlines and actions), the
staff views, the downloads and the jobs ask the functions below; no other module reads a
permission, a group or `is_superuser` (tests/project_tests/test_access_module.py holds it to
that). Where a page works on one case, `case_for_user` loads it and checks in one call, as
Healthchecks' `_get_check_for_user` does.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any, Literal

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.db.models.options import Options
from django.http import Http404, HttpRequest
from django.urls import reverse

from requests.choices import REOPENABLE_STATUSES
from requests.models import Document, SecondOpinionRequest

from .models import Navigator
from .roles import (
    DEFAULT_LANDING,
    PATIENT_ADVOCATES,
    RECORDS_STAFF,
    ROLE_LANDING,
    SUPERUSER_LANDING,
)

CaseAction = Literal["view", "change", "transition", "assign", "take", "book"]
ModelAction = Literal["view", "add", "change", "delete"]


def navigator_of(user: AbstractBaseUser) -> Navigator | None:
    """Return the user's navigator profile, or None for staff who do not navigate."""
    try:
        return user.navigator
    except (Navigator.DoesNotExist, AttributeError):
        return None


def staff_with_role(role: str) -> QuerySet[AbstractBaseUser]:
    """Return the active members of a role (navigators.roles) who can be emailed."""
    return (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


# --- Models in the admin -------------------------------------------------------------------


def may_use_model(user: AbstractBaseUser, opts: Options, action: ModelAction) -> bool:
    """Return whether the user holds the model permission behind an admin page.

    The role's permissions (navigators.roles) say which lists and pages a role opens; the
    functions below narrow that to the case and the fields.
    """
    return user.is_active and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


def may_use_app(user: AbstractBaseUser, app_label: str) -> bool:
    """Return whether the admin index shows the app to the user."""
    return user.is_active and user.has_module_perms(app_label)


# --- Cases ---------------------------------------------------------------------------------


def is_supervisor(user: AbstractBaseUser) -> bool:
    """Return whether the user assigns and reassigns cases (supervisors, superusers)."""
    return user.is_active and user.has_perm("requests.assign_case")


def may_browse_cases(user: AbstractBaseUser) -> bool:
    """Return whether the user opens the case list and case pages.

    Navigators and supervisors do. Records staff and advocates do not (roles.py): they reach
    a case only through their own work lists, which show what their work needs of it.
    """
    return may_use_model(user, SecondOpinionRequest._meta, "view")


def can_change_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may work a case: supervisors any, navigators their own."""
    if not (user.is_active and user.has_perm("requests.change_secondopinionrequest")):
        return False
    if is_supervisor(user):
        return True
    navigator = navigator_of(user)
    return navigator is not None and case.navigator_id == navigator.pk


def may_take_cases(user: AbstractBaseUser) -> bool:
    """Return whether the user takes unassigned cases for themself (navigators)."""
    return user.is_active and user.has_perm("requests.take_case") and navigator_of(user) is not None


def can_take_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may take this case for themself (an open, unassigned one)."""
    return may_take_cases(user) and case.navigator_id is None and case.is_open


def can_transition_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may move the case along its lifecycle."""
    return user.has_perm("requests.transition_case") and can_change_case(user, case)


def can_assign_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may (re)assign this case: supervisors, while it is open."""
    return is_supervisor(user) and case.is_open


def can_book_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may book, move or cancel the case's appointments."""
    return can_change_case(user, case)


def case_allows(user: AbstractBaseUser, case: SecondOpinionRequest, action: CaseAction) -> bool:
    """Return whether the user may do `action` with the case."""
    if action == "view":
        return may_browse_cases(user)
    if action == "change":
        return can_change_case(user, case)
    if action == "transition":
        return can_transition_case(user, case)
    if action == "assign":
        return is_supervisor(user)
    if action == "take":
        return can_take_case(user, case)
    return can_book_case(user, case)


def case_for_user(
    user: AbstractBaseUser, case_id: int | str, *, action: CaseAction
) -> SecondOpinionRequest:
    """Return the case if the user may do `action` with it.

    Raise Http404 when there is no such case and PermissionDenied when the user may not.
    """
    try:
        case = SecondOpinionRequest.objects.get(pk=int(case_id))
    except (SecondOpinionRequest.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such case.") from error
    if not case_allows(user, case, action):
        raise PermissionDenied
    return case


# Which parts of a case each role sees (DESIGN.md: "Staff see what their role needs"), and
# the fields of each part: the case page, every list's columns, filters and search, and the
# work lists' panels follow these.
CASE_SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "case": (
        "reference",
        "status",
        "navigator",
        "submitted_at",
        "target_date",
        "target_state",
        "closed_at",
        "decline_reason",
    ),
    "identity": ("first_name", "last_name", "date_of_birth"),
    "contact": (
        "email",
        "phone",
        "preferred_contact_method",
        "preferred_contact_time",
        "preferred_language",
        "other_language",
        "interpreter_needed",
        "city",
        "state",
        "zip_code",
    ),
    "requester": (
        "requester_type",
        "requester_first_name",
        "requester_last_name",
        "requester_relationship",
        "requester_email",
        "requester_phone",
    ),
    "cancer_type": ("cancer_type",),
    "diagnosis": (
        "diagnosis_date",
        "treatments",
        "treatments_display",
        "current_oncologist",
        "current_facility",
        "questions",
    ),
    "insurance": (
        "insurance_carrier",
        "insurance_member_id",
        "coverage_checked",
        "insurance_outcome",
    ),
    "referral": ("referring_provider", "referral_email", "referral_reason", "referral_urgent"),
    "support": ("needs_records_help", "needs_travel", "needs_lodging", "needs_financial"),
    "consents": ("consent_contact_at", "consent_records_at", "privacy_acknowledged_at"),
}
CASE_SECTIONS_ALL = frozenset(CASE_SECTION_FIELDS)
_ROLE_SECTIONS = {
    RECORDS_STAFF: frozenset({"case", "identity", "cancer_type", "consents"}),
    PATIENT_ADVOCATES: frozenset(
        {"case", "identity", "contact", "requester", "insurance", "support", "consents"}
    ),
}
_SECTION_OF_FIELD = {
    name: section for section, names in CASE_SECTION_FIELDS.items() for name in names
}


def case_sections_for(user: AbstractBaseUser) -> frozenset[str]:
    """Return the parts of a case the user may see: navigators and supervisors see all."""
    if user.has_perm("requests.change_secondopinionrequest"):
        return CASE_SECTIONS_ALL
    names = _role_names(user)
    sections: set[str] = set()
    for role, allowed in _ROLE_SECTIONS.items():
        if role in names:
            sections |= allowed
    return frozenset(sections)


def may_see_case_field(user: AbstractBaseUser, name: str) -> bool:
    """Return whether the user may see (list, filter, search) a case field or a lookup on it.

    A case field outside every section (the workflow's own bookkeeping: first appointment,
    plan dates, anonymisation) is for those who see all sections.
    """
    field = name.split("__", 1)[0]
    section = _SECTION_OF_FIELD.get(field)
    sections = case_sections_for(user)
    if section is None:
        return sections == CASE_SECTIONS_ALL
    return section in sections


def _role_names(user: AbstractBaseUser) -> frozenset[str]:
    """Return the names of the user's groups, read once per request like its permissions."""
    names = getattr(user, "_role_names", None)
    if names is None:
        names = user._role_names = frozenset(user.groups.values_list("name", flat=True))
    return names


def sees_case_notes(user: AbstractBaseUser) -> bool:
    """Return whether the user may read the navigators' notes (records staff may not)."""
    return user.has_perm("requests.view_casenote")


def can_read_audit_trail(user: AbstractBaseUser) -> bool:
    """Return whether the user reads the audit trail (supervisors)."""
    return user.is_active and user.has_perm("requests.view_auditevent")


# --- Documents -----------------------------------------------------------------------------


def can_view_documents(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may download a case's documents.

    Supervisors and records staff (who obtain the records) may; a navigator only on their own
    cases; advocates never (their work needs no clinical documents).
    """
    if not (user.is_active and user.is_staff and user.has_perm("requests.view_document")):
        return False
    if is_supervisor(user):
        return True
    navigator = navigator_of(user)
    if navigator is not None:
        return case.navigator_id == navigator.pk
    return user.has_perm("requests.change_recorditem")


def can_upload_documents(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may upload a document to the case from its page."""
    return can_change_case(user, case) and user.has_perm("requests.add_document")


def document_for_user(user: AbstractBaseUser, public_id: uuid.UUID) -> Document:
    """Return the document if the user may download it; Http404 or PermissionDenied if not.

    Only a document cleared by the virus scan exists for staff: one pending or infected is a
    404 for every role.
    """
    try:
        document = Document.objects.cleared().select_related("case").get(public_id=public_id)
    except Document.DoesNotExist as error:
        raise Http404("No such document.") from error
    if not can_view_documents(user, document.case):
        raise PermissionDenied
    return document


# --- Record items --------------------------------------------------------------------------


def can_change_record_items(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may change a case's record items.

    Records staff and supervisors on any case; a navigator on their own cases only.
    """
    if not (user.is_active and user.has_perm("requests.change_recorditem")):
        return False
    navigator = navigator_of(user)
    if navigator is None or is_supervisor(user):
        return True
    return case.navigator_id == navigator.pk


def record_items_visible_to(user: AbstractBaseUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Narrow a queryset of record items to those the user works (one rule with the above)."""
    navigator = navigator_of(user)
    if navigator is None or is_supervisor(user):
        return queryset
    return queryset.filter(case__navigator=navigator)


def sees_record_items(user: AbstractBaseUser) -> bool:
    """Return whether the user reads record items (records staff and the case workers)."""
    return user.is_active and user.has_perm("requests.view_recorditem")


# --- Support tasks, the outbox, the dashboard ----------------------------------------------


def can_change_support_task(user: AbstractBaseUser, task: Model | None = None) -> bool:
    """Return whether the user changes support tasks (advocates and supervisors)."""
    return user.is_active and user.has_perm("requests.change_supporttask")


def can_resend_emails(user: AbstractBaseUser) -> bool:
    """Return whether the user may queue failed emails again from the outbox (supervisors)."""
    return user.is_active and user.has_perm("requests.change_notification")


def can_view_dashboard(user: AbstractBaseUser) -> bool:
    """Return whether the user sees the program dashboard and exports its figures."""
    return user.is_active and user.has_perm("requests.view_dashboard")


def require_dashboard(user: AbstractBaseUser) -> None:
    """Refuse (PermissionDenied) a user who may not see the dashboard or its export."""
    if not can_view_dashboard(user):
        raise PermissionDenied


# Second-factor devices: who may sign in to the staff site, who sees the device list, who may
# reset whose device.
def can_sign_in_to_staff_site(user: AbstractBaseUser) -> bool:
    """Return whether the account may sign in to the staff pages at all (active staff)."""
    return user.is_active and user.is_staff


def can_view_second_factors(user: AbstractBaseUser) -> bool:
    """Return whether the user may see the list of devices (never their keys): supervisors."""
    return user.is_active and user.has_perm("otp_totp.view_totpdevice")


def can_reset_second_factor(user: AbstractBaseUser, person: AbstractBaseUser) -> bool:
    """Return whether the user may reset `person`'s second factor (forcing re-enrolment).

    Supervisors, for someone else: a reset lets whoever knows the person's password enrol a
    new device, so it is a colleague's check that the person asking is who they say (nobody
    resets their own), and only a superuser resets a superuser's.
    """
    return (
        can_view_second_factors(user)
        and is_supervisor(user)
        and person.pk != user.pk
        and (user.is_superuser or not person.is_superuser)
    )


# Operations: who may read the health check's details.
def can_see_health_details(request: HttpRequest) -> bool:
    """Return whether a request may read /health/'s details (checks, outbox counts).

    A staff session the admin site lets in (verified by a second factor when MFA is
    required), or a monitor sending `Authorization: Bearer <HEALTH_TOKEN>` when that setting
    is set. Everyone else learns only whether the portal is up.
    """
    token = settings.HEALTH_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return admin.site.has_permission(request)


# --- Closing and reopening a case (withdraw, decline, reopen) ------------------------------


def can_close_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may withdraw or decline the case: whoever moves it along its
    lifecycle, while it is open."""
    return can_transition_case(user, case) and case.is_open


def can_reopen_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may reopen a withdrawn or declined case: supervisors only, a
    colleague's check on a case someone closed (its anonymised data cannot come back)."""
    return is_supervisor(user) and case.status in REOPENABLE_STATUSES and case.anonymised_at is None


def case_to_reopen(user: AbstractBaseUser, case_id: int | str) -> SecondOpinionRequest:
    """Return the case if the user reopens cases (supervisors); Http404 or PermissionDenied
    if not. Whether this case can be reopened now is services.case_reopen's to say."""
    case = case_for_user(user, case_id, action="view")
    if not is_supervisor(user):
        raise PermissionDenied
    return case


# --- The case workspace --------------------------------------------------------------------


def can_log_contact(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may log contact attempts and notes on the case: those who
    work it (supervisors, its navigator)."""
    return can_change_case(user, case) and user.has_perm("requests.add_casenote")


def can_add_record_items(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may list a new outside record to obtain for the case."""
    return can_change_record_items(user, case) and user.has_perm("requests.add_recorditem")


def sees_support_tasks(user: AbstractBaseUser) -> bool:
    """Return whether the user reads a case's support tasks (case workers, advocates)."""
    return user.is_active and user.has_perm("requests.view_supporttask")


# --- Landing pages, the navigator's day, the team ------------------------------------------


def landing_page(user: AbstractBaseUser) -> str:
    """Return the URL of the page the user starts on (after signing in, and on the admin index).

    Superusers and supervisors start on the team, navigators on their day's work, records
    staff and advocates on their work lists (roles.ROLE_LANDING); anyone else on the admin's
    index of pages. Never the admin index itself, which sends here.
    """
    if user.is_active and user.is_superuser:
        return reverse(SUPERUSER_LANDING)
    if user.is_active:
        names = _role_names(user)
        for role, url_name in ROLE_LANDING.items():
            if role in names:
                return reverse(url_name)
    return reverse(DEFAULT_LANDING)


def may_open_today(user: AbstractBaseUser) -> bool:
    """Return whether the user opens a Today page: navigators and supervisors, who work cases."""
    return user.is_active and may_browse_cases(user)


def today_navigator_for(user: AbstractBaseUser, navigator_id: str | None) -> Navigator | None:
    """Return the navigator whose Today the user opens: their own (None if they navigate
    nothing), or for a supervisor the navigator asked for.

    A navigator sees only their own day: asking for another's is refused (PermissionDenied),
    as is the page for records staff and advocates; Http404 when no such navigator.
    """
    if not may_open_today(user):
        raise PermissionDenied
    own = navigator_of(user)
    if not navigator_id:
        return own
    try:
        wanted = int(navigator_id)
    except (TypeError, ValueError) as error:
        raise Http404("No such navigator.") from error
    if own is not None and own.pk == wanted:
        return own
    if not is_supervisor(user):
        raise PermissionDenied
    try:
        return Navigator.objects.select_related("user").get(pk=wanted)
    except Navigator.DoesNotExist as error:
        raise Http404("No such navigator.") from error


def takes_for_today(user: AbstractBaseUser, navigator: Navigator | None) -> bool:
    """Return whether the Today page of `navigator` offers the user "Take" on the queue: only
    on their own day (taking a case is always for oneself)."""
    return navigator is not None and may_take_cases(user) and navigator_of(user) == navigator


def may_open_team(user: AbstractBaseUser) -> bool:
    """Return whether the user opens the team page (supervisors, superusers)."""
    return is_supervisor(user)


def require_team(user: AbstractBaseUser) -> None:
    """Refuse (PermissionDenied) a user who may not open the team page."""
    if not may_open_team(user):
        raise PermissionDenied


# --- The records desk and the support desk -------------------------------------------------


def may_use_records_desk(user: AbstractBaseUser) -> bool:
    """Return whether the user opens the records desk: records staff, who work it, and
    navigators and supervisors, who read it (each marks only the items they may change)."""
    return sees_record_items(user)


def record_item_for_user(user: AbstractBaseUser, item_id: int | str) -> Any:
    """Return the record item (with its case) if the user may change it.

    Raise Http404 when there is no such item and PermissionDenied when the user may not
    change it (another navigator's, or a role that does not work items).
    """
    from requests.models import RecordItem

    try:
        item = RecordItem.objects.select_related("case", "facility_ref").get(pk=int(item_id))
    except (RecordItem.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such record item.") from error
    if not can_change_record_items(user, item.case):
        raise PermissionDenied
    return item


def may_manage_facilities(user: AbstractBaseUser) -> bool:
    """Return whether the user adds and changes entries of the facility directory."""
    return user.is_active and user.has_perm("requests.change_facility")


def may_use_support_desk(user: AbstractBaseUser) -> bool:
    """Return whether the user opens the support desk: advocates and supervisors."""
    return can_change_support_task(user)


def is_patient_advocate(user: AbstractBaseUser) -> bool:
    """Return whether the user is a patient advocate (who may own support tasks)."""
    return user.is_active and PATIENT_ADVOCATES in _role_names(user)


def support_task_owners() -> QuerySet[AbstractBaseUser]:
    """Return the people a support task may be given to: the active patient advocates."""
    return (
        get_user_model()
        .objects.filter(groups__name=PATIENT_ADVOCATES, is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def can_take_support_task(user: AbstractBaseUser, task: Any) -> bool:
    """Return whether the user may take this task for themself: an advocate, an open task
    that nobody owns yet."""
    return (
        can_change_support_task(user, task)
        and is_patient_advocate(user)
        and task.owner_id is None
        and task.is_open
    )


def support_task_for_user(user: AbstractBaseUser, task_id: int | str) -> Any:
    """Return the support task (with its case) if the user may change it; Http404 when there
    is no such task, PermissionDenied when the user may not change tasks."""
    from requests.models import SupportTask

    if not may_use_support_desk(user):
        raise PermissionDenied
    try:
        return SupportTask.objects.select_related("case", "owner").get(pk=int(task_id))
    except (SupportTask.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such support task.") from error
