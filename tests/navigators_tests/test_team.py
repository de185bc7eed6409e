"""The supervisors' team page (navigators.staff_views.team_view, navigators.selectors.team_load):
each navigator's open cases against capacity, overload in words, what is unassigned, at risk
or overdue, with links to the filtered case list and the dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from navigators.selectors import capacity_words, team_load
from navigators.services import case_take
from requests.choices import TargetState
from requests.models import SecondOpinionRequest
from tests.factories import client_for, make_navigator, make_request

pytestmark = pytest.mark.django_db

TEAM = reverse("admin:team")
CASES = reverse("admin:requests_secondopinionrequest_changelist")


def give(user: Any, count: int, state: str = TargetState.ON_TRACK) -> None:
    for _ in range(count):
        case = make_request()
        case_take(case=case, navigator=user.navigator)
        SecondOpinionRequest.objects.filter(pk=case.pk).update(target_state=state)


def test_capacity_in_words() -> None:
    assert capacity_words(3, 10) == "3 of 10"
    assert capacity_words(10, 10) == "Full: 10 of 10"
    assert capacity_words(12, 10) == "Over capacity: 12 open cases for a capacity of 10"


def test_the_team_shows_each_navigators_load_and_the_open_cases_to_watch(
    supervisor: Any, navigator_user: Any
) -> None:
    """Open cases against capacity (overload flagged in words), at risk and overdue per
    navigator; unassigned, at risk and overdue over the whole program."""
    small = make_navigator("small", capacity=2)
    give(small, 2, TargetState.AT_RISK)
    give(small, 1, TargetState.OVERDUE)
    give(navigator_user, 1)
    make_request()
    unassigned_late = make_request()
    SecondOpinionRequest.objects.filter(pk=unassigned_late.pk).update(
        target_state=TargetState.OVERDUE
    )

    team = team_load()

    rows = {row.navigator.user.username: row for row in team.navigators}
    assert (rows["small"].open_cases, rows["small"].at_risk, rows["small"].overdue) == (3, 2, 1)
    assert rows["small"].over_capacity
    assert rows["small"].capacity_words == "Over capacity: 3 open cases for a capacity of 2"
    assert (rows["navigator"].open_cases, rows["navigator"].over_capacity) == (1, False)
    assert (team.unassigned, team.at_risk, team.overdue) == (2, 2, 2)

    html = client_for(supervisor).get(TEAM).content.decode()
    assert "Over capacity: 3 open cases for a capacity of 2" in html
    assert f"{CASES}?navigator__id__exact={small.navigator.pk}" in html
    assert f'href="{CASES}?queue=unassigned"' in html
    assert "target_state__exact=at_risk" in html
    assert "target_state__exact=overdue" in html
    assert f'href="{reverse("requests:dashboard")}"' in html
    assert f"{reverse('admin:today')}?navigator={small.navigator.pk}" in html


def test_the_links_open_the_filtered_case_list(supervisor: Any, navigator_user: Any) -> None:
    """Every filter link of the team page is one the case list accepts."""
    give(navigator_user, 1)
    client = client_for(supervisor)
    for query in (
        f"navigator__id__exact={navigator_user.navigator.pk}",
        "queue=unassigned",
        "queue=open&target_state__exact=at_risk",
        "queue=open&target_state__exact=overdue",
    ):
        assert client.get(f"{CASES}?{query}").status_code == 200, query


@pytest.mark.parametrize("role", ["navigator_user", "records_user", "advocate_user"])
def test_only_supervisors_open_the_team(request: Any, role: str) -> None:
    assert client_for(request.getfixturevalue(role)).get(TEAM).status_code == 403


def count_queries(client: Any) -> int:
    client.get(TEAM)  # the first page of a session renews its expiry: not counted
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TEAM)
    assert response.status_code == 200
    return len(captured)


def test_the_page_costs_the_same_few_queries_with_1_or_many_navigators(
    supervisor: Any, navigator_user: Any
) -> None:
    """At most 15 queries, the same with one navigator and one case as with 8 and 40."""
    give(navigator_user, 1)
    client = client_for(supervisor)
    few = count_queries(client)
    assert few <= 15

    for number in range(7):
        give(make_navigator(f"nav{number}"), 5, TargetState.AT_RISK)
    make_request()

    assert count_queries(client) == few
