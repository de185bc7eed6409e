"""Response headers, CSRF on every public form, and the production settings' deploy check
(SECURITY.md, "Headers", "Public forms", "Transmission").
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_assign
from requests.models import Notification, SecondOpinionRequest, StatusLink
from requests.services import status_link_mint, status_link_send
from requests.views import STATUS_SESSION_KEY
from tests.factories import form_data, lookup_data, make_request, referral_data
from tests.infra import ROOT
from tests.worlds import CaseWorld

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/request/", "/refer/", "/status/"]
PRODUCTION_ENV = {
    "DEBUG": "0",
    # 64 characters, many distinct: what `check --deploy` asks of a real key.
    "SECRET_KEY": hashlib.sha256(b"headers-and-csrf-test").hexdigest(),
    "ALLOWED_HOSTS": "portal.example.org",
    "SITE_URL": "https://portal.example.org",
    # A production site scans uploads (check --deploy warns otherwise: test_checks.py).
    "CLAMD_SOCKET": "/run/clamav/clamd.ctl",
}


def csp_directives(response: Any) -> dict[str, list[str]]:
    """Return the Content-Security-Policy header as {directive: [sources]}."""
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


# --- Headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_a_strict_policy_and_the_security_headers(client, path: str) -> None:
    """A public page sends a strict CSP (no inline, no framing) and the security headers."""
    response = client.get(path)

    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# Every URL pattern of the portal, by a path that reaches it (or its 404), and unknown URLs.
METHOD_PATHS = [
    *PUBLIC_PAGES,
    "/request/thanks/",
    "/status/open/",
    "/status/view/",
    "/health/",
    "/admin/",
    "/admin/login/",
    "/dashboard/",
    "/i18n/setlang/",
    "/static/css/portal.css",
    "/no-such-page/",
]


@pytest.mark.parametrize(
    "method", ["TRACE", "TRACK", "CONNECT", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "FOO"]
)
@pytest.mark.parametrize("path", METHOD_PATHS)
def test_methods_other_than_get_head_post_are_refused_everywhere(
    client, method: str, path: str
) -> None:
    """TRACE and any method but GET, HEAD and POST get a 405 naming the three, on any URL."""
    response = client.generic(method, path)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert response.content == b""


def test_trace_does_not_echo_the_request(client) -> None:
    """A TRACE's headers (a cookie, say) are not sent back."""
    client.cookies["sessionid"] = "secret-session-value"
    response = client.generic("TRACE", "/", HTTP_X_SECRET="echo-me")
    assert b"secret-session-value" not in response.content
    assert b"echo-me" not in response.content


# --- Proxy headers -------------------------------------------------------------------------


@pytest.fixture
def behind_a_proxy(settings: Any) -> None:
    """The production settings' trust in X-Forwarded-Proto, and an HTTPS redirect."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXY_ADDRESSES = ["127.0.0.1", "::1"]


def test_x_forwarded_proto_from_the_local_proxy_is_trusted(client, behind_a_proxy) -> None:
    """From the proxy's address, "https" is believed: the page is served."""
    response = client.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200


@pytest.mark.parametrize("remote", ["203.0.113.9", "10.0.0.2", "::ffff:127.0.0.1", ""])
def test_x_forwarded_proto_from_any_other_client_is_dropped(
    client, behind_a_proxy, remote: str
) -> None:
    """From any other address the header is dropped: the request is plain HTTP (redirected)."""
    response = client.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_x_forwarded_for_from_another_client_does_not_choose_the_counted_address(
    client, settings
) -> None:
    """A client that is not the proxy cannot escape the per-address limit by naming other
    addresses in X-Forwarded-For: its own address is counted."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PUBLIC_POSTS_PER_HOUR = 1
    direct = {"REMOTE_ADDR": "203.0.113.9"}

    first = client.post("/status/", {}, HTTP_X_FORWARDED_FOR="198.51.100.1", **direct)
    second = client.post("/status/", {}, HTTP_X_FORWARDED_FOR="198.51.100.2", **direct)

    assert (first.status_code, second.status_code) == (400, 429)


# --- The language cookie ---------------------------------------------------------------------


def test_the_language_cookie_is_lax_and_http_only(client) -> None:
    """Choosing a language sets a cookie sent on no other site's requests, read by no script."""
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    cookie = response.cookies["django_language"]
    assert cookie.value == "es"
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]


def test_the_language_cookie_is_secure_when_the_settings_say(client, settings) -> None:
    """With LANGUAGE_COOKIE_SECURE (production) the cookie is sent over HTTPS only."""
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.cookies["django_language"]["secure"]


def test_the_admin_allows_inline_styles_but_no_inline_script(client) -> None:
    """Under /admin/ the policy allows inline styles only: scripts stay 'self', framing 'none'."""
    directives = csp_directives(client.get("/admin/login/"))

    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


def _thanks(client: Client) -> str:
    assert client.post("/request/", form_data()).status_code == 302
    return "/request/thanks/"


def _referral_thanks(client: Client) -> str:
    assert client.post("/refer/", referral_data()).status_code == 302
    return "/refer/thanks/"


def _status_tracker(client: Client) -> str:
    case = make_request()
    session = client.session
    until = timezone.now() + timedelta(minutes=30)
    session[STATUS_SESSION_KEY] = {"id": case.pk, "until": until.isoformat()}
    session.save()
    return "/status/view/"


PATIENT_PAGES: dict[str, Callable[[Client], str]] = {
    "request-thanks": _thanks,
    "referral-thanks": _referral_thanks,
    "status-tracker": _status_tracker,
}


@pytest.mark.parametrize("page", PATIENT_PAGES)
def test_public_pages_about_a_patient_are_not_stored(client, page: str) -> None:
    """The thanks pages and the status tracker send Cache-Control no-store."""
    path = PATIENT_PAGES[page](client)

    response = client.get(path)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("page", ["case", "document", "dashboard", "dashboard_export"])
def test_staff_pages_with_patient_data_are_not_stored(world: CaseWorld, page: str) -> None:
    """The admin case page, a document download and the dashboard send no-store."""
    paths = {
        "case": reverse("admin:requests_secondopinionrequest_change", args=[world.case.pk]),
        "document": world.document.get_absolute_url(),
        "dashboard": reverse("requests:dashboard"),
        "dashboard_export": reverse("requests:dashboard_export"),
    }
    client = Client()
    client.force_login(world.users["supervisor"])

    response = client.get(paths[page])

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    if page == "document":
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")


# --- CSRF ------------------------------------------------------------------------------


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_the_request_form_without_a_token_is_refused() -> None:
    """A post of the request form without a CSRF token is a 403 and saves nothing."""
    client = csrf_client()
    assert "csrfmiddlewaretoken" in client.get("/request/").content.decode()

    response = client.post("/request/", form_data())

    assert response.status_code == 403
    assert not SecondOpinionRequest.objects.exists()
    assert not Notification.objects.exists()


def test_the_referral_form_without_a_token_is_refused() -> None:
    """A post of the referral form without a CSRF token is a 403 and saves nothing."""
    response = csrf_client().post("/refer/", referral_data())

    assert response.status_code == 403
    assert not SecondOpinionRequest.objects.exists()


def test_the_status_lookup_without_a_token_is_refused() -> None:
    """A post of the status lookup without a CSRF token is a 403 and sends no link."""
    case = make_request()
    data = lookup_data(case.reference, email=case.email)

    response = csrf_client().post("/status/", data)

    assert response.status_code == 403
    assert not StatusLink.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.STATUS_LINK).exists()


def test_opening_a_status_link_without_a_token_is_refused() -> None:
    """A post to a status link without a CSRF token is a 403 and leaves the link unused."""
    case = make_request()
    link = status_link_send(case=case, email=case.email)
    url = status_link_mint(link_id=link.pk)
    token = parse_qs(urlsplit(url).query)["t"][0]

    response = csrf_client().post("/status/open/", {"t": token})

    assert response.status_code == 403
    link.refresh_from_db()
    assert link.used_at is None


def test_withdrawing_without_a_token_is_refused() -> None:
    """A withdrawal posted without a CSRF token is a 403 and the request stays open."""
    client = csrf_client()
    _status_tracker(client)
    case = SecondOpinionRequest.objects.get()

    response = client.post("/status/withdraw/")

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.is_open


def test_the_staff_login_without_a_token_is_refused(supervisor: Any) -> None:
    """The admin login posted without a CSRF token is a 403 and signs no one in."""
    client = csrf_client()

    response = client.post(
        "/admin/login/", {"username": "supervisor", "password": "correct horse battery staple"}
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_staff_case_change_without_a_token_is_refused(navigator_user: Any, supervisor) -> None:
    """A signed-in navigator's case change posted without a CSRF token is a 403."""
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    client = csrf_client()
    client.force_login(navigator_user)

    response = client.post(
        reverse("admin:case_transition", args=[case.pk]), {"to_status": "gathering_records"}
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "assigned"


# --- Production settings -----------------------------------------------------------------


def run_with_production_env(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a Python command in the project with DEBUG off and production-like settings."""
    unset = {"DATABASE_URL", "REDIS_URL", "MFA_REQUIRED", "SECURE_SSL_REDIRECT"}
    unset |= {"SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "EMAIL_URL"}
    unset |= {"DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for the browser tests, never in production
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="secondopinion.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    """`manage.py check --deploy --fail-level WARNING` exits 0 with no warning."""
    result = run_with_production_env("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper()
    assert "System check identified no issues" in output


def test_production_settings_secure_the_transport() -> None:
    """With DEBUG off: secure cookies, HTTPS redirect, HSTS of a year or more, MFA required."""
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.MFA_REQUIRED, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE, s.TRUSTED_PROXY_ADDRESSES)"
    )
    result = run_with_production_env("-c", script)

    assert result.returncode == 0, result.stderr
    cookie, csrf, redirect, hsts, subdomains, mfa, httponly, samesite, *rest = result.stdout.split(
        " ", 10
    )
    language_secure, language_samesite, proxies = rest
    assert (language_secure, language_samesite) == ("True", "Lax")
    assert proxies.strip() == "['127.0.0.1', '::1']"
    assert (cookie, csrf, redirect) == ("True", "True", "True")
    assert int(hsts) >= 365 * 24 * 3600
    assert (subdomains, mfa, httponly, samesite) == ("True", "True", "True", "Lax")
