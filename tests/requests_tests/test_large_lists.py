"""Long lists on PostgreSQL: searches served by trigram indexes, counts from the planner.

These check plans and queries, not time.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests.admin.cases import SecondOpinionRequestAdmin
from requests.models import RecordItem, SecondOpinionRequest
from secondopinion import pagination
from tests.conftest import make_request

pytestmark = pytest.mark.usefixtures("require_postgres")

CHANGELIST = reverse("admin:requests_secondopinionrequest_changelist")


def admin_search_plan(model: type, search_fields: tuple[str, ...], term: str) -> str:
    """Return PostgreSQL's plan for the admin's search of `term` (unordered), with table and
    plain index scans off: on a test's few rows the planner would rightly prefer those."""
    site_admin = SecondOpinionRequestAdmin(model, None)
    site_admin.search_fields = search_fields
    queryset, _duplicates = site_admin.get_search_results(None, model.objects.all(), term)
    with connection.cursor() as cursor:
        # Left only bitmap scans, which need an index whose expression the search matches.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.order_by().explain()


@pytest.mark.parametrize(
    ("model", "search_fields", "index"),
    [
        (SecondOpinionRequest, ("last_name",), "request_last_name_trgm_idx"),
        (SecondOpinionRequest, ("first_name",), "request_first_name_trgm_idx"),
        (RecordItem, ("facility",), "record_facility_trgm_idx"),
    ],
)
def test_name_searches_can_use_their_trigram_index(
    model: type, search_fields: tuple[str, ...], index: str
) -> None:
    """The admin's "contains" search of a name is the expression its trigram index holds."""
    assert index in admin_search_plan(model, search_fields, "okaf")


def list_page(client: Client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + "?queue=all")
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def test_a_long_case_list_is_counted_from_the_planner_estimate(
    supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ESTIMATE_ABOVE rows the list runs no COUNT and says "about"."""
    for _n in range(3):
        make_request()
    client = Client()
    client.force_login(supervisor)

    html, queries = list_page(client)
    assert any("COUNT(" in sql for sql in queries)
    assert "about" not in html
    assert "3 second opinion requests" in html

    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 0)
    html, queries = list_page(client)
    assert not any("COUNT(" in sql for sql in queries)
    assert any(sql.startswith("EXPLAIN") for sql in queries)
    assert "about " in html
