"""The list filters of the requests admin: the case queue, the navigator, the records worklist.

Filters with a default choice (a navigator starts on their own cases, records staff on the
outstanding items) share `DefaultChoiceFilter`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from navigators.access import navigator_of

from ..models import OPEN_STATUSES, RecordItem, SecondOpinionRequest
from ..selectors import OUTSTANDING, chase_due


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A filter that is never off: with no choice made it applies its default.

    One of its choices covers every row, so it offers no "All" link of its own, and the
    default is shown selected.
    """

    default_choice = ""

    def default(self) -> str:
        """Return the choice applied when the query string makes none."""
        return self.default_choice

    def value(self) -> str:
        return super().value() or self.default()

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class CaseQueueFilter(DefaultChoiceFilter):
    """My cases (a navigator's default), the unassigned queue, all open, or all."""

    title = _("cases")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("mine", _("My open cases")),
            ("unassigned", _("Unassigned")),
            ("open", _("All open cases")),
            ("all", _("All cases, open and closed")),
        ]

    def default(self) -> str:
        # Navigators start on their own cases, everyone else on all open ones.
        return "mine" if navigator_of(self.request.user) is not None else "open"

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]
    ) -> QuerySet[SecondOpinionRequest]:
        choice = self.value()
        if choice == "mine":
            navigator = navigator_of(request.user)
            if navigator is None:
                return queryset.none()  # Staff who do not navigate have no cases of their own.
            return queryset.filter(navigator=navigator, status__in=OPEN_STATUSES)
        if choice == "unassigned":
            return queryset.filter(navigator__isnull=True, status__in=OPEN_STATUSES)
        if choice == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset


class NavigatorFilter(admin.RelatedFieldListFilter):
    """The navigator filter, naming navigators from one query (not one per navigator)."""

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[int, str]]:
        from navigators.models import Navigator

        return [
            (navigator.pk, str(navigator)) for navigator in Navigator.objects.select_related("user")
        ]


class OutstandingFilter(DefaultChoiceFilter):
    """Outstanding items of open cases (the default), or every item."""

    title = _("items")
    parameter_name = "items"
    default_choice = "outstanding"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("outstanding", _("Outstanding, open cases")), ("all", _("All items"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RecordItem]
    ) -> QuerySet[RecordItem]:
        if self.value() == "outstanding":
            return queryset.filter(status__in=OUTSTANDING, case__status__in=OPEN_STATUSES)
        return queryset


class ChaseFilter(admin.SimpleListFilter):
    """Items requested from a facility long enough ago to call it again."""

    title = _("to chase")
    parameter_name = "chase"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("yes", _("Requested over %(n)d days ago") % {"n": settings.RECORDS_FOLLOW_UP_DAYS})
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RecordItem]
    ) -> QuerySet[RecordItem]:
        if self.value() == "yes":
            return queryset.filter(chase_due())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    """Items by how long ago they were listed."""

    title = _("age")
    parameter_name = "age"
    BANDS = {"0-2": (0, 2), "3-5": (3, 5), "6+": (6, None)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("0-2", _("Listed 0 to 2 days ago")),
            ("3-5", _("3 to 5 days ago")),
            ("6+", _("6 days ago or more")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RecordItem]
    ) -> QuerySet[RecordItem]:
        band = self.BANDS.get(self.value() or "")
        if band is None:
            return queryset
        now = timezone.now()
        newest, oldest = band
        queryset = queryset.filter(created_at__lte=now - timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=oldest + 1))
        return queryset
