"""The request app's models, one module per subject, and the constants they are built on.

Django finds an app's models through `requests.models`, and the rest of the code imports
them from here, so this package re-exports every model and public name of its modules, the
imaging models (which live with the imaging code, requests/imaging/models.py, and are
registered through the import below) and the status sets of requests.choices.
"""

from __future__ import annotations

from ..choices import OPEN_STATUSES, SWEPT_TARGET_STATES, TERMINAL_STATUSES

# The imaging models live with the imaging package (whose __init__ imports nothing), and are
# registered with the app's other models through this package.
from ..imaging.models import ImagingSeries, ImagingStudy, ImagingUpload
from .appointments import Appointment
from .audit import USER_AGENT_MAX_LENGTH, AuditEvent
from .case import (
    ALLOWED_TRANSITIONS,
    CONSTRAINED_FIELDS,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    InsuranceOutcome,
    ReferringProvider,
    SecondOpinionRequest,
    constrained_fields,
    new_reference,
    normalise_reference,
)
from .documents import Document, DocumentQuerySet, PrivateStorage, private_storage

# Migration 0003 refers to these two by their old path, requests.models.<name>.
from .documents import _document_name as _document_name
from .documents import _private_storage as _private_storage
from .facilities import Facility
from .outbox import Notification
from .records import RecordItem
from .status_links import StatusLink
from .support import OUTCOMES_BY_KIND, SupportTask
from .workflow import Assignment, CaseNote, StatusChange, TargetAlert

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CONSTRAINED_FIELDS",
    "OPEN_STATUSES",
    "OUTCOMES_BY_KIND",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "SWEPT_TARGET_STATES",
    "TERMINAL_STATUSES",
    "USER_AGENT_MAX_LENGTH",
    "Appointment",
    "Assignment",
    "AuditEvent",
    "CaseNote",
    "Document",
    "DocumentQuerySet",
    "Facility",
    "ImagingSeries",
    "ImagingStudy",
    "ImagingUpload",
    "InsuranceOutcome",
    "Notification",
    "PrivateStorage",
    "RecordItem",
    "ReferringProvider",
    "SecondOpinionRequest",
    "StatusChange",
    "StatusLink",
    "SupportTask",
    "TargetAlert",
    "constrained_fields",
    "new_reference",
    "normalise_reference",
    "private_storage",
]
