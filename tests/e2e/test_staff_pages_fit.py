"""Every staff page each role can open fits the screen and passes axe: no sideways scrolling at
1280 px or 390 px, and no serious or critical WCAG 2.2 AA violation.

The pages are every GET of the staff-URL list (tests/project_tests/staff_urls.py, generated
from the admin site's registry and the named staff pages), so a page added later is checked
as soon as it is on that list.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e.browser import screenshot
from tests.e2e.checks import serious_violations, sideways_overflow
from tests.project_tests.staff_urls import request_for, staff_targets
from tests.worlds import CaseWorld

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1280, 390)


def pages_open_to(user: Any, world: CaseWorld) -> list[tuple[str, str]]:
    """Return (name, URL) of every staff page (GET, HTML) that `user` may open."""
    client = Client()
    client.force_login(user)
    found = []
    for target in staff_targets():
        method, url, _data = request_for(target, world)
        if method != "get":
            continue
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            found.append((str(target), url))
    return found


def signed_in_context(browser: Any, live_server: Any, user: Any, width: int) -> Any:
    """Return a browser context at `width` holding a signed-in session of `user`."""
    client = Client()
    client.force_login(user)
    phone = width < 768
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900}, is_mobile=phone
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["supervisor", "navigator", "records", "advocate"])
def test_every_staff_page_fits_and_passes_axe(
    role: str, width: int, world: CaseWorld, browser: Any, live_server: Any
) -> None:
    """axe runs at the desktop width only: what it checks does not change with the width."""
    user = world.users[role]
    pages = pages_open_to(user, world)
    assert pages, f"{role} opens no staff page"
    problems = []
    context = signed_in_context(browser, live_server, user, width)
    page = context.new_page()
    for name, url in pages:
        page.goto(live_server.url + url)
        overflow = sideways_overflow(page)
        if overflow > 0:
            screenshot(page, f"fit-{role}-{width}-{name.replace(':', '-')}")
            problems.append(f"{name}: {overflow} px too wide")
        if width == WIDTHS[0]:
            problems += [f"{name}: {found}" for found in serious_violations(page)]
    context.close()
    assert problems == [], f"{role} at {width} px:\n" + "\n".join(problems)
