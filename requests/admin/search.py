"""Searching the staff lists by case reference."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import normalise_reference


class ReferenceSearchMixin:
    """Find a case's rows by its reference, however it was typed, through the unique index.

    A reference read over the phone is typed every which way (k7m4 9qxp, K7M49QXP); any other
    term searches `search_fields`. A reference is not one of them: an `=reference` search
    compares upper-cased text, which no index serves, and joined by OR to the name searches
    it would keep their trigram indexes from being used.
    """

    reference_lookup = "reference"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        normalised = normalise_reference(search_term)
        if len(normalised) == 9 and normalised[4] == "-":
            return queryset.filter(**{self.reference_lookup: normalised}), False
        return super().get_search_results(request, queryset, search_term)
