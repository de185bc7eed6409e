"""The public request form: validation that explains itself next to each field."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import Requester, Treatment
from .documents import validate_uploads
from .models import SecondOpinionRequest, normalise_reference

MAX_AGE_YEARS = 120
REQUESTER_FIELDS = (
    "requester_first_name",
    "requester_last_name",
    "requester_relationship",
    "requester_email",
    "requester_phone",
)
ZIP_RE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")  # ASCII digits only, not look-alikes
REQUIRED_MESSAGES = {
    "requester_type": _("Tell us who is filling in the form."),
    "first_name": _("Enter the patient's first name."),
    "last_name": _("Enter the patient's last name."),
    "date_of_birth": _("Enter the patient's date of birth."),
    "phone": _("Enter a phone number where we can reach the patient."),
    "preferred_contact_method": _("Choose the best way to reach the patient."),
    "preferred_contact_time": _("Choose the best time to call."),
    "preferred_language": _("Choose the patient's preferred language."),
    "city": _("Enter the city where the patient lives."),
    "state": _("Choose the state where the patient lives."),
    "zip_code": _("Enter the patient's ZIP code."),
    "cancer_type": _('Choose the type of cancer, or "I\'m not sure".'),
    "coverage_checked": _("Tell us whether you have checked your insurance."),
}
DATE_MESSAGE = _("Enter a real date, such as 03/28/1961.")
EMAIL_MESSAGE = _("Enter an email address such as name@example.com.")


def normalise_phone(raw: str) -> str:
    """Return a phone number in E.164 form (+15551234567), or raise ValidationError."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "Enter a phone number we can call, such as 617-555-0123. "
                "For a number outside the US, start with + and the country code."
            ),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/*"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list[object]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ErrorSummaryMixin:
    """The list of answers to correct, shown at the top of a public form."""

    def error_summary(self) -> list[tuple[str, str]]:
        """Return (element id, message) for each answer to correct, in the form's order."""
        summary = [("request-form", str(error)) for error in self.non_field_errors()]
        for name in self.fields:
            if name not in self.errors:
                continue
            field = self[name]
            grouped = isinstance(
                field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple
            )
            anchor = f"{field.auto_id}_0" if grouped else field.auto_id
            summary.append((anchor, str(self.errors[name][0])))
        return summary


def section(title: str, *fields: object, **attrs: object) -> Fieldset:
    """Return a form section whose legend is also a level-2 heading.

    A legend is not a heading: without one the page's outline went from the h1 straight to the
    privacy notice's heading (a skipped level), and a screen reader's list of headings did not
    show the sections at all.
    """
    return Fieldset(format_html('<h2 class="section-title">{}</h2>', title), *fields, **attrs)


def fields_helper(layout: Layout | None = None) -> FormHelper:
    """Return a crispy helper that renders the fields only: the page holds the <form> tag
    and its CSRF token."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


class IntakeForm(ErrorSummaryMixin, forms.ModelForm):
    """What every public intake form shares: documents, the double-submit key, the honeypot,
    the patient's phone and date of birth, and the error summary."""

    attachments = MultipleFileField(
        label=_("Medical records you already have (optional)"), required=False
    )
    # Filled once when the form is shown: a repeated post of the same form is recognised.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # A honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _(
            "PDF, JPEG or PNG files: up to %(count)d files of at most %(size)s each."
        ) % {
            "count": settings.UPLOAD_MAX_FILES,
            "size": filesizeformat(settings.UPLOAD_MAX_BYTES),
        }
        self.fields["attachments"].error_messages["empty"] = _("One of the files is empty.")

    def clean_attachments(self) -> list[tuple[object, str]]:
        """Return the files with the content type each one's bytes show."""
        return validate_uploads(self.cleaned_data["attachments"])

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise ValidationError(_("The date of birth can't be in the future."), code="future")
        if today.year - born.year > MAX_AGE_YEARS:
            raise ValidationError(
                _("Please check the year: this date of birth is more than 120 years ago."),
                code="implausible",
            )
        return born

    @property
    def is_bot(self) -> bool:
        """Return whether the honeypot was filled in (only a program does that)."""
        return bool(self.data.get("website"))


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
        labels = {
            "requester_first_name": _("Your first name"),
            "requester_last_name": _("Your last name"),
            "requester_relationship": _("Your relationship to the patient"),
            "requester_email": _("Your email"),
            "requester_phone": _("Your phone number"),
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "date_of_birth": _("Date of birth"),
            "email": _("Email"),
            "phone": _("Phone number"),
            "preferred_contact_method": _("Best way to reach the patient"),
            "preferred_contact_time": _("Best time to call"),
            "preferred_language": _("Preferred language"),
            "other_language": _("Which language?"),
            "interpreter_needed": _("An interpreter is needed for calls and visits"),
            "city": _("City"),
            "state": _("State"),
            "zip_code": _("ZIP code"),
            "cancer_type": _("Type of cancer"),
            "diagnosis_date": _("Date of diagnosis (if known)"),
            "current_oncologist": _("Current oncologist (if any)"),
            "current_facility": _("Hospital or clinic treating the patient now (if any)"),
            "questions": _("What would you like the second opinion to answer?"),
            "insurance_carrier": _("Insurance company"),
            "insurance_member_id": _("Member ID"),
            "coverage_checked": _("Have you checked that your insurance covers a second opinion?"),
            "needs_records_help": _("Getting medical records from other hospitals"),
            "needs_travel": _("Travel"),
            "needs_lodging": _("A place to stay"),
            "needs_financial": _("Financial assistance"),
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

    @cached_property
    def helper(self) -> FormHelper:
        """The layout: built when the form is shown again (a valid post never is)."""
        return fields_helper(
            Layout(
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
                "submission_key",
                Div("website", css_class="hp-field", aria_hidden="true"),
            )
        )

    def clean_requester_phone(self) -> str:
        value = self.cleaned_data["requester_phone"]
        return normalise_phone(value) if value else value

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        if not ZIP_RE.match(value):
            raise ValidationError(
                _("Enter a ZIP code of five digits, such as 02115 (or ZIP+4: 02115-1234)."),
                code="invalid_zip",
            )
        return value

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


def npi_is_valid(npi: str) -> bool:
    """Return whether a National Provider Identifier is 10 digits with a right check digit.

    The check digit is the Luhn digit of the 9 first digits prefixed with 80840 (CMS).
    """
    if len(npi) != 10 or not (npi.isascii() and npi.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


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
        labels = {
            "first_name": _("Patient's first name"),
            "last_name": _("Patient's last name"),
            "date_of_birth": _("Patient's date of birth"),
            "phone": _("Patient's phone number"),
            "email": _("Patient's email (optional)"),
            "preferred_language": _("Patient's preferred language"),
            "cancer_type": _("Type of cancer"),
            "referral_reason": _("Reason for referral"),
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
            Layout(
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
                "submission_key",
                Div("website", css_class="hp-field", aria_hidden="true"),
            )
        )

    def clean_npi(self) -> str:
        # Spaces and dashes are how people group it; anything else (letters, full-width digits)
        # is not an NPI.
        typed = self.cleaned_data["npi"]
        npi = "".join(ch for ch in typed if ch not in " -")
        if not (npi.isascii() and npi_is_valid(npi)):
            raise ValidationError(
                _(
                    "This is not a valid NPI: it must be 10 digits and its last digit must match "
                    "(please check for a typing error)."
                ),
                code="invalid_npi",
            )
        return npi

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
