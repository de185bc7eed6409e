"""Checks and normalisations of the public forms' answers: phone, ZIP code, birth date, NPI.

Each returns the value as stored or raises a ValidationError with a plain sentence and a code,
which the form shows next to the field.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_AGE_YEARS = 120
ZIP_RE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")  # ASCII digits only, not look-alikes


def normalise_phone(raw: str) -> str:
    """Return a phone number in E.164 form (+15551234567), or raise ValidationError."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "Enter a phone number we can call, such as 617-555-0123. "
                "For a number outside the US, start with + and the country code."
            ),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_zip_code(raw: str) -> str:
    """Return a US ZIP code (five digits, or ZIP+4) without surrounding spaces."""
    value = raw.strip()
    if not ZIP_RE.match(value):
        raise ValidationError(
            _("Enter a ZIP code of five digits, such as 02115 (or ZIP+4: 02115-1234)."),
            code="invalid_zip",
        )
    return value


def check_date_of_birth(born: date) -> date:
    """Return a date of birth that is neither in the future nor implausibly long ago."""
    today = timezone.localdate()
    if born > today:
        raise ValidationError(_("The date of birth can't be in the future."), code="future")
    if today.year - born.year > MAX_AGE_YEARS:
        raise ValidationError(
            _("Please check the year: this date of birth is more than 120 years ago."),
            code="implausible",
        )
    return born


def npi_is_valid(npi: str) -> bool:
    """Return whether a National Provider Identifier is 10 digits with a right check digit.

    The check digit is the Luhn digit of the 9 first digits prefixed with 80840 (CMS).
    """
    if len(npi) != 10 or not (npi.isascii() and npi.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def normalise_npi(typed: str) -> str:
    """Return an NPI as its 10 digits, or raise ValidationError.

    Spaces and dashes are how people group it; anything else (letters, full-width digits)
    is not an NPI.
    """
    npi = "".join(ch for ch in typed if ch not in " -")
    if not (npi.isascii() and npi_is_valid(npi)):
        raise ValidationError(
            _(
                "This is not a valid NPI: it must be 10 digits and its last digit must match "
                "(please check for a typing error)."
            ),
            code="invalid_npi",
        )
    return npi
