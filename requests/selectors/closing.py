"""What withdrawing or declining a case will do: who is emailed, which visits are cancelled.

The close page shows it before the user confirms; services.closing does exactly this.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..choices import Requester
from ..models import Appointment, SecondOpinionRequest


@dataclass(frozen=True)
class Emailed:
    """One person the closing emails, named by role and first name only (no address)."""

    role: str
    first_name: str = ""


@dataclass(frozen=True)
class ClosingEffects:
    patient: Emailed | None  # the patient, or the caregiver who asked; None without an email
    referrer: Emailed | None  # the referring provider's office, when the case has one
    cancelled: list[Appointment]  # the booked appointments, soonest first

    @property
    def emailed(self) -> list[Emailed]:
        return [person for person in (self.patient, self.referrer) if person is not None]


def closing_effects(case: SecondOpinionRequest) -> ClosingEffects:
    """Return who closing the case emails and which booked appointments it cancels."""
    patient = None
    if case.contact_email:
        caregiver = case.requester_type == Requester.CAREGIVER and case.requester_email
        role = _("the person who asked for the patient") if caregiver else _("the patient")
        patient = Emailed(role, case.greeting_name)
    referrer = None
    provider = case.referring_provider
    if provider is not None and (case.referral_email or provider.email):
        referrer = Emailed(_("the referring provider's office"))
    cancelled = list(
        case.appointments.filter(state=Appointment.State.BOOKED).order_by("starts_at", "pk")
    )
    return ClosingEffects(patient=patient, referrer=referrer, cancelled=cancelled)
