"""The forms of the records desk and the support desk, and the facility name input with the
directory's names (an HTML datalist: no script, any name may still be typed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from navigators.access import support_task_owners

from ..documents import validate_upload
from ..models import InsuranceOutcome, RecordItem, SupportTask
from ..selectors.records import facility_names
from .base import DateInput


class FacilityNameInput(forms.TextInput):
    """A facility name input that offers the directory's names as the person types."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}_directory"
        attrs["list"] = list_id
        attrs.setdefault("autocomplete", "off")
        field = super().render(name, value, attrs, renderer)
        options = format_html_join(
            "", '<option value="{}"></option>', ((n,) for n in facility_names())
        )
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


def _day_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        help_text=_("Today if left empty."),
        error_messages={"invalid": _("Give a real date, such as 2026-12-01.")},
    )


METHOD_CHOICES = [("", _("Choose how")), *RecordItem.Method.choices[1:]]


class MarkRequestedForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Requested by"),
        choices=METHOD_CHOICES,
        error_messages={"required": _("Say how the records were requested.")},
    )
    on = _day_field(_("Requested on"))

    def day(self) -> date:
        return self.cleaned_data.get("on") or timezone.localdate()


class MarkReceivedForm(forms.Form):
    on = _day_field(_("Received on"))

    def day(self) -> date:
        return self.cleaned_data.get("on") or timezone.localdate()


class UploadReceivedForm(MarkReceivedForm):
    """Upload the file received for an item: checked (type, content, virus scan) like every
    upload, before the item is marked received."""

    file = forms.FileField(
        label=_("File received"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        error_messages={"required": _("Choose the file to upload.")},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        self.content_type = validate_upload(upload)
        return upload


class BulkMarkForm(forms.Form):
    """Mark the checked rows requested (with a method) or received."""

    do = forms.ChoiceField(
        choices=[
            (RecordItem.State.REQUESTED, _("requested")),
            (RecordItem.State.RECEIVED, _("received")),
        ]
    )
    items = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": _("Check the rows to mark first.")}
    )
    method = forms.ChoiceField(label=_("Requested by"), choices=METHOD_CHOICES, required=False)
    on = _day_field(_("Date"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].valid_value = lambda value: True  # Narrowed by the view's access.

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("do") == RecordItem.State.REQUESTED and not cleaned.get("method"):
            self.add_error("method", ValidationError(_("Say how the records were requested.")))
        return cleaned

    def day(self) -> date:
        return self.cleaned_data.get("on") or timezone.localdate()


class SupportTaskDeskForm(forms.Form):
    """One task's row on the support desk: owner (advocates only), status, outcome, notes.

    The outcome offered is the one of the task's kind: an insurance verification's is the
    case's insurance outcome, the others' the outcomes of OUTCOMES_BY_KIND.
    """

    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=support_task_owners(),
        required=False,
        empty_label=_("Nobody yet"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=SupportTask.State.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=(), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, task: SupportTask, owners: list[Any] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"task-{task.pk}")
        kwargs.setdefault(
            "initial",
            {
                "owner": task.owner_id,
                "status": task.status,
                "notes": task.notes,
                "outcome": task.case.insurance_outcome
                if task.kind == SupportTask.Kind.INSURANCE
                else task.outcome,
            },
        )
        super().__init__(*args, **kwargs)
        self.task = task
        owner_field = self.fields["owner"]
        owner_field.queryset = support_task_owners()
        if owners is not None:
            # The advocates read once for the whole page, not once per row.
            owner_field.choices = [
                ("", owner_field.empty_label),
                *((u.pk, owner_label(u)) for u in owners),
            ]
        if task.kind == SupportTask.Kind.INSURANCE:
            self.fields["outcome"].label = _("Insurance outcome")
            self.fields["outcome"].choices = [("", "-"), *InsuranceOutcome.choices]
        else:
            self.fields["outcome"].choices = [("", "-"), *task.outcome_choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.data.get(self.add_prefix("done")):
            cleaned["status"] = SupportTask.State.DONE
        return cleaned


def owner_label(user: Any) -> str:
    """Return how an advocate is named in the owner list."""
    return user.get_full_name() or user.get_username()
