"""Who may do what with a case: one place for the admin, the views and the downloads."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest

from requests.models import SecondOpinionRequest

from .models import Navigator
from .roles import PATIENT_ADVOCATES, RECORDS_STAFF


def navigator_of(user: AbstractBaseUser) -> Navigator | None:
    """Return the user's navigator profile, or None for staff who do not navigate."""
    try:
        return user.navigator
    except (Navigator.DoesNotExist, AttributeError):
        return None


def is_supervisor(user: AbstractBaseUser) -> bool:
    """Return whether the user assigns and reassigns cases (supervisors, superusers)."""
    return user.is_active and user.has_perm("requests.assign_case")


def can_change_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may work a case: supervisors any, navigators their own."""
    if not (user.is_active and user.has_perm("requests.change_secondopinionrequest")):
        return False
    if is_supervisor(user):
        return True
    navigator = navigator_of(user)
    return navigator is not None and case.navigator_id == navigator.pk


def can_take_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may take this case for themself (an open, unassigned one)."""
    return (
        user.is_active
        and user.has_perm("requests.take_case")
        and navigator_of(user) is not None
        and case.navigator_id is None
        and case.is_open
    )


def can_transition_case(user: AbstractBaseUser, case: SecondOpinionRequest) -> bool:
    """Return whether the user may move the case along its lifecycle."""
    return user.has_perm("requests.transition_case") and can_change_case(user, case)


# Which parts of a case each role sees (DESIGN.md: "Staff see what their role needs").
CASE_SECTIONS_ALL = frozenset(
    {
        "referral",
        "case",
        "identity",
        "contact",
        "requester",
        "cancer_type",
        "diagnosis",
        "insurance",
        "support",
        "consents",
    }
)
_ROLE_SECTIONS = {
    RECORDS_STAFF: frozenset({"case", "identity", "cancer_type", "consents"}),
    PATIENT_ADVOCATES: frozenset(
        {"case", "identity", "contact", "requester", "insurance", "support", "consents"}
    ),
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


def _role_names(user: AbstractBaseUser) -> frozenset[str]:
    """Return the names of the user's groups, read once per request like its permissions."""
    names = getattr(user, "_role_names", None)
    if names is None:
        names = user._role_names = frozenset(user.groups.values_list("name", flat=True))
    return names


def sees_case_notes(user: AbstractBaseUser) -> bool:
    """Return whether the user may read the navigators' notes (records staff may not)."""
    return user.has_perm("requests.view_casenote")


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
    return queryset.filter(request__navigator=navigator)


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
