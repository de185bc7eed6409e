"""What every template may show: the program's name, its phone line, and whether search
engines may index the page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext

from .seo import INDEXABLE_PATHS, ROBOTS_TAG


def program(request: HttpRequest) -> dict[str, str]:
    """Return the program's name and phone line for every template, and the page's meta robots
    (empty on the program's pages: seo.INDEXABLE_PATHS is the one list, which the
    X-Robots-Tag header follows too)."""
    return {
        "robots": "" if request.path in INDEXABLE_PATHS else ROBOTS_TAG,
        # The name is translated like any text (its msgid is in the catalogue by hand).
        "program_name": gettext(settings.PROGRAM_NAME),
        "program_phone": settings.PATIENT_ACCESS_PHONE,
        "program_phone_tel": "+1"
        + "".join(ch for ch in settings.PATIENT_ACCESS_PHONE if ch.isdigit()),
    }
