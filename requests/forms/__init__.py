"""The forms of the requests app, one module per form.

base (what the public forms share: IntakeForm, the error summary, widgets), request (the
public request form), referral (the referral form), status (the status lookup), staff (the
staff's case actions: move, assign, book), workspace (the case workspace's small forms).
The answers' checks are in requests.validators.
"""

from .base import IntakeForm
from .referral import ReferralForm
from .request import RequestForm
from .staff import (
    AppointmentForm,
    AppointmentMoveForm,
    AssignForm,
    CloseForm,
    ReopenForm,
    TransitionForm,
)
from .status import StatusLookupForm
from .workspace import (
    CONTACT_CHANNELS,
    ContactLogForm,
    DocumentUploadForm,
    NoteForm,
    RecordItemAddForm,
)

__all__ = [
    "CONTACT_CHANNELS",
    "AppointmentForm",
    "AppointmentMoveForm",
    "AssignForm",
    "CloseForm",
    "ContactLogForm",
    "DocumentUploadForm",
    "IntakeForm",
    "NoteForm",
    "RecordItemAddForm",
    "ReferralForm",
    "ReopenForm",
    "RequestForm",
    "StatusLookupForm",
    "TransitionForm",
]
