"""The public referral form: a referring provider's office refers a patient."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ..models import SecondOpinionRequest
from ..validators import normalise_npi, normalise_phone
from .base import (
    DATE_MESSAGE,
    EMAIL_MESSAGE,
    REQUIRED_MESSAGES,
    DateInput,
    IntakeForm,
    fields_helper,
    intake_layout,
    section,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class ReferralForm(IntakeForm):
    """A referring provider's office refers a patient."""

    provider_name = forms.CharField(label=_("Referring provider's name"), max_length=150)
    npi = forms.CharField(
        label=_("Provider's NPI"),
        max_length=16,  # room for the spaces or dashes people group it with
        help_text=_("The 10-digit National Provider Identifier."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Enter the provider's 10-digit NPI.")},
    )
    practice = forms.CharField(
        label=_("Practice or hospital"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    provider_phone = forms.CharField(
        label=_("Office phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    provider_fax = forms.CharField(
        label=_("Office fax (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    provider_email = forms.EmailField(
        max_length=254,  # the columns it is saved in
        label=_("Office email"),
        help_text=_("We send the reference and updates here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    referral_urgent = forms.TypedChoiceField(
        label=_("Urgency"),
        coerce=lambda value: value == "urgent",
        choices=[("routine", _("Routine")), ("urgent", _("Urgent (within days)"))],
        widget=forms.RadioSelect,
        initial="routine",
    )
    patient_aware = forms.ChoiceField(
        label=_("Is the patient aware of this referral?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether the patient knows about this referral.")},
    )
    patient_in_hospital = forms.ChoiceField(
        label=_("Is the patient in hospital now?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether the patient is in hospital now.")},
    )
    consent_records = forms.BooleanField(
        label=_("The patient agrees that we request their outside records."), required=False
    )

    class Meta:
        model = SecondOpinionRequest
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "preferred_language",
            "cancer_type",
            "referral_reason",
            "referral_urgent",
        ]
        # The public wording where it differs from the model's verbose name (the others
        # come from the model).
        labels = {
            "first_name": _("Patient's first name"),
            "last_name": _("Patient's last name"),
            "date_of_birth": _("Patient's date of birth"),
            "phone": _("Patient's phone number"),
            "email": _("Patient's email (optional)"),
            "preferred_language": _("Patient's preferred language"),
            "cancer_type": _("Type of cancer"),
        }
        help_texts = {
            "email": _("We email the patient their reference, with nothing medical."),
            "referral_reason": _("The question for our specialists, at most 2,000 characters."),
        }
        widgets = {
            "date_of_birth": DateInput,
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "referral_reason": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referral_reason"].required = True
        self.fields["date_of_birth"].input_formats = ["%Y-%m-%d", "%m/%d/%Y"]
        self.fields["date_of_birth"].error_messages["invalid"] = DATE_MESSAGE
        self.fields["email"].error_messages["invalid"] = EMAIL_MESSAGE
        self.fields["cancer_type"].choices = [
            ("", _("Choose one")),
            *list(self.fields["cancer_type"].choices)[1:],
        ]
        for name in ("first_name", "last_name", "date_of_birth", "phone", "cancer_type"):
            self.fields[name].error_messages["required"] = REQUIRED_MESSAGES[name]
        self.fields["referral_reason"].error_messages["required"] = _(
            "Tell us the reason for the referral."
        )

    @cached_property
    def helper(self) -> FormHelper:
        """The layout: built when the form is shown again (a valid post never is)."""
        return fields_helper(
            intake_layout(
                section(
                    _("1. The referring provider"),
                    Row(Column("provider_name"), Column("npi"), css_class="g-3"),
                    "practice",
                    Row(Column("provider_phone"), Column("provider_fax"), css_class="g-3"),
                    "provider_email",
                    css_id="section-provider",
                ),
                section(
                    _("2. The patient"),
                    "patient_aware",
                    "patient_in_hospital",
                    Row(Column("first_name"), Column("last_name"), css_class="g-3"),
                    "date_of_birth",
                    Row(Column("phone"), Column("email"), css_class="g-3"),
                    "preferred_language",
                    css_id="section-patient",
                ),
                section(
                    _("3. The referral"),
                    "cancer_type",
                    "referral_reason",
                    "referral_urgent",
                    "consent_records",
                    "attachments",
                    css_id="section-referral",
                ),
            )
        )

    def clean_npi(self) -> str:
        return normalise_npi(self.cleaned_data["npi"])

    def clean_provider_phone(self) -> str:
        return normalise_phone(self.cleaned_data["provider_phone"])

    def clean_provider_fax(self) -> str:
        value = self.cleaned_data["provider_fax"]
        return normalise_phone(value) if value else value

    def clean_patient_aware(self) -> str:
        if self.cleaned_data["patient_aware"] != "yes":
            raise ValidationError(
                _(
                    "We can only accept a referral the patient knows about: we contact the "
                    "patient directly, and a second opinion needs their agreement. Please talk "
                    "with the patient first."
                ),
                code="patient_unaware",
            )
        return "yes"

    def clean_patient_in_hospital(self) -> str:
        if self.cleaned_data["patient_in_hospital"] == "yes":
            raise ValidationError(
                _(
                    "A patient in hospital now needs a conversation, not a form: please call the "
                    "Patient Access Center at %(phone)s and we will arrange it with you."
                )
                % {"phone": settings.PATIENT_ACCESS_PHONE},
                code="in_hospital",
            )
        return "no"

    def provider_details(self) -> dict[str, str]:
        """Return the provider's details, to find or update them by NPI."""
        data = self.cleaned_data
        return {
            "npi": data["npi"],
            "name": data["provider_name"],
            "practice": data["practice"],
            "phone": data["provider_phone"],
            "fax": data["provider_fax"],
            "email": data["provider_email"],
        }
