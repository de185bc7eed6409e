"""Contact attempts: a call, voicemail, email or text to reach the patient, with its outcome."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..models import AuditEvent, CaseNote, SecondOpinionRequest

CONTACT_KINDS = frozenset(
    {CaseNote.Kind.CALL, CaseNote.Kind.VOICEMAIL, CaseNote.Kind.EMAIL, CaseNote.Kind.TEXT}
)


@transaction.atomic
def case_contact_log(
    *,
    case: SecondOpinionRequest,
    kind: str,
    outcome: str,
    by: AbstractBaseUser,
    note: str = "",
    http_request: HttpRequest | None = None,
) -> CaseNote:
    """Record one attempt to reach the patient and its outcome; the note is optional.

    Unlike a note (case_note_add), an attempt needs no words: the kind and the outcome are
    what the next action and the landing page read.
    """
    if kind not in CONTACT_KINDS:
        raise ValidationError(_("Choose how you tried to reach the patient."), code="kind")
    if outcome not in CaseNote.Outcome.values or not outcome:
        raise ValidationError(_("Choose what came of the attempt."), code="outcome")
    attempt = CaseNote.objects.create(
        case=case, kind=kind, outcome=outcome, body=note.strip(), author=by
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        case=case,
        obj=attempt,
        detail={"kind": kind, "outcome": outcome},
        http_request=http_request,
    )
    return attempt
