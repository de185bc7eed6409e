"""Each staff page takes at most 15 SQL queries, and as many for a large case load as a small.

These count queries; they never time anything. The case lists ("My cases", all cases) and the
records worklist have their own such tests beside their other tests; these cover the
unassigned queue, the searches, the case page for each role that opens it, and the dashboard.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navigators.models import Navigator
from navigators.roles import NAVIGATORS
from requests.choices import Status, TargetState
from requests.models import (
    Appointment,
    Assignment,
    CaseNote,
    Document,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
    SupportTask,
)
from tests.factories import make_request, make_staff, verified_client

pytestmark = pytest.mark.django_db

BUDGET = 15  # bench/README.md: at most 15 SQL queries per staff page
CHANGELIST = "admin:requests_secondopinionrequest_changelist"
CHANGE = "admin:requests_secondopinionrequest_change"


@pytest.fixture(autouse=True)
def _second_factor_required(settings: Any) -> None:
    settings.MFA_REQUIRED = True  # as in production: one query more on every page


def queries_of(client: Client, url: str, assert_max: Any) -> tuple[int, Any]:
    """Return the queries one GET of `url` takes (at most BUDGET), and its response.

    `assert_max` is pytest-django's django_assert_max_num_queries. A first GET comes before:
    it renews the new session, which later pages do at most once a minute
    (SessionRenewalMiddleware).
    """
    assert client.get(url).status_code == 200
    with assert_max(BUDGET) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), response


def add_cases(count: int, navigators: list[Navigator | None], last_name: str = "Lopez") -> None:
    """Add open cases spread over `navigators` (None: unassigned) and the target states."""
    states = [TargetState.ON_TRACK, TargetState.AT_RISK, TargetState.OVERDUE]
    for n in range(count):
        case = make_request(last_name=last_name)
        navigator = navigators[n % len(navigators)]
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            navigator=navigator,
            assigned_at=timezone.now() if navigator else None,
            status=Status.ASSIGNED if navigator else Status.NEW,
            target_state=states[n % 3],
            target_date=timezone.localdate() + timedelta(days=n % 9 - 2),
        )


def navigators(count: int, start: int = 0) -> list[Navigator]:
    return [
        Navigator.objects.create(
            user=make_staff(f"nav{n}", NAVIGATORS), disease_groups=["breast"], languages=["en"]
        )
        for n in range(start, start + count)
    ]


def grow_case(case: SecondOpinionRequest, count: int, by: Any, navigator: Navigator) -> None:
    """Give a case `count` more of everything its page lists."""
    now = timezone.now()
    for n in range(count):
        item = RecordItem.objects.create(
            case=case, kind=RecordItem.Kind.values[n % 4], facility=f"Clinic {n}"
        )
        Document.objects.create(
            case=case,
            record_item=item,
            file=f"documents/{uuid.uuid4()}.pdf",
            original_name=f"report-{n}.pdf",
            content_type="application/pdf",
            size=1000,
            sha256="0" * 64,
            scan_state=Document.ScanState.CLEAN,  # Shown: a new row waits for its scan.
            uploaded_by=by,
        )
        CaseNote.objects.create(case=case, body=f"Call {n}", author=by)
        StatusChange.objects.create(
            case=case, from_status=Status.NEW, to_status=Status.ASSIGNED, changed_by=by
        )
        Assignment.objects.create(
            case=case, navigator=navigator, previous_navigator=navigator, assigned_by=by
        )
        Appointment.objects.create(
            case=case,
            starts_at=now + timedelta(days=n + 1),
            specialty=Appointment.Specialty.values[0],
            clinician=f"Dr {n}",
            booked_by=by,
        )
        SupportTask.objects.get_or_create(case=case, kind=SupportTask.Kind.values[n % 3])
        Notification.objects.create(
            case=case,
            kind=Notification.Kind.values[0],
            dedupe_key=str(uuid.uuid4()),
            recipient="patient@example.org",
        )


def test_the_unassigned_queue_costs_the_same_at_5_and_40_cases(
    supervisor, django_assert_max_num_queries: Any
) -> None:
    """The unassigned queue takes as many queries for 40 waiting cases as for 5."""
    client = verified_client(supervisor)
    url = reverse(CHANGELIST) + "?queue=unassigned"
    add_cases(5, [None])
    few, response = queries_of(client, url, django_assert_max_num_queries)
    assert len(response.context["cl"].result_list) == 5
    add_cases(35, [None])
    add_cases(10, navigators(2))
    many, response = queries_of(client, url, django_assert_max_num_queries)
    assert len(response.context["cl"].result_list) == 40
    assert many == few


def test_search_by_reference_costs_the_same_among_5_and_40_cases(
    supervisor, django_assert_max_num_queries: Any
) -> None:
    """Finding one case by its reference, typed loosely, takes as many queries among 40."""
    client = verified_client(supervisor)
    add_cases(5, [None])
    case = SecondOpinionRequest.objects.first()
    url = reverse(CHANGELIST) + "?queue=all&q=" + case.reference.replace("-", " ").lower()
    few, response = queries_of(client, url, django_assert_max_num_queries)
    assert list(response.context["cl"].result_list) == [case]
    add_cases(35, [None, *navigators(2)])
    many, response = queries_of(client, url, django_assert_max_num_queries)
    assert list(response.context["cl"].result_list) == [case]
    assert many == few


def test_search_by_patient_name_costs_the_same_for_3_and_30_matches(
    supervisor, django_assert_max_num_queries: Any
) -> None:
    """A search by last name takes as many queries for 30 matching cases as for 3."""
    client = verified_client(supervisor)
    url = reverse(CHANGELIST) + "?queue=all&q=okafor"
    add_cases(3, [None], last_name="Okafor")
    add_cases(5, [None])
    few, response = queries_of(client, url, django_assert_max_num_queries)
    assert len(response.context["cl"].result_list) == 3
    add_cases(27, [None, *navigators(2)], last_name="Okafor")
    many, response = queries_of(client, url, django_assert_max_num_queries)
    assert len(response.context["cl"].result_list) == 30
    assert many == few


# Records staff and advocates have no case page (navigators/roles.py).
@pytest.mark.parametrize("role", ["navigator_user", "supervisor"])
def test_the_case_page_costs_the_same_with_1_and_12_of_everything(
    role: str,
    request: pytest.FixtureRequest,
    navigator_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """A case page takes as many queries with 12 notes, items, documents... as with 1."""
    user = request.getfixturevalue(role)
    navigator = navigator_user.navigator
    navigators(3)  # the supervisor's assign form lists them all
    add_cases(1, [navigator])
    case = SecondOpinionRequest.objects.get()
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status=Status.READY_TO_SCHEDULE)
    grow_case(case, 1, navigator_user, navigator)
    client = verified_client(user)
    url = reverse(CHANGE, args=[case.pk])

    few, _response = queries_of(client, url, django_assert_max_num_queries)
    grow_case(case, 11, navigator_user, navigator)
    navigators(5, start=3)
    many, response = queries_of(client, url, django_assert_max_num_queries)

    assert many == few
    assert response.content.decode().count("report-") >= 12  # the documents are listed


def test_the_dashboard_costs_the_same_at_6_and_60_cases(
    require_postgres: None, supervisor, django_assert_max_num_queries: Any
) -> None:
    """The dashboard takes as many queries for 60 cases, 6 navigators, 20 facilities as for 6.

    On PostgreSQL, which computes the medians; SQLite (local demos) reads rows for them.
    """
    client = verified_client(supervisor)
    now = timezone.now()

    def add(count: int, staff: list[Navigator | None], start: int) -> None:
        add_cases(count, staff)
        for n, case in enumerate(SecondOpinionRequest.objects.filter(first_appointment_at=None)):
            SecondOpinionRequest.objects.filter(pk=case.pk).update(
                first_appointment_at=case.submitted_at + timedelta(days=n % 9),
                target_state=TargetState.MET if n % 2 else TargetState.MISSED,
                cancer_type=["breast", "thoracic", "melanoma"][n % 3],
            )
            RecordItem.objects.create(
                case=case,
                kind=RecordItem.Kind.PATHOLOGY_REPORT,
                facility=f"Clinic {start + n}",
                status=RecordItem.State.RECEIVED,
                requested_at=now - timedelta(days=5),
                received_at=now - timedelta(days=n % 4),
            )

    add(6, [None, *navigators(1)], start=0)
    few, _response = queries_of(
        client, reverse("requests:dashboard"), django_assert_max_num_queries
    )
    add(54, [None, *navigators(5, start=1)], start=6)
    many, response = queries_of(
        client, reverse("requests:dashboard"), django_assert_max_num_queries
    )

    assert many == few
    assert "Clinic" in response.content.decode()
