"""Reads about staff that the services and jobs share."""

from __future__ import annotations

from .access import staff_with_role

__all__ = ["staff_with_role"]
