"""What the public forms share: the intake form's base, the error summary, widgets, messages.

IntakeForm holds what the request and referral forms have in common (documents, the
double-submit key, the honeypot, the patient's phone and date of birth); the status lookup
form shares the error summary, the date input and the messages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..documents import validate_uploads
from ..validators import check_date_of_birth, normalise_phone

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
    """The list of answers to correct, shown at the top of a form."""

    #: The element id that a summary line of an error about the whole form links to.
    error_summary_form_id = "request-form"

    def error_summary(self) -> list[tuple[str, str]]:
        """Return (element id, message) for each answer to correct, in the form's order."""
        summary = [(self.error_summary_form_id, str(error)) for error in self.non_field_errors()]
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


def intake_layout(*sections: Any) -> Layout:
    """Return an intake form's layout: its sections, then the double-submit key and the
    honeypot that every IntakeForm carries."""
    return Layout(
        *sections,
        "submission_key",
        Div("website", css_class="hp-field", aria_hidden="true"),
    )


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
        return check_date_of_birth(self.cleaned_data["date_of_birth"])

    @property
    def is_bot(self) -> bool:
        """Return whether the honeypot was filled in (only a program does that)."""
        return bool(self.data.get("website"))
