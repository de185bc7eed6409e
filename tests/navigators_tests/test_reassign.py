"""The reassign picker (admin:case_reassign, navigators.selectors.navigator_fits_for): each
navigator accepting cases with their languages, disease groups and load, warnings in words of
a language mismatch or overload, and the choice posted to the assign view."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from navigators.models import Navigator
from navigators.selectors import navigator_fits_for
from navigators.services import case_take
from requests.choices import Status
from requests.services import case_transition
from tests.factories import client_for, make_navigator, make_request

pytestmark = pytest.mark.django_db


def picker(case: Any) -> str:
    return reverse("admin:case_reassign", args=[case.pk])


def fits_by_name(case: Any) -> dict[str, Any]:
    return {fit.navigator.user.username: fit for fit in navigator_fits_for(case)}


def test_a_navigator_who_speaks_the_language_and_covers_the_group_fits(
    navigator_user: Any,
) -> None:
    case = make_request(preferred_language="es", cancer_type="thoracic")

    [fit] = navigator_fits_for(case)

    assert fit.fits
    assert fit.languages == ["English", "Español (Spanish)"]
    assert fit.disease_groups == ["Breast cancer", "Lung or chest (thoracic) cancer"]
    assert fit.capacity_words == "0 of 10"


def test_language_mismatch_is_warned_in_words(db: None) -> None:
    """Not speaking the preferred language is named, with or without an interpreter noted."""
    make_navigator("englishonly", languages=("en",))
    alone = make_request(preferred_language="es")
    helped = make_request(preferred_language="es", interpreter_needed=True)

    assert fits_by_name(alone)["englishonly"].warnings == [
        "Does not speak Español (Spanish), the patient's preferred language, and no "
        "interpreter is noted."
    ]
    assert fits_by_name(helped)["englishonly"].warnings == [
        "Does not speak Español (Spanish): every call needs the interpreter the patient asked for."
    ]


def test_a_language_the_form_does_not_list_asks_for_an_interpreter(navigator_user: Any) -> None:
    case = make_request(preferred_language="other", other_language="Tagalog")

    assert fits_by_name(case)["navigator"].warnings == [
        "The patient prefers Tagalog and no interpreter is noted: arrange one."
    ]


def test_overload_and_a_group_not_covered_are_warned(db: None) -> None:
    """A navigator at capacity gets an overload warning; one who does not cover the disease
    group gets that named; the best fit is listed first."""
    full = make_navigator("full", capacity=1)
    case_take(case=make_request(), navigator=full.navigator)
    make_navigator("lungs", disease_groups=("thoracic",))
    make_navigator("roomy", capacity=5)
    case = make_request(cancer_type="breast")

    fits = navigator_fits_for(case)

    # Fewest warnings first, then the most room.
    assert [fit.navigator.user.username for fit in fits] == ["roomy", "lungs", "full"]
    by_name = {fit.navigator.user.username: fit for fit in fits}
    assert by_name["full"].warnings == [
        "Overloaded: already 1 open cases for a capacity of 1; this would be case 2."
    ]
    assert by_name["full"].capacity_words == "Full: 1 of 1"
    assert by_name["lungs"].warnings == ["Does not cover breast cancer."]
    assert by_name["roomy"].warnings == []


def test_filling_the_last_place_is_no_overload(db: None) -> None:
    nearly = make_navigator("nearly", capacity=2)
    case_take(case=make_request(), navigator=nearly.navigator)

    assert fits_by_name(make_request())["nearly"].warnings == []


def test_navigators_not_accepting_cases_are_left_out_but_the_current_one_shown(
    navigator_user: Any, other_navigator_user: Any
) -> None:
    case = make_request()
    case_take(case=case, navigator=navigator_user.navigator)
    Navigator.objects.update(accepting_new_cases=False)
    case.refresh_from_db()

    fits = navigator_fits_for(case)

    assert [(fit.navigator.user.username, fit.is_current) for fit in fits] == [("navigator", True)]


def test_the_page_lists_the_fits_and_posts_the_choice_to_the_assign_view(
    supervisor: Any, navigator_user: Any, other_navigator_user: Any
) -> None:
    """Each navigator has an "Assign to" button posting to admin:case_assign; the warnings
    are on the page; the assignment goes through the assign view and its service."""
    case = make_request(preferred_language="es", cancer_type="thoracic")
    case_take(case=case, navigator=navigator_user.navigator)
    client = client_for(supervisor)

    html = client.get(picker(case)).content.decode()

    assert f'action="{reverse("admin:case_assign", args=[case.pk])}"' in html
    assert f'name="navigator" value="{other_navigator_user.navigator.pk}"' in html
    assert f'name="navigator" value="{navigator_user.navigator.pk}"' not in html  # has it now
    assert "Does not speak Español (Spanish)" in html
    assert "Does not cover lung or chest (thoracic) cancer." in html

    response = client.post(
        reverse("admin:case_assign", args=[case.pk]),
        {"navigator": other_navigator_user.navigator.pk, "note": "Covering a leave."},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.navigator == other_navigator_user.navigator


def test_the_case_page_links_the_picker(supervisor: Any) -> None:
    case = make_request()
    html = (
        client_for(supervisor)
        .get(reverse("admin:requests_secondopinionrequest_change", args=[case.pk]))
        .content.decode()
    )

    assert f'href="{picker(case)}"' in html


def test_a_closed_case_offers_no_choice(supervisor: Any, navigator_user: Any) -> None:
    case = make_request()
    case_take(case=case, navigator=navigator_user.navigator)
    case_transition(case=case, to_status=Status.WITHDRAWN, by=supervisor, note="Moved away.")

    response = client_for(supervisor).get(picker(case))

    assert response.status_code == 200
    assert "cannot be assigned" in response.content.decode()
    assert 'name="navigator"' not in response.content.decode()


@pytest.mark.parametrize("role", ["navigator_user", "records_user", "advocate_user"])
def test_only_supervisors_open_the_picker(request: Any, role: str) -> None:
    case = make_request(last_name="Quillfeather")
    response = client_for(request.getfixturevalue(role)).get(picker(case))

    assert response.status_code == 403
    assert "Quillfeather" not in response.content.decode()


def test_an_unknown_case_is_a_404(supervisor: Any) -> None:
    response = client_for(supervisor).get(reverse("admin:case_reassign", args=[999999]))

    assert response.status_code == 404


def test_the_picker_costs_the_same_few_queries_with_many_navigators(supervisor: Any) -> None:
    make_navigator("first")
    case = make_request()
    client = client_for(supervisor)

    def count() -> int:
        client.get(picker(case))  # the first page of a session renews its expiry
        with CaptureQueriesContext(connection) as captured:
            assert client.get(picker(case)).status_code == 200
        return len(captured)

    few = count()
    assert few <= 15
    for number in range(10):
        user = make_navigator(f"nav{number}")
        case_take(case=make_request(), navigator=user.navigator)

    assert count() == few
