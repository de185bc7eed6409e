"""The landing pages in Chromium: a navigator lands on Today and takes a case from the queue
in one click (which opens it in its workspace); Today, the team and the reassign picker fit
1280 px and 390 px without sideways scrolling and have no serious or critical axe violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from navigators.services import case_take
from requests.choices import TargetState
from requests.models import CaseNote, SecondOpinionRequest
from tests.e2e.browser import screenshot
from tests.e2e.checks import serious_violations
from tests.factories import STAFF_PASSWORD, make_navigator, make_request

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1280, 390)


def check(page: Any, name: str, width: int) -> None:
    """The page fits the width and passes axe; a picture is kept."""
    screenshot(page, f"landing-{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert serious_violations(page) == [], name


def sign_in(browser: Any, live_server: Any, username: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 800)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    return page


def unassigned(**fields: Any) -> SecondOpinionRequest:
    """Return a new case nobody is assigned automatically (no navigator covers sarcoma)."""
    case = make_request(cancer_type="sarcoma", **fields)
    assert case.navigator_id is None
    return case


def a_day_of_work(user: Any) -> None:
    """Give the navigator a case in each place of the day's order."""
    now = timezone.now()
    for days, state, contact_hours in (
        (5, TargetState.ON_TRACK, None),
        (4, TargetState.ON_TRACK, 30),
        (1, TargetState.AT_RISK, 2),
        (-1, TargetState.OVERDUE, 3),
    ):
        case = unassigned(last_name="Papadopoulou-Featherstonehaugh")
        case_take(case=case, navigator=user.navigator)
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            target_date=timezone.localdate() + timedelta(days=days), target_state=state
        )
        if contact_hours is not None:
            CaseNote.objects.create(
                case=case,
                kind=CaseNote.Kind.CALL,
                outcome=CaseNote.Outcome.NO_ANSWER,
                body="Called.",
                author=user,
                created_at=now - timedelta(hours=contact_hours),
            )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_navigator_lands_on_today_and_takes_a_case_in_one_click(
    browser: Any, live_server: Any, navigator_user: Any, width: int
) -> None:
    a_day_of_work(navigator_user)
    waiting = unassigned(preferred_language="es", interpreter_needed=True)
    page = sign_in(browser, live_server, "navigator", width)

    assert page.url == live_server.url + "/admin/today/"
    check(page, "today", width)

    page.get_by_role("button", name=f"Take {waiting.reference}").click()
    # Taken, the case opens in its workspace: the first call is next.
    page.wait_for_url(f"**/admin/requests/secondopinionrequest/{waiting.pk}/change/")

    waiting.refresh_from_db()
    assert waiting.navigator_id == navigator_user.navigator.pk
    page.goto(live_server.url + "/admin/today/")
    assert page.get_by_role("link", name=waiting.reference).count() == 1
    check(page, "today-after-take", width)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_team_and_the_picker_fit_and_pass_axe(
    browser: Any, live_server: Any, supervisor: Any, navigator_user: Any, width: int
) -> None:
    a_day_of_work(navigator_user)
    make_navigator("englishonly", languages=("en",), capacity=2)
    case = unassigned(preferred_language="es")
    case_take(case=case, navigator=navigator_user.navigator)
    unassigned()
    page = sign_in(browser, live_server, "supervisor", width)

    assert page.url == live_server.url + "/admin/team/"
    check(page, "team", width)

    page.goto(live_server.url + f"/admin/requests/secondopinionrequest/{case.pk}/reassign/")
    check(page, "reassign", width)

    page.goto(live_server.url + f"/admin/today/?navigator={navigator_user.navigator.pk}")
    check(page, "today-supervisor", width)
    page.context.close()
