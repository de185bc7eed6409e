"""Reads of the patient's own status page: finding the request, and what the tracker shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..choices import Status
from ..models import Appointment, InsuranceOutcome, SecondOpinionRequest
from .records import records_progress


def status_case_find(
    *, reference: str, date_of_birth: date, email: str
) -> SecondOpinionRequest | None:
    """Return the request these three answers identify, or None (the caller must not tell)."""
    case = SecondOpinionRequest.objects.filter(
        reference=reference, date_of_birth=date_of_birth
    ).first()
    if case is None:
        return None
    on_file = {address.lower() for address in (case.email, case.requester_email) if address}
    return case if email.strip().lower() in on_file else None


@dataclass(frozen=True)
class Tracker:
    """What the patient sees: plain steps, no diagnosis."""

    reference: str
    submitted_at: datetime
    status: str
    navigator_first_name: str
    records: str
    insurance: str
    appointment: Appointment | None
    plan_delivered_at: datetime | None
    is_open: bool
    withdrawn: bool


def status_tracker(case: SecondOpinionRequest) -> Tracker:
    """Return the tracker of a request."""
    progress = records_progress(case)
    appointment = (
        case.appointments.filter(state=Appointment.State.BOOKED).order_by("starts_at").first()
    )
    return Tracker(
        reference=case.reference,
        submitted_at=case.submitted_at,
        status=case.status,
        navigator_first_name=case.navigator.user.first_name if case.navigator else "",
        records=str(progress) if progress.total else "",
        insurance=InsuranceOutcome(case.insurance_outcome).label if case.insurance_outcome else "",
        appointment=appointment,
        plan_delivered_at=case.plan_delivered_at,
        is_open=case.is_open,
        withdrawn=case.status == Status.WITHDRAWN,
    )
