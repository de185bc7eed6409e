"""The staff's forms of the case actions: move, assign, book, move an appointment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from navigators.models import Navigator
from secondopinion.staff_admin import time_zone_note

from ..choices import CLOSE_REASONS, CLOSING_STATUSES, CloseReason, Status
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

    def clean_to_status(self) -> str:
        to_status = self.cleaned_data["to_status"]
        if to_status in CLOSING_STATUSES:
            # Withdraw and decline are confirmed, with a reason, on the close page only.
            raise forms.ValidationError(
                _("Withdraw or decline the case from its own page, with a reason."),
                code="closing_move",
            )
        return to_status


class CloseForm(ErrorSummaryMixin, forms.Form):
    """Withdraw or decline a case: a reason from the list (required to decline) and words."""

    error_summary_form_id = "close-form"
    required_css_class = "required"

    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(
        label=_("In your words"),
        required=False,
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('Required for "another reason". Kept in the case history, never emailed.'),
    )

    def __init__(self, *args: Any, to_status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declining = to_status == Status.DECLINED
        field = self.fields["reason"]
        field.required = declining
        field.choices = [
            ("", _("Choose a reason") if declining else _("No reason given")),
            *((value, CloseReason(value).label) for value in CLOSE_REASONS[to_status]),
        ]
        field.error_messages["required"] = _("Choose the reason for declining the case.")
        field.error_messages["invalid_choice"] = _("Choose one of the reasons listed.")
        if declining:
            field.widget.attrs["aria-required"] = "true"

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("reason") == CloseReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Say what the other reason is."))
        return data


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("Why reopen"),
        max_length=2000,
        error_messages={"required": _("Say why the case is reopened.")},
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
    late_reason = forms.CharField(
        label=_("Why after the target date (required for a visit after it)"),
        max_length=500,
        required=False,
    )

    def __init__(self, *args: Any, late_after: datetime | None = None, **kwargs: Any) -> None:
        """`late_after`: the moment from which a visit misses the case's target
        (targets.late_booking_after); a visit from then on needs `late_reason`."""
        super().__init__(*args, **kwargs)
        self.late_after = late_after
        self.fields["location"].initial = settings.APPOINTMENT_LOCATION
        if late_after is None:
            del self.fields["late_reason"]
        else:
            self.fields["late_reason"].help_text = _(
                "Required only if the visit is on or after %(when)s: the case's 7-day target "
                "is then missed."
            ) % {"when": date_format(timezone.localtime(late_after), "DATETIME_FORMAT")}
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
        starts_at = data.get("starts_at")
        late = self.late_after is not None and starts_at and starts_at >= self.late_after
        if late and not data.get("late_reason", "").strip():
            self.add_error(
                "late_reason",
                _("This visit is after the target date: say why it could not be sooner."),
            )
        return data
