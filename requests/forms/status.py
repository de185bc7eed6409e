"""The public status lookup form: a patient asks for a link to their request's status."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import normalise_reference
from .base import DATE_MESSAGE, EMAIL_MESSAGE, DateInput, ErrorSummaryMixin, fields_helper


class StatusLookupForm(ErrorSummaryMixin, forms.Form):
    """A patient asks for a link to their request's status."""

    reference = forms.CharField(
        label=_("Reference number"),
        max_length=20,
        help_text=_("On your confirmation page and email, such as K7M4-9QXP."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": _("Enter your reference number.")},
    )
    date_of_birth = forms.DateField(
        label=_("Patient's date of birth"),
        widget=DateInput(attrs={"autocomplete": "bday"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={
            "required": _("Enter the patient's date of birth."),
            "invalid": DATE_MESSAGE,
        },
    )
    email = forms.EmailField(
        max_length=254,
        label=_("Email you gave us"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("Enter the email you gave us."), "invalid": EMAIL_MESSAGE},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = fields_helper()

    def clean_reference(self) -> str:
        return normalise_reference(self.cleaned_data["reference"])
