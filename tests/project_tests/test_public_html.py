"""The Nu Html Checker (vnu-jar, run with the machine's Java) over the HTML of every public page
and state, in English and in Spanish: zero errors.

Each page is fetched through the test client in the state a visitor meets it (blank, with
errors, after a valid post, the status link's pages, the error pages), written to a folder, and
the checker reads them all in one run, so that the test costs one Java start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from navigators.services import case_assign
from requests.choices import Status
from requests.models import Notification, RecordItem
from requests.services import appointment_book, case_transition, notification_send
from secondopinion.views import server_error
from tests.factories import PATIENT_DOB, form_data, lookup_data, make_request
from tests.infra import ROOT

pytestmark = pytest.mark.django_db

VNU_JAR = ROOT / ".ci" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "npm ci --prefix .ci --ignore-scripts --no-audit --no-fund"
LANGUAGES = ("en", "es")


def referral_post() -> dict[str, str]:
    """Return a valid post of the referral form."""
    return {
        "provider_name": "Dr. Amelia Grant",
        "npi": "1234567893",
        "practice": "Grant Family Medicine",
        "provider_phone": "617-555-0134",
        "provider_email": "office@grantfamily.example.org",
        "referral_urgent": "routine",
        "patient_aware": "yes",
        "patient_in_hospital": "no",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB.isoformat(),
        "phone": "617-555-0123",
        "email": "maria.lopez@example.com",
        "preferred_language": "en",
        "cancer_type": "breast",
        "referral_reason": "Second opinion on adjuvant therapy before it starts.",
        "consent_records": "on",
        "submission_key": str(uuid.uuid4()),
    }


def visitor(language: str, address: str, **options: Any) -> Client:
    """Return a client that has chosen `language` with the language switch (its cookie)."""
    client = Client(REMOTE_ADDR=address, **options)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page(response: Any, status: int) -> str:
    """Return the HTML of a response, after checking that it is the state we meant."""
    assert response.status_code == status, (response.status_code, response.get("Location"))
    return response.content.decode()


def status_link_token() -> str:
    """Send the newest status link the outbox owes and return the token it carries (the link
    exists only in the email: the outbox keeps the link's id, not its URL)."""
    notification = Notification.objects.filter(kind=Notification.Kind.STATUS_LINK).latest("pk")
    assert notification_send(notification_id=notification.pk)
    url = re.search(r"\S+/status/open/\S+", mail.outbox[-1].body).group(0)
    return parse_qs(urlsplit(url).query)["t"][0]


def public_pages(language: str, number: int, staff: dict[str, Any], settings: Any) -> dict:
    """Return {name: html} for every public page and state, as a visitor in `language` sees it.

    `number` keeps each language's visitors on their own client addresses (rate limits and
    the login lockout count per address).
    """
    pages: dict[str, str] = {}
    client = visitor(language, f"198.51.100.{number}")

    pages["home"] = page(client.get("/"), 200)
    pages["request-blank"] = page(client.get("/request/"), 200)
    pages["request-errors"] = page(client.post("/request/", {}), 400)
    pages["request-refused"] = page(client.post("/request/", form_data(website="x")), 400)
    assert client.post("/request/", form_data()).status_code == 302
    pages["request-thanks"] = page(client.get("/request/thanks/"), 200)

    pages["refer-blank"] = page(client.get("/refer/"), 200)
    pages["refer-errors"] = page(client.post("/refer/", {}), 400)
    assert client.post("/refer/", referral_post()).status_code == 302
    pages["refer-thanks"] = page(client.get("/refer/thanks/"), 200)

    case = make_request(needs_records_help=True)
    if case.navigator_id is None:
        case_assign(case=case, navigator=staff["navigator"].navigator, by=staff["supervisor"])
    case.record_items.update(status=RecordItem.State.RECEIVED)
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=staff["navigator"])
    appointment_book(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty="medical",
        clinician="Dr. Helen Park",
        modality="in_person",
        location="Yawkey Center, floor 9",
        by=staff["navigator"],
    )
    pages["status-blank"] = page(client.get("/status/"), 200)
    pages["status-errors"] = page(client.post("/status/", {}), 400)
    lookup = lookup_data(case.reference)
    pages["status-sent"] = page(client.post("/status/", lookup), 200)
    token = status_link_token()
    pages["status-open"] = page(client.get("/status/open/", {"t": token}), 200)
    pages["status-invalid-link"] = page(
        client.post("/status/open/", {"t": token[:-3] + "xyz"}), 410
    )
    pages["status-no-session"] = page(visitor(language, "192.0.2.9").get("/status/view/"), 410)
    assert client.post("/status/open/", {"t": token}).status_code == 302
    pages["status-tracker"] = page(client.get("/status/view/"), 200)
    pages["status-withdraw"] = page(client.get("/status/withdraw/"), 200)
    pages["status-withdrawn"] = page(client.post("/status/withdraw/"), 200)
    pages["status-tracker-withdrawn"] = page(client.get("/status/view/"), 200)
    pages["status-withdraw-closed"] = page(client.get("/status/withdraw/"), 200)

    pages["404"] = page(client.get("/no-such-page/"), 404)
    too_many_fields = {f"field{index}": "x" for index in range(300)}
    hostile = visitor(language, f"198.51.100.{number}", raise_request_exception=False)
    pages["400"] = page(hostile.post("/request/", too_many_fields), 400)
    pages["400-charset"] = page(
        client.generic(
            "POST",
            "/request/",
            b"a=b",
            content_type="multipart/form-data; boundary=x; charset=rot13",
        ),
        400,
    )
    strict = visitor(language, f"198.51.100.{number}")
    strict.handler.enforce_csrf_checks = True
    pages["403-csrf"] = page(strict.post("/request/", form_data()), 403)
    pages["413"] = page(
        client.generic(
            "POST",
            "/request/",
            b"",
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
        ),
        413,
    )
    records = visitor(language, f"198.51.100.{number}")
    records.force_login(staff["records"])
    pages["403"] = page(records.get("/dashboard/"), 403)

    locked = visitor(language, f"203.0.113.{number}")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        locked.post("/admin/login/", {"username": "records", "password": "wrong password"})
    pages["lockout"] = page(
        locked.post("/admin/login/", {"username": "records", "password": "wrong password"}), 429
    )

    settings.PUBLIC_POSTS_PER_HOUR = 1
    limited = visitor(language, f"192.0.2.{number}")
    limited.post("/refer/", {})
    pages["429"] = page(limited.post("/refer/", {}), 429)
    settings.PUBLIC_POSTS_PER_HOUR = 20

    # LocaleMiddleware has chosen the language by the time a view fails.
    with translation.override(language):
        pages["500"] = page(server_error(RequestFactory().get("/")), 500)
    return pages


@pytest.fixture
def vnu() -> list[str]:
    """The checker's command line, or a skip saying what to install."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("needs Java for the Nu Html Checker (apt-get install -y default-jre-headless)")
    if not VNU_JAR.exists():
        pytest.skip(f"needs the Nu Html Checker in .ci/node_modules ({INSTALL_HINT})")
    return [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


@pytest.fixture
def every_page(
    settings: Any, supervisor: Any, navigator_user: Any, records_user: Any
) -> dict[str, str]:
    """Every public page and state in both languages, as {"<language>-<state>": html}."""
    staff = {"supervisor": supervisor, "navigator": navigator_user, "records": records_user}
    pages = {}
    for number, language in enumerate(LANGUAGES, start=10):
        for name, html in public_pages(language, number, staff, settings).items():
            pages[f"{language}-{name}"] = html
    return pages


# Words of the English pages that no Spanish page may show.
ENGLISH_WORDS = re.compile(r"\b(?:the|Please|Call|your|Skip)\b")


def test_every_page_is_in_the_language_the_visitor_chose(every_page: dict[str, str]) -> None:
    """Each page declares the visitor's language, and the Spanish pages show no English."""
    for name, html in every_page.items():
        language = name.split("-", 1)[0]
        assert f'<html lang="{language}"' in html, name
    for name, html in every_page.items():
        if name.startswith("es-"):
            text = re.sub(r"<[^>]+>", " ", html)
            assert ENGLISH_WORDS.findall(text) == [], name
            assert ENGLISH_WORDS.search(re.sub(r"<[^>]+>", " ", every_page["en" + name[2:]]))


def test_the_nu_html_checker_finds_no_error(
    vnu: list[str], every_page: dict[str, str], tmp_path: Path
) -> None:
    """Zero errors from the Nu Html Checker on every public page and state, in both languages."""
    files = []
    for name, html in every_page.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [*vnu, *files], capture_output=True, text=True, timeout=240, check=False
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    errors = [
        f"{Path(urlsplit(message.get('url', '')).path).stem}:{message.get('lastLine')}: "
        f"{message['message']} [{message.get('extract', '').strip()}]"
        for message in report["messages"]
        if message["type"] in {"error", "non-document-error"}
    ]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stderr[-2000:]
