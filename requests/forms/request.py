"""The public request form: a patient or a caregiver asks for a second opinion."""

from __future__ import annotations

from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..choices import Language, Requester, Treatment
from ..models import SecondOpinionRequest
from ..validators import normalise_phone, normalise_zip_code
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
from .desks import FacilityNameInput

REQUESTER_FIELDS = (
    "requester_first_name",
    "requester_last_name",
    "requester_relationship",
    "requester_email",
    "requester_phone",
)


class RequestForm(IntakeForm):
    """A patient's or caregiver's request for a second opinion."""

    requester_type = forms.ChoiceField(
        label=_("Who is filling in this form?"),
        choices=[
            (Requester.PATIENT, Requester.PATIENT.label),
            (Requester.CAREGIVER, Requester.CAREGIVER.label),
        ],
        widget=forms.RadioSelect,
        initial=Requester.PATIENT,
    )
    treatments = forms.MultipleChoiceField(
        label=_("Treatment so far"),
        choices=Treatment.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick all that apply."),
    )
    consent_contact = forms.BooleanField(
        label=_("I agree that the program's staff may contact me about this request."),
        error_messages={"required": _("We need your permission to contact you about it.")},
    )
    consent_records = forms.BooleanField(
        label=_(
            "I allow the program to request the patient's medical records from other "
            "hospitals and doctors on the patient's behalf."
        ),
        required=False,
    )
    privacy_acknowledged = forms.BooleanField(
        label=_("I have read the privacy notice above."),
        error_messages={"required": _("Please read the privacy notice and tick this box.")},
    )

    class Meta:
        model = SecondOpinionRequest
        fields = [
            "requester_type",
            "requester_first_name",
            "requester_last_name",
            "requester_relationship",
            "requester_email",
            "requester_phone",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "phone",
            "preferred_contact_method",
            "preferred_contact_time",
            "preferred_language",
            "other_language",
            "interpreter_needed",
            "city",
            "state",
            "zip_code",
            "cancer_type",
            "diagnosis_date",
            "treatments",
            "current_oncologist",
            "current_facility",
            "questions",
            "insurance_carrier",
            "insurance_member_id",
            "coverage_checked",
            "needs_records_help",
            "needs_travel",
            "needs_lodging",
            "needs_financial",
        ]
        # The public wording where it differs from the model's verbose name (the others
        # come from the model).
        labels = {
            "requester_phone": _("Your phone number"),
            "phone": _("Phone number"),
            "preferred_contact_method": _("Best way to reach the patient"),
            "preferred_contact_time": _("Best time to call"),
            "other_language": _("Which language?"),
            "interpreter_needed": _("An interpreter is needed for calls and visits"),
            "cancer_type": _("Type of cancer"),
            "diagnosis_date": _("Date of diagnosis (if known)"),
            "current_oncologist": _("Current oncologist (if any)"),
            "current_facility": _("Hospital or clinic treating the patient now (if any)"),
            "questions": _("What would you like the second opinion to answer?"),
            "insurance_carrier": _("Insurance company"),
            "coverage_checked": _("Have you checked that your insurance covers a second opinion?"),
            "needs_records_help": _("Getting medical records from other hospitals"),
            "needs_travel": _("Travel"),
            "needs_lodging": _("A place to stay"),
        }
        help_texts = {
            "requester_relationship": _("For example: daughter, husband, friend."),
            "requester_email": _("We send the reference number and next steps here."),
            "date_of_birth": _("For example: 03/28/1961."),
            "email": _("We send the reference number and next steps here."),
            "phone": _("Your navigator will call this number."),
            "zip_code": _("Five digits, such as 02115."),
            "cancer_type": _("Choose \"I'm not sure\" if you don't know yet."),
            "diagnosis_date": _("An approximate date is fine."),
            "questions": _("In your own words, at most 2,000 characters."),
            "insurance_member_id": _("On the front of the insurance card."),
        }
        widgets = {
            "requester_first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "requester_last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "requester_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "requester_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "date_of_birth": DateInput(attrs={"autocomplete": "bday"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "preferred_contact_method": forms.RadioSelect,
            "preferred_language": forms.Select(attrs={"autocomplete": "language"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "state": forms.Select(attrs={"autocomplete": "address-level1"}),
            "zip_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "diagnosis_date": DateInput,
            "current_facility": FacilityNameInput,
            "questions": forms.Textarea(attrs={"rows": 4}),
            "insurance_carrier": forms.TextInput(attrs={"autocomplete": "off"}),
            "insurance_member_id": forms.TextInput(attrs={"autocomplete": "off"}),
            "coverage_checked": forms.RadioSelect,
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in ("city", "state", "zip_code"):
            self.fields[name].required = True
        for name, message in REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message
        for name in ("date_of_birth", "diagnosis_date"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%m/%d/%Y"]
            self.fields[name].error_messages["invalid"] = DATE_MESSAGE
        for name in ("email", "requester_email"):
            self.fields[name].error_messages["invalid"] = EMAIL_MESSAGE
        self.fields["state"].choices = [
            ("", _("Choose a state")),
            *list(self.fields["state"].choices)[1:],
        ]
        self.fields["cancer_type"].choices = [
            ("", _("Choose one")),
            *list(self.fields["cancer_type"].choices)[1:],
        ]
        # Someone reading the form in Spanish most likely prefers Spanish: start there.
        if not self.is_bound and "preferred_language" not in self.initial:
            self.initial["preferred_language"] = (
                Language.SPANISH if get_language() == Language.SPANISH else Language.ENGLISH
            )

    @cached_property
    def helper(self) -> FormHelper:
        """The layout: built when the form is shown again (a valid post never is)."""
        return fields_helper(
            intake_layout(
                section(
                    _("1. About you"),
                    "requester_type",
                    Div(
                        HTML(
                            '<p class="form-text">'
                            + str(_("Only if you are asking for someone else:"))
                            + "</p>"
                        ),
                        Row(
                            Column("requester_first_name"),
                            Column("requester_last_name"),
                            css_class="g-3",
                        ),
                        "requester_relationship",
                        Row(Column("requester_email"), Column("requester_phone"), css_class="g-3"),
                        css_id="requester-details",
                        css_class="requester-details",
                    ),
                    css_id="section-requester",
                ),
                section(
                    _("2. About the patient"),
                    Row(Column("first_name"), Column("last_name"), css_class="g-3"),
                    "date_of_birth",
                    Row(Column("email"), Column("phone"), css_class="g-3"),
                    "preferred_contact_method",
                    "preferred_contact_time",
                    Row(Column("preferred_language"), Column("other_language"), css_class="g-3"),
                    "interpreter_needed",
                    Row(
                        Column("city", css_class="col-sm-6"),
                        Column("state", css_class="col-sm-3"),
                        Column("zip_code", css_class="col-sm-3"),
                        css_class="g-3",
                    ),
                    css_id="section-patient",
                ),
                section(
                    _("3. The diagnosis"),
                    "cancer_type",
                    "diagnosis_date",
                    "treatments",
                    Row(Column("current_oncologist"), Column("current_facility"), css_class="g-3"),
                    "questions",
                    css_id="section-diagnosis",
                ),
                section(
                    _("4. Insurance"),
                    Row(
                        Column("insurance_carrier"), Column("insurance_member_id"), css_class="g-3"
                    ),
                    "coverage_checked",
                    css_id="section-insurance",
                ),
                section(
                    _("5. Help you would like (optional)"),
                    "needs_records_help",
                    "needs_travel",
                    "needs_lodging",
                    "needs_financial",
                    css_id="section-support",
                ),
                section(
                    _("6. Documents (optional)"),
                    "attachments",
                    css_id="section-documents",
                ),
                section(
                    _("7. Privacy and consent"),
                    HTML('{% include "requests/_privacy_notice.html" %}'),
                    "privacy_acknowledged",
                    "consent_contact",
                    "consent_records",
                    css_id="section-consent",
                ),
            )
        )

    def clean_requester_phone(self) -> str:
        value = self.cleaned_data["requester_phone"]
        return normalise_phone(value) if value else value

    def clean_zip_code(self) -> str:
        return normalise_zip_code(self.cleaned_data["zip_code"])

    def clean_diagnosis_date(self) -> date | None:
        diagnosed = self.cleaned_data["diagnosis_date"]
        if diagnosed and diagnosed > timezone.localdate():
            raise ValidationError(_("The date of diagnosis can't be in the future."), code="future")
        return diagnosed

    def clean_treatments(self) -> list[str]:
        treatments = self.cleaned_data["treatments"]
        if Treatment.NONE in treatments and len(treatments) > 1:
            raise ValidationError(
                _('Choose "No treatment yet" or the treatments received, not both.'),
                code="none_and_some",
            )
        return list(treatments)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        born, diagnosed = data.get("date_of_birth"), data.get("diagnosis_date")
        if born and diagnosed and diagnosed < born:
            self.add_error(
                "diagnosis_date",
                ValidationError(
                    _("The date of diagnosis can't be before the date of birth."),
                    code="before_birth",
                ),
            )
        if data.get("requester_type") == Requester.CAREGIVER:
            self._require_requester_details(data)
        else:
            # Data minimisation: answers about "someone else" are dropped when it is the patient.
            for name in REQUESTER_FIELDS:
                data[name] = ""
            if not data.get("email") and "email" not in self.errors:
                self.add_error(
                    "email",
                    ValidationError(
                        _(
                            "Enter your email, so that we can send you the reference. "
                            "No email? Call us at %(phone)s."
                        ),
                        code="required",
                        params={"phone": settings.PATIENT_ACCESS_PHONE},
                    ),
                )
        if data.get("preferred_language") == "other" and not data.get("other_language"):
            self.add_error(
                "other_language",
                ValidationError(_("Tell us which language the patient prefers."), code="required"),
            )
        if data.get("needs_records_help") and not data.get("consent_records"):
            self.add_error(
                "consent_records",
                ValidationError(
                    _(
                        'To help with records we need this permission. Untick "Getting '
                        'medical records" above if you will send them yourself.'
                    ),
                    code="required",
                ),
            )
        return data

    def _require_requester_details(self, data: dict[str, object]) -> None:
        required = {
            "requester_first_name": _("Enter your first name."),
            "requester_last_name": _("Enter your last name."),
            "requester_relationship": _("Tell us how you are related to the patient."),
            "requester_email": _("Enter your email, so that we can send you the reference."),
            "requester_phone": _("Enter a phone number where we can reach you."),
        }
        for name, message in required.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, ValidationError(message, code="required"))
