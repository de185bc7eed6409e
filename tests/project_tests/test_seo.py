"""What search engines see: robots.txt, the icons, the meta descriptions, and noindex on every
page but the program's three."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any
from urllib import robotparser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import Client
from PIL import Image

from requests.models import Notification
from requests.services import notification_send
from tests.factories import form_data, lookup_data, make_request
from tests.project_tests.staff_urls import request_for, staff_targets
from tests.worlds import CaseWorld

pytestmark = pytest.mark.django_db

PROGRAM_PAGES = ("/", "/request/", "/refer/")
DESCRIBED_PAGES = (*PROGRAM_PAGES, "/status/")


def visitor(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def meta(page: str, name: str) -> str | None:
    """Return the content of the page's `<meta name=...>`, or None when it has none."""
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


def says_noindex(response: Any) -> bool:
    return "noindex" in response.get("X-Robots-Tag", "")


# --- robots.txt --------------------------------------------------------------------------


def robots(client: Client) -> robotparser.RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    parser = robotparser.RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


@pytest.mark.parametrize("path", [*PROGRAM_PAGES, "/favicon.ico", "/static/css/portal.css"])
def test_robots_txt_lets_crawlers_read_the_program(client, path: str) -> None:
    """The program's pages and their icon and style may be crawled."""
    assert robots(client).can_fetch("AnyBot", path)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/login/",
        "/dashboard/",
        "/dashboard/export.csv",
        "/documents/0b7a1f3e-9f7e-4a51-8d64-1f1d2c4a6a10/",
        "/status/",
        "/status/open/abc/",
        "/status/view/",
        "/request/thanks/",
        "/refer/thanks/",
        "/health/",
    ],
)
def test_robots_txt_keeps_crawlers_off_staff_status_and_result_pages(client, path: str) -> None:
    """Staff pages, the status pages and the forms' result pages are disallowed."""
    assert not robots(client).can_fetch("AnyBot", path)


# --- Icons -------------------------------------------------------------------------------


def test_the_favicon_is_served_at_the_root(client) -> None:
    """/favicon.ico answers with an ICO the browser can draw, cached for a day."""
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert (32, 32) in icon.info["sizes"]


def test_the_touch_icon_is_served_at_the_root(client) -> None:
    """/apple-touch-icon.png is an opaque 180 by 180 PNG (iOS asks there without looking)."""
    response = client.get("/apple-touch-icon.png")

    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size, image.mode) == ("PNG", (180, 180), "RGB")


def test_the_icons_are_only_read(client) -> None:
    """A post to an icon or to robots.txt is refused."""
    for path in ("/favicon.ico", "/robots.txt"):
        assert client.post(path).status_code == 405


def test_every_page_links_its_icons(client) -> None:
    """The layout names the favicon, the SVG icon and the touch icon, and each file exists."""
    page = client.get("/").content.decode()
    links = dict(re.findall(r'<link rel="(icon|apple-touch-icon)" href="([^"]+)"', page))
    svg = re.search(r'<link rel="icon" href="([^"]+\.svg)" type="image/svg\+xml">', page)
    assert set(links) == {"icon", "apple-touch-icon"}
    assert svg is not None
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    for href in [*links.values(), svg.group(1)]:
        assert href.startswith(static_prefix)
        assert finders.find(href.removeprefix(static_prefix)), href


def test_the_static_icons_are_what_the_root_serves(client) -> None:
    """/favicon.ico serves the same file the layout links (one icon, not two drifting)."""
    linked = Path(finders.find("icons/favicon.ico")).read_bytes()
    assert client.get("/favicon.ico").content == linked


# --- Descriptions ------------------------------------------------------------------------


def test_each_public_page_has_its_own_description_in_both_languages() -> None:
    """Home, the two forms and the status lookup each describe themselves, in each language."""
    described = {}
    for language in ("en", "es"):
        client = visitor(language)
        for path in DESCRIBED_PAGES:
            page = client.get(path).content.decode()
            assert f'<html lang="{language}"' in page
            description = meta(page, "description")
            assert description, (language, path)
            assert 50 <= len(description) <= 230, (language, path, len(description))
            described[language, path] = description
    assert len(set(described.values())) == len(described), described
    assert "segunda opinión" in described["es", "/"].lower()


# --- noindex -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROGRAM_PAGES)
def test_the_program_pages_may_be_indexed(client, path: str) -> None:
    """The program's pages carry neither a noindex header nor a noindex meta tag."""
    response = client.get(path)

    assert response.status_code == 200
    assert "X-Robots-Tag" not in response
    assert meta(response.content.decode(), "robots") is None


def patient_pages(client: Client) -> dict[str, Any]:
    """Return the responses of every public page that shows something about one request."""
    responses = {}
    assert client.post("/request/", form_data()).status_code == 302
    responses["request-thanks"] = client.get("/request/thanks/")
    case = make_request()
    responses["status-sent"] = client.post("/status/", lookup_data(case.reference))
    link = Notification.objects.filter(kind=Notification.Kind.STATUS_LINK).latest("pk")
    assert notification_send(notification_id=link.pk)
    url = re.search(r"\S+/status/open/\S+", mail.outbox[-1].body).group(0)
    responses["status-open"] = client.get(re.sub(r"^https?://[^/]+", "", url))
    token = parse_qs(urlsplit(url).query)["t"][0]
    assert client.post("/status/open/", {"t": token}).status_code == 302
    responses["status-tracker"] = client.get("/status/view/")
    responses["status-withdraw"] = client.get("/status/withdraw/")
    responses["status-withdrawn"] = client.post("/status/withdraw/")
    responses["status-invalid"] = Client().get("/status/view/")
    return responses


def test_pages_about_one_patient_say_noindex_twice(client) -> None:
    """The thanks page and every status page send X-Robots-Tag and a meta robots noindex."""
    for name, response in patient_pages(client).items():
        assert response.status_code in {200, 410}, name
        assert says_noindex(response), name
        assert "noindex" in (meta(response.content.decode(), "robots") or ""), name


def test_form_results_and_error_pages_say_noindex(client) -> None:
    """A form shown again with its errors, the 404 page and the status lookup say noindex."""
    responses = {
        "request-errors": client.post("/request/", {}),
        "refer-errors": client.post("/refer/", {}),
        "status-lookup": client.get("/status/"),
        "404": client.get("/no-such-page/"),
    }
    for name, response in responses.items():
        assert says_noindex(response), name
        assert "noindex" in (meta(response.content.decode(), "robots") or ""), name


def test_the_icons_robots_txt_and_static_files_have_no_robots_header(client) -> None:
    """Files that are not pages carry no X-Robots-Tag (the favicon shows in search results)."""
    for path in ("/robots.txt", "/favicon.ico", "/apple-touch-icon.png"):
        assert "X-Robots-Tag" not in client.get(path), path


def test_every_staff_page_says_noindex(world: CaseWorld) -> None:
    """Every staff URL, generated from the admin site's registry, sends X-Robots-Tag noindex,
    whoever asks (signed in or not)."""
    signed_in = Client()
    signed_in.force_login(world.users["supervisor"])
    for target in staff_targets():
        method, url, data = request_for(target, world)
        for client in (signed_in, Client()):
            response = getattr(client, method)(url, data)
            assert says_noindex(response), (str(target), response.status_code)
