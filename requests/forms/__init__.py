"""The forms of the requests app, one module per form.

base (what the public forms share: IntakeForm, the error summary, widgets), request (the
public request form), referral (the referral form), status (the status lookup), staff (the
staff's case actions: move, assign, book). The answers' checks are in requests.validators.
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

__all__ = [
    "AppointmentForm",
    "AppointmentMoveForm",
    "AssignForm",
    "CloseForm",
    "IntakeForm",
    "ReferralForm",
    "ReopenForm",
    "RequestForm",
    "StatusLookupForm",
    "TransitionForm",
]
