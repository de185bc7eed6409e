"""Staff authentication: the TOTP second factor at the admin site, the login lockout, and the
idle and absolute session limits (SECURITY.md, "Person authentication", "Lockout", "Sessions").
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import make_staff
from tests.project_tests.staff_urls import Target, body_of, case_state, request_for, staff_targets
from tests.worlds import (
    PDF,
    SENTINEL_SURNAME,
    CaseWorld,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"
START = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
# A URL parameter, in a route (<int:pk>) or a regex ((?P<app_label>...)).
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture
def superuser(db: None) -> Any:
    return make_staff("root", None, is_superuser=True)


def password_only(user: Any) -> Client:
    """Return a client signed in with the password alone (no second factor)."""
    client = Client()
    client.force_login(user)
    return client


def current_token(device: TOTPDevice) -> str:
    """Return the code the device's authenticator app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_tokens(device: TOTPDevice, count: int) -> list[str]:
    """Return `count` codes the device accepts in none of the windows near now."""
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    reach = device.tolerance + 1  # one window more each way: the clock may turn meanwhile
    valid = {
        f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"
        for t in range(now - reach, now + reach + 1)
    }
    candidates = (f"{n:0{device.digits}d}" for n in range(10**device.digits))
    return list(itertools.islice((c for c in candidates if c not in valid), count))


def otp_login(client: Client, user: Any, device: TOTPDevice, **extra: Any) -> Any:
    return client.post(
        LOGIN,
        {
            "username": user.username,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": current_token(device),
            "next": "/admin/",
        },
        **extra,
    )


def signed_in(client: Client) -> bool:
    """Return whether the client's session belongs to a user."""
    return "_auth_user_id" in client.session


# --- MFA: a password alone reaches nothing -----------------------------------------------

MFA_MATRIX = [
    pytest.param(who, target, id=f"{who}-{target}")
    for who in ("supervisor", "superuser")
    for target in staff_targets()
]


@pytest.mark.parametrize(("who", "target"), MFA_MATRIX)
def test_password_only_session_reaches_no_staff_url(
    who: str, target: Target, world: CaseWorld, superuser: Any, settings: Any
) -> None:
    """With MFA on, a password-only session is sent to login from every URL of the matrix."""
    settings.MFA_REQUIRED = True
    client = password_only(superuser if who == "superuser" else world.users["supervisor"])
    method, url, data = request_for(target, world)
    before = case_state(world, target)

    response = getattr(client, method)(url, data)

    assert response.status_code == 302, url
    assert response["Location"].startswith(LOGIN), url
    assert case_state(world, target) == before
    body = body_of(response)
    assert SENTINEL_SURNAME.encode() not in body
    assert PDF not in body


def named_admin_patterns(
    patterns: list[Any], prefix: str = ""
) -> list[tuple[str, frozenset[str], str]]:
    """Return (name, parameter names, route) of every named URL of the admin site."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += named_admin_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((pattern.name, frozenset(PARAMETER.findall(route)), route))
    return found


def test_password_only_session_reaches_no_named_admin_url(
    world: CaseWorld, superuser: Any, settings: Any
) -> None:
    """With MFA on, every named admin URL but login sends a password-only superuser to login."""
    settings.MFA_REQUIRED = True
    client = password_only(superuser)
    values = {
        "app_label": "requests",
        "content_type_id": ContentType.objects.get_for_model(world.case).pk,
        "object_id": world.case.pk,
        "id": world.users["navigator"].pk,
        "pk": world.case.pk,
        "appointment_pk": world.appointment.pk,
        "change": "cancel",
        "move": "withdraw",
    }
    checked = []
    for name, parameters, route in named_admin_patterns(admin.site.get_urls()):
        if name == "login":
            continue
        url = reverse(f"admin:{name}", kwargs={key: values[key] for key in parameters})
        for method in ("get", "post"):
            # Followed: the logout URL sends a visitor it does not let in to the index first.
            response = getattr(client, method)(url, follow=True)
            assert response.redirect_chain, f"{method.upper()} {url} ({route})"
            assert response.request["PATH_INFO"] == LOGIN, f"{method.upper()} {url}"
            assert SENTINEL_SURNAME not in response.content.decode()
        checked.append(name)
    assert {"password_change", "autocomplete", "app_list", "view_on_site"} <= set(checked)
    assert "auth_user_password_change" in checked


def test_the_login_page_asks_for_a_token_when_mfa_is_required(settings: Any) -> None:
    """With MFA required the login form has an OTP token field; without, it does not."""
    settings.MFA_REQUIRED = True
    assert 'name="otp_token"' in Client().get(LOGIN).content.decode()
    settings.MFA_REQUIRED = False
    assert 'name="otp_token"' not in Client().get(LOGIN).content.decode()


def test_password_without_token_does_not_sign_in(supervisor: Any, settings: Any) -> None:
    """With MFA required the right password without a token leaves the visitor signed out."""
    settings.MFA_REQUIRED = True
    TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    client = Client()

    response = client.post(LOGIN, {"username": "supervisor", "password": PASSWORD})

    assert response.status_code == 200  # the form again, with its error
    assert not signed_in(client)
    assert client.get("/admin/all/")["Location"].startswith(LOGIN)


def test_a_wrong_token_does_not_sign_in(supervisor: Any, settings: Any) -> None:
    """With MFA required a wrong token is refused like a wrong password."""
    settings.MFA_REQUIRED = True
    device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    [wrong] = wrong_tokens(device, 1)
    client = Client()

    client.post(
        LOGIN,
        {
            "username": "supervisor",
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": wrong,
        },
    )

    assert not signed_in(client)
    assert client.get("/admin/all/")["Location"].startswith(LOGIN)


def test_a_valid_totp_login_reaches_the_admin_and_staff_pages(
    supervisor: Any, settings: Any
) -> None:
    """With MFA on, the password and a valid TOTP token sign in to the admin and dashboard."""
    settings.MFA_REQUIRED = True
    device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    client = Client()

    response = otp_login(client, supervisor, device)

    assert response.status_code == 302
    assert response["Location"] == "/admin/team/"
    assert client.get("/admin/all/").status_code == 200
    assert client.get(reverse("requests:dashboard")).status_code == 200


# --- Lockout ---------------------------------------------------------------------------


def fail_logins(
    client: Client, count: int, username: str = "supervisor", **extra: Any
) -> list[Any]:
    return [
        client.post(LOGIN, {"username": username, "password": "wrong password"}, **extra)
        for _ in range(count)
    ]


def log_in(username: str = "supervisor", **extra: Any) -> tuple[Client, Any]:
    client = Client()
    response = client.post(
        LOGIN, {"username": username, "password": PASSWORD, "next": "/admin/"}, **extra
    )
    return client, response


def assert_locked_out(client: Client, response: Any) -> None:
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)


def test_failed_logins_lock_the_address_out(
    supervisor: Any, navigator_user: Any, records_user: Any, settings: Any
) -> None:
    """AXES_FAILURE_LIMIT failures lock the address for every account; others still sign in."""
    attacker = {"REMOTE_ADDR": "198.51.100.10"}
    responses = fail_logins(Client(), settings.AXES_FAILURE_LIMIT, **attacker)
    assert all(response.status_code in {200, 429} for response in responses)
    assert responses[0].status_code == 200  # the first failure is an ordinary form error

    client, response = log_in("navigator", **attacker)
    assert_locked_out(client, response)

    client, response = log_in("records", REMOTE_ADDR="198.51.100.11")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:records_desk")
    assert signed_in(client)


def test_failed_logins_from_many_addresses_lock_the_account(
    supervisor: Any, navigator_user: Any, settings: Any
) -> None:
    """Failures on one account spread over addresses (none reaching its own limit) lock the
    account from any address, right password too; another account there still signs in."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        [response] = fail_logins(Client(), 1, REMOTE_ADDR=f"198.51.100.{20 + n}")
        assert response.status_code in {200, 429}

    client, response = log_in(REMOTE_ADDR="198.51.100.99")
    assert_locked_out(client, response)

    client, response = log_in("navigator", REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 302
    assert signed_in(client)


def test_one_failure_short_of_the_limit_does_not_lock(supervisor: Any, settings: Any) -> None:
    """One failure fewer than AXES_FAILURE_LIMIT leaves the address able to sign in."""
    address = {"REMOTE_ADDR": "198.51.100.12"}
    fail_logins(Client(), settings.AXES_FAILURE_LIMIT - 1, **address)

    client, response = log_in(**address)

    assert response.status_code == 302
    assert signed_in(client)


def test_guessing_tokens_is_slowed_by_a_doubling_throttle(supervisor: Any, settings: Any) -> None:
    """Each wrong token with the right password doubles the device's wait, the valid code too."""
    settings.MFA_REQUIRED = True
    settings.AXES_FAILURE_LIMIT = 100  # the lockout counts these too; here only the throttle
    with time_machine.travel(START, tick=False) as traveller:
        device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
        wait = 0
        for failures in range(1, 6):
            traveller.shift(timedelta(seconds=wait + 1))  # past the throttle: the guess is checked
            [guess] = wrong_tokens(device, 1)
            client = Client()
            client.post(
                LOGIN,
                {
                    "username": "supervisor",
                    "password": PASSWORD,
                    "otp_device": device.persistent_id,
                    "otp_token": guess,
                },
            )
            assert not signed_in(client)
            device.refresh_from_db()
            assert device.throttling_failure_count == failures
            wait = 2 ** (failures - 1)

        client = Client()
        otp_login(client, supervisor, device)
        assert not signed_in(client), "the valid code is refused while the device waits"

        traveller.shift(timedelta(seconds=wait + 1))
        client = Client()
        otp_login(client, supervisor, device)
        assert signed_in(client)


def test_behind_one_proxy_the_lock_keys_on_the_right_most_forwarded_address(
    supervisor: Any, navigator_user: Any, settings: Any
) -> None:
    """Behind one trusted proxy the lockout keys on the right-most X-Forwarded-For address."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    settings.TRUSTED_PROXY_ADDRESSES = [proxy]
    fail_logins(
        Client(),
        settings.AXES_FAILURE_LIMIT,
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.50",
    )

    # The same client, forging another left-hand address: still locked.
    client, response = log_in(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.50")
    assert_locked_out(client, response)
    # Another client behind the same proxy, even naming the locked address on the left (on
    # another account: the supervisor's is locked from everywhere now).
    client, response = log_in(
        "navigator", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50, 203.0.113.51"
    )
    assert response.status_code == 302
    assert signed_in(client)


# --- Sessions --------------------------------------------------------------------------


def test_an_idle_staff_session_ends_after_the_idle_limit(supervisor: Any) -> None:
    """A staff session left idle 16 minutes is signed out (SESSION_COOKIE_AGE is 15)."""
    assert django_settings.SESSION_COOKIE_AGE == 15 * 60
    with time_machine.travel(START, tick=False) as traveller:
        client = password_only(supervisor)
        assert client.get("/admin/all/").status_code == 200

        traveller.shift(timedelta(minutes=16))
        response = client.get("/admin/all/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_pages_renew_the_idle_expiry_at_most_once_a_minute(supervisor: Any) -> None:
    """Pages within a minute of the last renewal write no session; the next one renews it."""
    with time_machine.travel(START, tick=False) as traveller:
        client = password_only(supervisor)
        key = client.cookies[django_settings.SESSION_COOKIE_NAME].value

        def expiry() -> datetime:
            return Session.objects.get(session_key=key).expire_date

        client.get("/admin/all/")
        renewed = expiry()
        assert renewed == START + timedelta(minutes=15)

        traveller.shift(timedelta(seconds=59))
        assert client.get("/admin/all/").status_code == 200
        assert expiry() == renewed

        traveller.shift(timedelta(seconds=1))
        assert client.get("/admin/all/").status_code == 200
        assert expiry() == START + timedelta(minutes=16)


def test_an_active_staff_session_ends_twelve_hours_after_login(supervisor: Any) -> None:
    """A staff session used every 10 minutes survives, but not past 12 hours after login."""
    assert django_settings.STAFF_SESSION_MAX_HOURS == 12
    with time_machine.travel(START, tick=False) as traveller:
        client = password_only(supervisor)
        for step in range(1, 72):  # every 10 minutes up to 11 h 50 min
            traveller.shift(timedelta(minutes=10))
            response = client.get("/admin/all/")
            assert response.status_code == 200, f"signed out after {step * 10} minutes"

        traveller.shift(timedelta(minutes=11))  # 12 h 01 min after login, idle 11 min
        response = client.get("/admin/all/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not signed_in(client)


def test_the_session_key_changes_at_login(supervisor: Any) -> None:
    """Signing in gives the browser a new session key; the one it had before is gone."""
    client = Client()
    before = client.session
    before["language_seen"] = "en"
    before.save()
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    response = client.post(LOGIN, {"username": "supervisor", "password": PASSWORD})

    assert response.status_code == 302
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


def test_the_session_cookie_is_http_only_and_same_site_lax(supervisor: Any) -> None:
    """The session cookie set at login is HttpOnly and SameSite=Lax."""
    response = Client().post(LOGIN, {"username": "supervisor", "password": PASSWORD})

    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_a_superuser_with_a_password_alone_gets_no_document(
    world: CaseWorld, superuser: Any, settings: Any
) -> None:
    """With MFA on, a password-only superuser gets no document; verified by TOTP, they do."""
    settings.MFA_REQUIRED = True
    url = world.document.get_absolute_url()
    assert password_only(superuser).get(url)["Location"].startswith(LOGIN)

    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client = Client()
    assert otp_login(client, superuser, device).status_code == 302
    response = client.get(url)

    assert response.status_code == 200
    assert body_of(response) == PDF
