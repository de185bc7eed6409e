"""The staff's forms of the case actions: move, assign, book, move an appointment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from navigators.models import Navigator
from secondopinion.staff_admin import time_zone_note

from ..choices import Status
from ..models import Appointment
from .base import ErrorSummaryMixin


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(forms.Form):
    navigator = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=Navigator.objects.select_related("user").filter(user__is_active=True),
        empty_label=_("Choose a navigator"),
        error_messages={"required": _("Choose the navigator to assign.")},
    )
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)


def _starts_at_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=time_zone_note(),
        error_messages={
            "required": _("Give the date and time."),
            "invalid": _("Give the date and time, such as 2026-12-01 09:30."),
        },
    )


class AppointmentMoveForm(forms.Form):
    starts_at = _starts_at_field()


class AppointmentForm(ErrorSummaryMixin, forms.Form):
    """Book a case's appointment; the page lists the answers to correct above the form.

    Required fields carry `required` and `aria-required` and their labels a visible mark; the
    location is required only for an in-person visit, which its label says.
    """

    error_summary_form_id = "book-form"
    required_css_class = "required"

    starts_at = _starts_at_field()
    specialty = forms.ChoiceField(label=_("Specialty"), choices=Appointment.Specialty.choices)
    clinician = forms.CharField(
        label=_("Clinician"),
        max_length=150,
        error_messages={"required": _("Give the clinician's name.")},
    )
    modality = forms.ChoiceField(
        label=_("In person or video"),
        choices=Appointment.Modality.choices,
        widget=forms.RadioSelect,
        initial=Appointment.Modality.IN_PERSON,
    )
    insurance_override = forms.CharField(
        label=_("Book before insurance is verified: why"),
        required=False,
        max_length=500,
        help_text=_("Only when the insurance verification is still open."),
    )
    location = forms.CharField(
        label=_("Location (required for an in-person visit)"),
        max_length=200,
        required=False,
        help_text=_("Building, floor and clinic."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.required:
                field.widget.attrs["aria-required"] = "true"

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= timezone.now():
            raise forms.ValidationError(_("The appointment must be in the future."))
        return starts_at

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("modality") == Appointment.Modality.IN_PERSON and not data.get("location"):
            self.add_error("location", _("Give the place of an in-person visit."))
        return data
