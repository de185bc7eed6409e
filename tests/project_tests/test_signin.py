"""The staff sign-in page and the enrolment of one's own second factor (secondopinion.signin).

One answer for every failure (wrong password, wrong code, missing code), every failure counted
for the lockout per account and per address, enrolment only after the password step and only
for an account without a device, and a `next` that never leaves the site or lands on a 404.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests.models import AuditEvent
from secondopinion.mfa import device_enrol
from secondopinion.signin import INVALID_WITH_CODE, INVALID_WITHOUT_CODE
from tests.project_tests.otp_codes import (
    ENROL,
    LOGIN,
    PASSWORD,
    code_for,
    key_from_manual_entry,
    without_csrf,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
DEVICE_NAME = "Pixel of the supervisor"
MANUAL_KEY = re.compile(r'<code id="manual-key">([A-Z2-7 ]+)</code>')


@pytest.fixture
def mfa_on(settings: Any) -> None:
    settings.MFA_REQUIRED = True


@pytest.fixture
def device(supervisor: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=supervisor, name=DEVICE_NAME, confirmed=True)


def wrong_code(key: str) -> str:
    """Return a code the key accepts in no window near now."""
    valid = {code_for(key, later=step) for step in range(-3, 4)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in valid)


def sign_in(
    client: Client,
    *,
    password: str = PASSWORD,
    code: str | None = None,
    username: str = "supervisor",
    next_url: str = "/admin/",
    address: str = "198.51.100.1",
) -> Any:
    data = {"username": username, "password": password, "next": next_url}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# --- One answer for every failure ---------------------------------------------------------


def test_wrong_password_wrong_code_and_missing_code_get_the_same_answer(
    mfa_on: None, device: TOTPDevice, settings: Any
) -> None:
    """The same status and page (CSRF token aside) for each failure; no device list."""
    settings.AXES_FAILURE_LIMIT = 10  # five failures here; the lockout page is tested below
    attempts = {
        "wrong password, right code": {"password": "wrong password", "code": code_for(device.key)},
        "wrong password, no code": {"password": "wrong password"},
        "right password, no code": {},
        "right password, empty code": {"code": ""},
        "right password, wrong code": {"code": wrong_code(device.key)},
    }
    answers = {}
    for n, (name, attempt) in enumerate(attempts.items()):
        client = Client()
        response = sign_in(client, address=f"198.51.100.{n + 10}", **attempt)
        assert not signed_in(client), name
        answers[name] = (response.status_code, without_csrf(response.content))

    assert len(set(answers.values())) == 1, sorted(answers)
    status, body = next(iter(answers.values()))
    assert status == 200
    assert INVALID_WITH_CODE.encode() in body
    for leak in (b"otp_device", b"otp_challenge", DEVICE_NAME.encode(), ENROL.encode()):
        assert leak not in body


def test_without_mfa_a_wrong_password_gets_the_plain_answer(supervisor: Any) -> None:
    """MFA off: no code field, and a wrong password gets the username-and-password message."""
    response = sign_in(Client(), password="wrong password")

    assert response.status_code == 200
    assert INVALID_WITHOUT_CODE in response.content.decode()
    assert 'name="otp_token"' not in response.content.decode()


def test_an_account_that_is_not_staff_gets_the_same_answer(mfa_on: None) -> None:
    """A right password and code of an account without staff status is refused like a wrong
    password, and counted."""
    user = get_user_model().objects.create_user(username="patient", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()

    response = sign_in(client, username="patient", code=code_for(device.key))

    assert response.status_code == 200
    assert INVALID_WITH_CODE in response.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.filter(username="patient").exists()


def test_a_code_is_not_checked_when_the_password_is_wrong(mfa_on: None, device: TOTPDevice) -> None:
    """A right code behind a wrong password leaves the device untouched and still usable."""
    with time_machine.travel(START, tick=False):
        code = code_for(device.key)
        sign_in(Client(), password="wrong password", code=code)
        device.refresh_from_db()
        assert (device.last_t, device.throttling_failure_count) == (-1, 0)

        client = Client()
        response = sign_in(client, code=code)

        assert response.status_code == 302
        assert verified(client)


def test_a_right_password_and_code_sign_in_verified(mfa_on: None, device: TOTPDevice) -> None:
    """The password and the current code sign in, verified by the device: the supervisor's
    landing page (the team) and the staff pages open."""
    client = Client()

    response = sign_in(client, code=code_for(device.key))

    assert response.status_code == 302
    assert response["Location"] == "/admin/team/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/all/").status_code == 200


def test_a_code_with_spaces_is_accepted(mfa_on: None, device: TOTPDevice) -> None:
    """A code typed as the app shows it ("123 456") signs in."""
    code = code_for(device.key)
    client = Client()

    sign_in(client, code=f"{code[:3]} {code[3:]}")

    assert verified(client)


# --- Lockout ------------------------------------------------------------------------------


def test_every_kind_of_failure_counts_for_the_account_lockout(
    mfa_on: None, device: TOTPDevice, settings: Any
) -> None:
    """Wrong passwords, wrong codes and missing codes from several addresses lock the account:
    then even the right password and code, from a fresh address, get the lockout page."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the device's own throttle is not what is tested
    kinds = [
        {"password": "wrong password"},
        {"code": wrong_code(device.key)},
        {},
    ]
    for n in range(settings.AXES_FAILURE_LIMIT):
        client = Client()
        sign_in(client, address=f"203.0.113.{n + 1}", **kinds[n % len(kinds)])
        assert not signed_in(client)

    client = Client()
    response = sign_in(client, code=code_for(device.key), address="203.0.113.200")

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)


def test_a_success_forgets_the_accounts_failures_but_not_the_addresss(
    mfa_on: None, device: TOTPDevice, navigator_user: Any, settings: Any
) -> None:
    """Signing in forgives that account's failures only: guesses at another account from
    the same address still count (axes' own reset would wipe them)."""
    TOTPDevice.objects.create(user=navigator_user, name="phone", confirmed=True)
    address = "203.0.113.7"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), username="navigator", password="wrong password", address=address)

    client = Client()
    sign_in(client, code=code_for(device.key), address=address)
    assert verified(client)

    response = sign_in(Client(), username="navigator", password="wrong password", address=address)
    assert response.status_code == 429


# --- Where a sign-in lands ----------------------------------------------------------------

FOREIGN_OR_UNKNOWN = [
    "https://evil.example/",
    "//evil.example/admin/",
    "https:/evil.example/",
    "javascript:alert(1)",
    "/no-such-page/",
    "/admin/no-such-page/",
]


@pytest.mark.parametrize("next_url", FOREIGN_OR_UNKNOWN)
def test_a_foreign_or_unknown_next_lands_on_the_staff_home(next_url: str, supervisor: Any) -> None:
    """A sign-in with a next that leaves the site or names no page lands on the person's
    landing page (a supervisor's: the team)."""
    client = Client()

    response = sign_in(client, next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == "/admin/team/"
    assert client.get(response["Location"]).status_code == 200


def test_a_foreign_next_in_the_login_link_is_not_carried(supervisor: Any) -> None:
    """The login page reached with ?next=<foreign> carries the staff home in its form."""
    response = Client().get(LOGIN, {"next": "https://evil.example/"})

    assert response.status_code == 200
    assert 'name="next" value="/admin/"' in response.content.decode()
    assert "evil.example" not in response.content.decode()


def test_a_next_on_this_site_is_followed(mfa_on: None, device: TOTPDevice) -> None:
    """A next naming a staff page of this site is where the sign-in lands."""
    response = sign_in(Client(), code=code_for(device.key), next_url="/dashboard/")

    assert response["Location"] == "/dashboard/"


# --- Enrolment ----------------------------------------------------------------------------


def start_enrolment(client: Client, **extra: Any) -> str:
    """Pass the password step of an account without a device; return the hex key shown."""
    response = sign_in(client, **extra)
    assert response.status_code == 302
    assert response["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    [manual] = MANUAL_KEY.findall(page.content.decode())
    return key_from_manual_entry(manual)


def test_a_first_sign_in_enrols_the_device_and_signs_in(mfa_on: None, supervisor: Any) -> None:
    """Password, then the enrolment page (QR code and key), then a current code: signed in,
    verified, with one confirmed device holding the key that was shown; audited."""
    client = Client()
    old_session = client.session.session_key
    with time_machine.travel(START, tick=False):
        key = start_enrolment(client, next_url="/dashboard/")
        assert client.session.session_key != old_session
        assert not signed_in(client)
        assert client.get("/admin/all/")["Location"].startswith(LOGIN)
        page = client.get(ENROL).content.decode()
        assert 'src="data:image/svg+xml' in page

        refused = client.post(ENROL, {"otp_token": wrong_code(key)})
        assert refused.status_code == 200
        assert "That code does not match" in refused.content.decode()
        assert not signed_in(client)

        response = client.post(ENROL, {"otp_token": code_for(key)})

        assert response.status_code == 302
        assert response["Location"] == "/dashboard/"
        assert verified(client)
        assert client.get("/admin/all/").status_code == 200
        assert client.get(ENROL)["Location"] == LOGIN  # the key is not shown again
    [device] = TOTPDevice.objects.filter(user=supervisor)
    assert (device.key, device.confirmed) == (key, True)
    assert device.last_used_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_id=str(supervisor.pk))
    assert event.actor == supervisor
    assert event.detail == {"mfa": "enrol"}


def test_the_enrolment_code_cannot_sign_in_again(mfa_on: None, supervisor: Any) -> None:
    """The code that confirmed the device is spent; the next one signs in."""
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        key = start_enrolment(client)
        client.post(ENROL, {"otp_token": code_for(key)})
        assert verified(client)

        again = Client()
        sign_in(again, code=code_for(key))
        assert not signed_in(again)

        traveller.shift(timedelta(seconds=30))
        sign_in(again, code=code_for(key))
        assert verified(again)


def test_an_unfinished_enrolment_expires(mfa_on: None, supervisor: Any, settings: Any) -> None:
    """After MFA_ENROLMENT_SECONDS the page sends back to sign-in and a right code adds nothing."""
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        key = start_enrolment(client)

        traveller.shift(timedelta(seconds=settings.MFA_ENROLMENT_SECONDS + 1))
        assert client.get(ENROL)["Location"] == LOGIN
        response = client.post(ENROL, {"otp_token": code_for(key)})

    assert response["Location"] == LOGIN
    assert not signed_in(client)
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


def test_wrong_enrolment_codes_end_the_enrolment_and_lock_the_account(
    mfa_on: None, supervisor: Any, settings: Any
) -> None:
    """Wrong codes at enrolment count as failed sign-ins: at the limit the enrolment is gone
    and the account is locked, so a stolen password cannot guess its way to a device."""
    client = Client()
    key = start_enrolment(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(ENROL, {"otp_token": wrong_code(key)}, REMOTE_ADDR="198.51.100.1")

    assert response.status_code in {302, 429}
    assert client.get(ENROL)["Location"] == LOGIN
    assert sign_in(Client(), address="198.51.100.2").status_code == 429
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_enrolment_page_needs_the_password_step(
    method: str, mfa_on: None, supervisor: Any
) -> None:
    """Without a password step (anonymous, or a password-only session) enrolment is refused."""
    anonymous = Client()
    password_only = Client()
    password_only.force_login(supervisor)

    for client in (anonymous, password_only):
        response = getattr(client, method)(ENROL, {"otp_token": "123456"})
        assert response.status_code == 302
        assert response["Location"] == LOGIN
    assert not TOTPDevice.objects.exists()


def test_enrolling_is_refused_once_a_device_exists(supervisor: Any, device: TOTPDevice) -> None:
    """A second device is never added by enrolment: only a reset makes room for one."""
    with pytest.raises(ValidationError) as refused:
        device_enrol(user=supervisor, key="ab" * 20, step=1)

    assert refused.value.code == "enrolled"
    assert list(TOTPDevice.objects.filter(user=supervisor)) == [device]
