"""The staff second factor: signing in with it, enrolling one's own device, resetting another's.

A device's secret is shown once, to its owner, on the enrolment page; after that nobody sees it
(the device admin in secondopinion/admin.py lists devices without their keys). A supervisor
who resets a colleague's device deletes it, which sends the colleague to enrolment at their
next sign-in.
"""

from __future__ import annotations

import re
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from requests.audit import audit_record
from requests.models import AuditEvent

# Where a half-finished enrolment waits in the session (never in a cookie or a URL).
ENROLMENT_SESSION_KEY = "mfa_enrolment"
DEVICE_NAME = "Authenticator app"
# Wrong codes on the enrolment page before it starts over from the password step.
ENROLMENT_MAX_FAILURES = 5


def staff_home(request: HttpRequest, candidate: str | None) -> str:
    """Return `candidate` if it is a page of this site, else the staff home.

    A foreign or malformed `next`, or one that names no page here, would otherwise send a
    person who just signed in to another site or to a 404.
    """
    home = reverse("admin:index")
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return home
    try:
        match = resolve(urlsplit(candidate).path)
    except Resolver404:
        return home
    # Every page of ours is named; the admin's catch-all (which answers 404) is not.
    return candidate if match.url_name else home


def login_failed(request: HttpRequest, username: str) -> None:
    """Count one failed sign-in for the lockout (per account and per address, django-axes).

    Django sends this signal only when the password is wrong; a right password with a wrong
    or missing code is a failure too and must count the same.
    """
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def lockout_allows(request: HttpRequest, username: str) -> bool:
    """Return whether the lockout lets this account sign in from this address now."""
    AxesProxyHandler.update_request(request)
    return AxesProxyHandler.is_allowed(request, {"username": username})


def normalised_code(code: str) -> str:
    """Return the code as typed without spaces (apps show it as "123 456")."""
    return re.sub(r"\s+", "", code or "")


def verified_device(user: AbstractBaseUser, code: str) -> TOTPDevice | None:
    """Return the user's confirmed device that accepts `code` now, or None.

    The devices are locked while verifying, so one code cannot be accepted twice by two
    sign-ins at once; each wrong code doubles the device's wait (django-otp's throttle).
    """
    code = normalised_code(code)
    if not code:
        return None
    with transaction.atomic():
        for device in django_otp.devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def has_device(user: AbstractBaseUser) -> bool:
    """Return whether the user has a confirmed second factor."""
    return django_otp.user_has_device(user, confirmed=True)


def sign_in(
    request: HttpRequest, user: AbstractBaseUser, device: Any | None, *, backend: str
) -> None:
    """Sign the user in (a new session key), verified by `device` when there is one.

    Only this account's failures are forgiven (AXES_RESET_ON_SUCCESS is off): axes' own reset
    would also forget every failure from this address, which lets anyone with an account wipe
    the count of their guesses at a colleague's password by signing in between guesses.
    """
    login(request, user, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    AxesProxyHandler.reset_attempts(username=user.get_username())


@dataclass(frozen=True)
class Enrolment:
    """A half-finished enrolment: who (password already checked), their new key, until when."""

    user_id: int
    backend: str
    key: str
    expires_at: datetime
    next_url: str
    failures: int

    @property
    def base32_key(self) -> str:
        """Return the key as authenticator apps take it by hand, in groups of four."""
        text = b32encode(unhexlify(self.key)).decode().rstrip("=")
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    def device_for(self, user: AbstractBaseUser) -> TOTPDevice:
        """Return the (unsaved) device this enrolment would create, for its QR code."""
        return TOTPDevice(user=user, name=DEVICE_NAME, key=self.key, confirmed=False)


def enrolment_start(request: HttpRequest, user: AbstractBaseUser, *, next_url: str) -> None:
    """Remember, in a new session, that `user` passed the password step and must enrol.

    The session is not signed in: no staff page lets it through until enrolment ends.
    """
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.cycle_key()
    expires = timezone.now() + timedelta(seconds=settings.MFA_ENROLMENT_SECONDS)
    request.session[ENROLMENT_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "key": random_hex(20),
        "expires_at": expires.isoformat(),
        "next_url": next_url,
        "failures": 0,
    }


def enrolment_pending(request: HttpRequest) -> Enrolment | None:
    """Return the session's enrolment if it has not expired; forget an expired one."""
    state = request.session.get(ENROLMENT_SESSION_KEY)
    if not state:
        return None
    enrolment = Enrolment(
        user_id=state["user_id"],
        backend=state["backend"],
        key=state["key"],
        expires_at=datetime.fromisoformat(state["expires_at"]),
        next_url=state["next_url"],
        failures=state["failures"],
    )
    if timezone.now() >= enrolment.expires_at:
        enrolment_forget(request)
        return None
    return enrolment


def enrolment_failed(request: HttpRequest, enrolment: Enrolment) -> bool:
    """Count a wrong code on the enrolment page; return whether the enrolment may go on."""
    failures = enrolment.failures + 1
    if failures >= ENROLMENT_MAX_FAILURES:
        enrolment_forget(request)
        return False
    request.session[ENROLMENT_SESSION_KEY] = {
        **request.session[ENROLMENT_SESSION_KEY],
        "failures": failures,
    }
    return True


def enrolment_forget(request: HttpRequest) -> None:
    """Drop the session's enrolment (its key with it)."""
    request.session.pop(ENROLMENT_SESSION_KEY, None)


def enrolment_code_step(enrolment: Enrolment, code: str) -> int | None:
    """Return the time step at which `code` is right for the new key, or None."""
    code = normalised_code(code)
    if not code.isdigit():
        return None
    device = TOTPDevice(key=enrolment.key)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not totp.verify(int(code), tolerance=device.tolerance):
        return None
    return totp.t()


def qr_code_data_uri(device: TOTPDevice) -> str:
    """Return the device's provisioning URI as an SVG QR code, drawn here (no outside service)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4)


@transaction.atomic
def device_enrol(
    *, user: AbstractBaseUser, key: str, step: int, http_request: HttpRequest | None = None
) -> TOTPDevice:
    """Confirm the user's new device with the key they proved by a code at time `step`.

    Refuses if the user already has a confirmed device: only a reset (by a supervisor)
    makes room for a new one, so a stolen password alone cannot add a second device.
    """
    # Locks the person: two enrolments finishing at once must not both add a device.
    get_user_model().objects.select_for_update().get(pk=user.pk)
    if has_device(user):
        raise ValidationError("This account already has a second factor.", code="enrolled")
    TOTPDevice.objects.filter(user=user).delete()
    # last_t: the code just used cannot be used again to sign in.
    device = TOTPDevice.objects.create(
        user=user,
        name=DEVICE_NAME,
        key=key,
        confirmed=True,
        last_t=step,
        last_used_at=timezone.now(),
    )
    audit_record(
        actor=user,
        action=AuditEvent.Action.CREATE,
        case=None,
        obj=user,
        detail={"mfa": "enrol"},
        http_request=http_request,
    )
    return device


@transaction.atomic
def device_reset(
    *, actor: AbstractBaseUser, person: AbstractBaseUser, http_request: HttpRequest | None = None
) -> int:
    """Delete every second-factor device of `person`; return how many.

    Their next sign-in leads to enrolment, and any session they verified with a deleted
    device stops being verified at once (django-otp finds no device behind it).
    """
    devices = list(django_otp.devices_for_user(person, confirmed=None))
    for device in devices:
        device.delete()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        case=None,
        obj=person,
        detail={"mfa": "reset", "devices": len(devices)},
        http_request=http_request,
    )
    return len(devices)
