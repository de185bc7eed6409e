"""Template filters that ask navigators.access, so that no template reads a permission."""

from __future__ import annotations

from django import template
from django.contrib.auth.base_user import AbstractBaseUser

from navigators import access

register = template.Library()


@register.filter
def may_view_dashboard(user: AbstractBaseUser) -> bool:
    """Return whether the staff header links the dashboard for `user`."""
    return user.is_authenticated and access.can_view_dashboard(user)
