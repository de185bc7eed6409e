"""Reads about staff that the services, jobs and staff pages share: who is in a role, each
navigator's load (the team page), and how well each navigator fits a case (the reassign
picker)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext as _

from requests.choices import DiseaseGroup, Language, TargetState
from requests.models import OPEN_STATUSES, SecondOpinionRequest

from .access import staff_with_role
from .models import Navigator


def _with_load(queryset: QuerySet[Navigator]) -> QuerySet[Navigator]:
    """Annotate navigators with their open, at-risk and overdue cases (one query).

    The join is limited to open cases in its ON clause, so that it reads them through the
    (navigator, status, target_date) index and never a navigator's closed cases, which only
    grow.
    """
    return queryset.annotate(
        open_case=FilteredRelation("cases", condition=Q(cases__status__in=OPEN_STATUSES))
    ).annotate(
        open_cases=Count("open_case"),
        at_risk_cases=Count("open_case", filter=Q(open_case__target_state=TargetState.AT_RISK)),
        overdue_cases=Count("open_case", filter=Q(open_case__target_state=TargetState.OVERDUE)),
    )


def capacity_words(open_cases: int, capacity: int) -> str:
    """Return a navigator's load against capacity in words, overload named."""
    if open_cases > capacity:
        return _("Over capacity: %(open)d open cases for a capacity of %(capacity)d") % {
            "open": open_cases,
            "capacity": capacity,
        }
    if open_cases == capacity:
        return _("Full: %(open)d of %(capacity)d") % {"open": open_cases, "capacity": capacity}
    return _("%(open)d of %(capacity)d") % {"open": open_cases, "capacity": capacity}


def language_labels(codes: list[str]) -> list[str]:
    labels = dict(Language.choices)
    return [str(labels.get(code, code)) for code in codes]


def group_labels(codes: list[str]) -> list[str]:
    labels = dict(DiseaseGroup.choices)
    return [str(labels.get(code, code)) for code in codes]


# --- The team page -------------------------------------------------------------------------


@dataclass(frozen=True)
class NavigatorLoad:
    navigator: Navigator
    open_cases: int
    at_risk: int
    overdue: int
    capacity_words: str
    over_capacity: bool
    full: bool


@dataclass(frozen=True)
class TeamLoad:
    navigators: list[NavigatorLoad]
    unassigned: int
    at_risk: int  # open cases at risk, assigned or not
    overdue: int


def team_load() -> TeamLoad:
    """Return each active navigator's open cases against capacity, and the program's open
    cases unassigned, at risk and overdue: two queries."""
    navigators = _with_load(
        Navigator.objects.filter(user__is_active=True).select_related("user")
    ).order_by("user__first_name", "user__last_name", "pk")
    rows = [
        NavigatorLoad(
            navigator=navigator,
            open_cases=navigator.open_cases,
            at_risk=navigator.at_risk_cases,
            overdue=navigator.overdue_cases,
            capacity_words=capacity_words(navigator.open_cases, navigator.capacity),
            over_capacity=navigator.open_cases > navigator.capacity,
            full=navigator.open_cases >= navigator.capacity,
        )
        for navigator in navigators
    ]
    totals = SecondOpinionRequest.objects.filter(status__in=OPEN_STATUSES).aggregate(
        unassigned=Count("pk", filter=Q(navigator__isnull=True)),
        at_risk=Count("pk", filter=Q(target_state=TargetState.AT_RISK)),
        overdue=Count("pk", filter=Q(target_state=TargetState.OVERDUE)),
    )
    return TeamLoad(navigators=rows, **totals)


# --- The reassign picker -------------------------------------------------------------------


@dataclass(frozen=True)
class NavigatorFit:
    """How well a navigator fits a case: what they offer, and the warnings, in words."""

    navigator: Navigator
    open_cases: int
    capacity_words: str
    languages: list[str]
    disease_groups: list[str]
    is_current: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.warnings


def _language_warning(navigator: Navigator, case: SecondOpinionRequest) -> str:
    """Return the language mismatch in words, or "" when the navigator speaks the patient's
    preferred language."""
    if case.preferred_language == Language.OTHER:
        language = case.other_language or _("a language the form does not list")
        if case.interpreter_needed:
            return ""  # Nobody on the team speaks it: the interpreter is the plan.
        return _("The patient prefers %(language)s and no interpreter is noted: arrange one.") % {
            "language": language
        }
    if case.preferred_language in navigator.languages:
        return ""
    language = str(Language(case.preferred_language).label)
    if case.interpreter_needed:
        return _(
            "Does not speak %(language)s: every call needs the interpreter the patient asked for."
        ) % {"language": language}
    return _(
        "Does not speak %(language)s, the patient's preferred language, and no interpreter "
        "is noted."
    ) % {"language": language}


def _group_warning(navigator: Navigator, case: SecondOpinionRequest) -> str:
    if case.cancer_type == DiseaseGroup.NOT_SURE or case.cancer_type in navigator.disease_groups:
        return ""
    return _("Does not cover %(group)s.") % {
        "group": str(DiseaseGroup(case.cancer_type).label).lower()
    }


def _load_warning(navigator: Navigator, open_cases: int) -> str:
    """Return the overload in words when one more case would put the navigator over
    capacity, else ""."""
    if open_cases < navigator.capacity:
        return ""
    return _(
        "Overloaded: already %(open)d open cases for a capacity of %(capacity)d; this "
        "would be case %(after)d."
    ) % {"open": open_cases, "capacity": navigator.capacity, "after": open_cases + 1}


def navigator_fits_for(case: SecondOpinionRequest) -> list[NavigatorFit]:
    """Return every active navigator accepting cases (and the case's own navigator), with
    their languages, disease groups and load, and warnings of a language mismatch (preferred
    language, interpreter), a disease group they do not cover, or overload. Best fit first:
    fewest warnings, then most room. One query."""
    navigators = _with_load(
        Navigator.objects.filter(user__is_active=True)
        .filter(Q(accepting_new_cases=True) | Q(pk=case.navigator_id or 0))
        .select_related("user")
    )
    fits = []
    for navigator in navigators:
        is_current = navigator.pk == case.navigator_id
        warnings = [
            warning
            for warning in (
                _language_warning(navigator, case),
                _group_warning(navigator, case),
                "" if is_current else _load_warning(navigator, navigator.open_cases),
            )
            if warning
        ]
        fits.append(
            NavigatorFit(
                navigator=navigator,
                open_cases=navigator.open_cases,
                capacity_words=capacity_words(navigator.open_cases, navigator.capacity),
                languages=language_labels(navigator.languages),
                disease_groups=group_labels(navigator.disease_groups),
                is_current=is_current,
                warnings=warnings,
            )
        )
    fits.sort(
        key=lambda fit: (
            fit.is_current,
            len(fit.warnings),
            fit.open_cases - fit.navigator.capacity,
            str(fit.navigator),
        )
    )
    return fits


__all__ = [
    "NavigatorFit",
    "NavigatorLoad",
    "TeamLoad",
    "capacity_words",
    "navigator_fits_for",
    "staff_with_role",
    "team_load",
]
