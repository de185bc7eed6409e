"""What every template may show: the program's name and its phone line."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext


def program(request: HttpRequest) -> dict[str, str]:
    """Return the program's name and phone line for every template."""
    return {
        # The name is translated like any text (its msgid is in the catalogue by hand).
        "program_name": gettext(settings.PROGRAM_NAME),
        "program_phone": settings.PATIENT_ACCESS_PHONE,
        "program_phone_tel": "+1"
        + "".join(ch for ch in settings.PATIENT_ACCESS_PHONE if ch.isdigit()),
    }
