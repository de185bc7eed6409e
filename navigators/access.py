"""Who may do what with a case: one place for the admin, the views and the downloads."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from requests.models import SecondOpinionRequest

from .models import Navigator


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
