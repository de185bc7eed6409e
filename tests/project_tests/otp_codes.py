"""Codes an authenticator app would show, and the forms of a key that must never leak."""

from __future__ import annotations

import re
from base64 import b32decode, b32encode
from binascii import unhexlify

from django_otp.oath import totp

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"
ENROL = "/admin/enrol/"
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def code_for(key_hex: str, *, later: int = 0) -> str:
    """Return the 6-digit code for a hex key now (or `later` 30-second steps from now)."""
    return f"{totp(unhexlify(key_hex), drift=later):06d}"


def key_from_manual_entry(text: str) -> str:
    """Return the hex key from the base32 text shown for typing into an app by hand."""
    compact = re.sub(r"\s+", "", text)
    return b32decode(compact + "=" * (-len(compact) % 8)).hex()


def secret_forms(key_hex: str) -> list[bytes]:
    """Return every way a page could show the key: hex either case, base32 with and without
    padding, and base32 in the groups of four the enrolment page uses."""
    base32 = b32encode(unhexlify(key_hex)).decode()
    bare = base32.rstrip("=")
    grouped = " ".join(bare[i : i + 4] for i in range(0, len(bare), 4))
    forms = {key_hex.lower(), key_hex.upper(), base32, bare, bare.lower(), grouped}
    return [form.encode() for form in forms]


def without_csrf(body: bytes) -> bytes:
    """Return a page with its (per-response) CSRF token blanked."""
    return CSRF_INPUT.sub(b'name="csrfmiddlewaretoken" value=""', body)
