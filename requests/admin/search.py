"""Searching the staff lists by case reference."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ..models import REFERENCE_ALPHABET, REFERENCE_LENGTH, normalise_reference

PARTIAL_REFERENCE_MIN = 4


class ReferenceSearchMixin:
    """Find a case's rows by its reference, however it was typed, through the unique index.

    A reference read over the phone is typed every which way (k7m4 9qxp, K7M49QXP); any other
    term searches `search_fields`. A reference is not one of them: an `=reference` search
    compares upper-cased text, which no index serves, and joined by OR to the name searches
    it would keep their trigram indexes from being used.

    A fragment of 4 to 7 reference characters finds the references starting with it, or, for
    4 characters, either of whose groups it is: `9qxp` finds K7M4-9QXP. A trigram index on the
    reference serves a group (migration 0014), the pattern-ops B-tree index Django
    makes for a unique CharField a longer start. With a digit or a dash it is nothing else (names
    have neither); letters only may also be a name, so the name search is added to it.
    """

    reference_lookup = "reference"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        normalised = normalise_reference(search_term)
        if len(normalised) == 9 and normalised[4] == "-":
            return queryset.filter(**{self.reference_lookup: normalised}), False
        fragment = partial_reference(search_term)
        if fragment is None:
            return super().get_search_results(request, queryset, search_term)
        by_reference = queryset.filter(self._partial_reference_q(fragment))
        if "-" in search_term or any(ch.isdigit() for ch in fragment):
            return by_reference, False
        by_name, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return by_name | by_reference, may_have_duplicates

    def _partial_reference_q(self, fragment: str) -> Q:
        starts = Q(**{f"{self.reference_lookup}__startswith": fragment})
        if len(fragment) == PARTIAL_REFERENCE_MIN:
            return starts | Q(**{f"{self.reference_lookup}__endswith": f"-{fragment}"})
        return starts


def partial_reference(term: str) -> str | None:
    """Return the stored form of a typed reference fragment (`k7m4 9q` gives `K7M4-9Q`), or
    None when the term is no fragment: too short or long, or a character outside the
    reference alphabet other than a space or a dash."""
    stripped = term.strip()
    chars = "".join(ch for ch in stripped.upper() if ch.isalnum())
    if not PARTIAL_REFERENCE_MIN <= len(chars) < REFERENCE_LENGTH:
        return None
    if any(ch not in REFERENCE_ALPHABET for ch in chars):
        return None
    if any(not ch.isalnum() and ch not in "- " for ch in stripped):
        return None
    return f"{chars[:4]}-{chars[4:]}" if len(chars) > PARTIAL_REFERENCE_MIN else chars
