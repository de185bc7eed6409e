"""The patient's own status page: a single-use, 24-hour link sent to the email on file, and
withdrawing from it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..audit import audit_record
from ..choices import CloseReason, Status
from ..models import Appointment, AuditEvent, Notification, SecondOpinionRequest, StatusLink
from .appointments import appointment_cancel
from .lifecycle import case_transition
from .outbox import notification_owe

SALT = "requests.status-link"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def status_link_send(*, case: SecondOpinionRequest, email: str) -> StatusLink:
    """Create a single-use link and owe it by email to the address on file that was given.

    Nothing that opens the tracker is stored: the email's row names the link by its id, and
    the secret is minted when the email is rendered for sending (`status_link_mint`).
    """
    link = StatusLink.objects.create(case=case, secret_hash="")
    notification_owe(
        kind=Notification.Kind.STATUS_LINK,
        recipient=email,
        dedupe_key=f"status_link:{link.pk}",
        case=case,
        language=case.email_language,
        context={"status_link_id": link.pk, "hours": settings.STATUS_LINK_HOURS},
    )
    return link


def status_link_mint(*, link_id: int, now: datetime | None = None) -> str:
    """Give an unused link a new secret, keep only its hash, and return the link's URL.

    Called by the outbox for each attempt to send the link's email, and by nothing else:
    the URL exists only in the message sent. A retry mints again, replacing the hash, so an
    earlier attempt's link stops working. The 24 hours count from the mint.
    """
    secret = secrets.token_urlsafe(32)
    StatusLink.objects.filter(pk=link_id, used_at__isnull=True).update(
        secret_hash=_hash(secret), created_at=now or timezone.now()
    )
    # Signed: a forged or altered link is refused before any lookup; the secret inside it is
    # checked against its hash, and the link is consumed on first use.
    token = signing.dumps({"id": link_id, "s": secret}, salt=SALT, compress=True)
    # In the query string, never the path: the access log keeps paths only (gunicorn_conf).
    return f"{settings.SITE_URL}{reverse('requests:status_open')}?{urlencode({'t': token})}"


def status_link_open(
    *, token: str, by: AbstractBaseUser | None = None, now: datetime | None = None
) -> SecondOpinionRequest | None:
    """Consume a link and return its request; None if forged, expired or already used.

    A signed-in staff member who opens a patient's link reads the case as themselves: the
    audit trail records it.
    """
    max_age = timedelta(hours=settings.STATUS_LINK_HOURS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
        link_id, secret = int(payload["id"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    now = now or timezone.now()
    # The conditional UPDATE consumes it: of two clicks at once, one gets the page. An
    # unminted link (empty hash) matches no secret's hash.
    used = StatusLink.objects.filter(
        pk=link_id,
        secret_hash=_hash(secret),
        used_at__isnull=True,
        created_at__gt=now - max_age,
    ).update(used_at=now)
    if used != 1:
        return None
    case = StatusLink.objects.select_related("case").get(pk=link_id).case
    if by is not None and by.is_authenticated:
        audit_record(
            actor=by, action=AuditEvent.Action.VIEW_CASE, case=case, detail={"via": "status_link"}
        )
    return case


@transaction.atomic
def status_withdraw(*, case: SecondOpinionRequest, by: AbstractBaseUser | None = None) -> None:
    """Withdraw a request at the patient's wish, cancel what was booked, tell the navigator.

    `by` is the signed-in staff member who used the patient's link, if any: what staff do on
    a patient's behalf is recorded as theirs, never as the patient's.
    """
    actor = by if by is not None and by.is_authenticated else None
    for appointment in case.appointments.filter(state=Appointment.State.BOOKED):
        appointment_cancel(appointment=appointment, by=actor, reason="The patient withdrew.")
    case.refresh_from_db()
    note = (
        "Withdrawn on the status page by a staff member, on the patient's behalf."
        if actor
        else "Withdrawn by the patient on the status page."
    )
    case_transition(
        case=case,
        to_status=Status.WITHDRAWN,
        by=actor,
        note=note,
        reason=CloseReason.PATIENT_ASKED,
    )
    if case.navigator and case.navigator.user.email:
        notification_owe(
            kind=Notification.Kind.PATIENT_WITHDREW,
            recipient=case.navigator.user.email,
            dedupe_key=f"patient_withdrew:{case.pk}",
            case=case,
            context={"staff_first_name": case.navigator.user.first_name},
        )
