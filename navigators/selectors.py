"""Reads about staff that the services and jobs share."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet


def staff_with_role(role: str) -> QuerySet[AbstractBaseUser]:
    """Return the active members of a role (navigators.roles) who can be emailed."""
    return (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
