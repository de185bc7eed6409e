"""Navigators in the admin: who covers what, and how loaded each one is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from requests.choices import DiseaseGroup, Language, TargetState
from requests.models import OPEN_STATUSES
from secondopinion.staff_admin import StaffModelAdmin

from .models import Navigator


class NavigatorForm(forms.ModelForm):
    disease_groups = forms.MultipleChoiceField(
        label=_("Disease groups"),
        choices=DiseaseGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one language.")},
    )

    class Meta:
        model = Navigator
        fields = ("user", "disease_groups", "languages", "capacity", "accepting_new_cases")


@admin.register(Navigator)
class NavigatorAdmin(StaffModelAdmin):
    list_title = _("Navigators")
    form = NavigatorForm
    list_display = (
        "__str__",
        "active_cases",
        "at_risk_cases",
        "free_capacity",
        "capacity",
        "accepting_new_cases",
        "groups_display",
        "languages_display",
        "last_assigned_at",
    )
    list_filter = ("accepting_new_cases",)
    search_fields = ("user__first_name", "user__last_name", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Navigator]:
        open_cases = Q(cases__status__in=OPEN_STATUSES)
        return (
            super()
            .get_queryset(request)
            .annotate(
                active=Count("cases", filter=open_cases),
                at_risk=Count(
                    "cases",
                    filter=open_cases
                    & Q(cases__target_state__in=[TargetState.AT_RISK, TargetState.OVERDUE]),
                ),
            )
        )

    @admin.display(description=_("open cases"), ordering="active")
    def active_cases(self, obj: Any) -> int:
        return obj.active

    @admin.display(description=_("at risk or overdue"), ordering="at_risk")
    def at_risk_cases(self, obj: Any) -> int:
        return obj.at_risk

    @admin.display(description=_("free capacity"))
    def free_capacity(self, obj: Any) -> int:
        return max(obj.capacity - obj.active, 0)

    @admin.display(description=_("disease groups"))
    def groups_display(self, obj: Navigator) -> str:
        labels = dict(DiseaseGroup.choices)
        return ", ".join(str(labels.get(value, value)) for value in obj.disease_groups)

    @admin.display(description=_("languages"))
    def languages_display(self, obj: Navigator) -> str:
        return ", ".join(value.upper() for value in obj.languages)
