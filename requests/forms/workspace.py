"""The case workspace's small forms: log a contact attempt, add a note, list a record item,
upload a document. Each posts to its own view, which calls one service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..documents import validate_upload
from ..models import CaseNote, RecordItem
from .base import ErrorSummaryMixin

Kind, Outcome = CaseNote.Kind, CaseNote.Outcome

# The contact log's buttons, by channel: each button posts one attempt, "<kind>:<outcome>".
# A call that ends on the answering machine is a voicemail.
CONTACT_CHANNELS: tuple[tuple[str, Any, tuple[tuple[str, Any], ...]], ...] = (
    (
        "call",
        _("Call"),
        (
            (f"{Kind.CALL}:{Outcome.REACHED}", _("Reached")),
            (f"{Kind.CALL}:{Outcome.NO_ANSWER}", _("No answer")),
            (f"{Kind.VOICEMAIL}:{Outcome.LEFT_MESSAGE}", _("Left a voicemail")),
            (f"{Kind.CALL}:{Outcome.WRONG_NUMBER}", _("Wrong number")),
        ),
    ),
    (
        "text",
        _("Text"),
        (
            (f"{Kind.TEXT}:{Outcome.LEFT_MESSAGE}", _("Sent, no reply yet")),
            (f"{Kind.TEXT}:{Outcome.REACHED}", _("Patient replied")),
            (f"{Kind.TEXT}:{Outcome.WRONG_NUMBER}", _("Wrong number")),
        ),
    ),
    (
        "email",
        _("Email"),
        (
            (f"{Kind.EMAIL}:{Outcome.LEFT_MESSAGE}", _("Sent, no reply yet")),
            (f"{Kind.EMAIL}:{Outcome.REACHED}", _("Patient replied")),
        ),
    ),
)
CONTACT_ATTEMPTS = [button for _key, _label, buttons in CONTACT_CHANNELS for button in buttons]


class ContactLogForm(forms.Form):
    """One contact attempt: the outcome button pressed (which names the channel too) and an
    optional note."""

    attempt = forms.ChoiceField(
        choices=CONTACT_ATTEMPTS,
        error_messages={
            "required": _("Choose what came of the attempt."),
            "invalid_choice": _("Choose what came of the attempt."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)

    @property
    def kind(self) -> str:
        return self.cleaned_data["attempt"].split(":", 1)[0]

    @property
    def outcome(self) -> str:
        return self.cleaned_data["attempt"].split(":", 1)[1]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note.")},
    )


class RecordItemAddForm(ErrorSummaryMixin, forms.ModelForm):
    """List one outside record to obtain; its dates and history are the service's."""

    error_summary_form_id = "record-form"
    required_css_class = "required"

    class Meta:
        model = RecordItem
        fields = ("kind", "facility", "status", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"facility": {"required": _("Name the facility that holds it.")}}


class DocumentUploadForm(forms.Form):
    """A document for the case, checked like the patient's own uploads (validate_upload:
    whole-file checks and the virus scan), optionally for one of its record items."""

    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG)"),
        error_messages={"required": _("Choose the file to upload.")},
    )
    record_item = forms.TypedChoiceField(
        label=_("For record item (optional)"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, items: Iterable[RecordItem] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The case's items, already read by the page: no query of its own.
        self.items = {item.pk: item for item in items}
        self.fields["record_item"].choices = [
            ("", _("None")),
            *(
                (item.pk, f"{item.get_kind_display()}, {item.facility}")
                for item in self.items.values()
            ),
        ]
        self.content_type = ""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        self.content_type = validate_upload(upload)
        return upload

    def clean_record_item(self) -> RecordItem | None:
        pk = self.cleaned_data.get("record_item")
        return self.items.get(pk) if pk is not None else None
