"""Rendering the emails the outbox owes. Privacy: first name and reference only, never PHI."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import Appointment, Notification

# Emails to the patient (or whoever asked for them) greet them by first name; emails to staff
# carry the reference and a link, and no patient name at all.
PATIENT_KINDS = frozenset(
    {
        Notification.Kind.CONFIRMATION,
        Notification.Kind.APPOINTMENT,
        Notification.Kind.REFERRAL_PATIENT,
        Notification.Kind.STATUS_LINK,
    }
)


def notification_context(notification: Notification) -> dict[str, object]:
    """Return what an email's templates may use: deliberately nothing clinical."""
    context: dict[str, object] = {
        "phone": settings.PATIENT_ACCESS_PHONE,
        "program_name": gettext(settings.PROGRAM_NAME),
        "site_url": settings.SITE_URL,
        **notification.context,
    }
    request = notification.request
    if request is not None:
        context["reference"] = request.reference
        context["case_url"] = settings.SITE_URL + request.get_absolute_url()
        if notification.kind in PATIENT_KINDS:
            context["first_name"] = request.greeting_name
    appointment_id = notification.context.get("appointment_id")
    if appointment_id:
        appointment = Appointment.objects.get(pk=appointment_id)
        context["appointment_at"] = timezone.localtime(appointment.starts_at)
        context["appointment_video"] = appointment.modality == Appointment.Modality.VIDEO
        context["appointment_location"] = appointment.location
    return context


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """Return the email for an outbox row, in the recipient's language."""
    base = f"emails/{notification.kind}"
    with translation.override(notification.language):
        context = notification_context(notification)
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}_body.txt", context)
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
