"""Rendering the emails the outbox owes. Privacy: the reference only, never PHI."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, pgettext

from .models import Appointment, Notification

# Emails to an address nobody has verified: whoever fills in a public form chooses it (the
# patient's, a caregiver's, a referring office's). They carry nothing the submitter typed (no
# name, no free text), only what the system made (the reference, dates, staff-entered places),
# so that nobody can make the center send their words to an address of their choosing.
UNVERIFIED_RECIPIENT_KINDS = frozenset(
    {
        Notification.Kind.CONFIRMATION,
        Notification.Kind.APPOINTMENT,
        Notification.Kind.REFERRAL_PATIENT,
        Notification.Kind.REFERRAL_PROVIDER,
        Notification.Kind.REFERRER_UPDATE,
        Notification.Kind.STATUS_LINK,
        Notification.Kind.CASE_CLOSED,
    }
)


def notification_context(
    notification: Notification, *, mint_links: bool = False
) -> dict[str, object]:
    """Return what an email's templates may use: deliberately nothing clinical.

    With `mint_links` (the outbox's send path only) a status-link email gets its URL, minted
    now: the secret exists only in the message, never in the database.
    """
    context: dict[str, object] = {
        "phone": settings.PATIENT_ACCESS_PHONE,
        "program_name": gettext(settings.PROGRAM_NAME),
        "site_url": settings.SITE_URL,
        **notification.context,
    }
    case = notification.case
    if case is not None:
        context["reference"] = case.reference
        if notification.kind not in UNVERIFIED_RECIPIENT_KINDS:
            context["case_url"] = settings.SITE_URL + case.get_absolute_url()
    appointment_id = notification.context.get("appointment_id")
    if appointment_id:
        appointment = Appointment.objects.get(pk=appointment_id)
        context["appointment_when"] = email_datetime(appointment.starts_at)
        context["appointment_video"] = appointment.modality == Appointment.Modality.VIDEO
        context["appointment_location"] = appointment.location
    link_id = notification.context.get("status_link_id")
    if mint_links and notification.kind == Notification.Kind.STATUS_LINK and link_id:
        # Imported when used, not at the top: requests.services' __init__ imports delivery,
        # which imports this module, so a top-level import would run it half loaded.
        from .services.status_links import status_link_mint

        context["status_url"] = status_link_mint(link_id=int(link_id))
    return context


def email_datetime(value: datetime) -> str:
    """Return a time for an email in the active language, with the center's time zone
    abbreviation: a reader elsewhere must not have to guess it ("Tuesday, December 8, 2026,
    9:30 AM EST"; in Spanish "martes, 8 de diciembre de 2026, 9:30 (EST)")."""
    # Translators: a Django date format (l weekday, j day, F month, Y year, G/g hour, i minutes,
    # A AM/PM, T time zone abbreviation); backslash a letter to print it as is.
    layout = pgettext("email date and time format", "l, F j, Y, g:i A T")
    return dateformat.format(timezone.localtime(value), layout)


def render_text(template_name: str, context: dict[str, object]) -> str:
    """Render a plain-text template without HTML escaping (O'Brien, not O&#x27;Brien).

    Plain text is never read as HTML; the .html alternative is rendered with escaping on.
    """
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def notification_message(
    notification: Notification, *, mint_links: bool = False
) -> EmailMultiAlternatives:
    """Return the email for an outbox row, in the recipient's language.

    Only the outbox's send path passes `mint_links`: minting replaces a status link's
    stored hash, so a rendering for any other purpose must not do it.
    """
    base = f"emails/{notification.kind}"
    with translation.override(notification.language):
        context = notification_context(notification, mint_links=mint_links)
        subject = " ".join(render_text(f"{base}_subject.txt", context).split())
        text = render_text(f"{base}_body.txt", context)
        html = render_to_string(f"{base}_body.html", context)
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        # The same Message-ID on every attempt lets a receiving server drop a repeat.
        headers={"Message-ID": f"<notification-{notification.pk}@{domain}>"},
    )
    message.attach_alternative(html, "text/html")
    return message
