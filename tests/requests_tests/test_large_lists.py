"""Long lists on PostgreSQL: searches served by trigram indexes, counts from the planner.

These check plans and queries, not time.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests.models import SecondOpinionRequest
from secondopinion import pagination
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("require_postgres")

CHANGELIST = reverse("admin:requests_secondopinionrequest_changelist")


def admin_search_plan(model: type, term: str, user: Any) -> str:
    """Return PostgreSQL's plan for the admin's search of `term` by `user` (unordered), with
    table and plain index scans off: on a test's few rows the planner would rightly prefer
    those."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    queryset, _duplicates = model_admin.get_search_results(request, model.objects.all(), term)
    with connection.cursor() as cursor:
        # Left only bitmap scans, which need an index whose expression the search matches.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.order_by().explain()


def test_the_case_list_s_name_search_can_use_its_trigram_indexes(supervisor: Any) -> None:
    """The case list's search of a name is the expression its trigram indexes hold, and
    nothing in it keeps them from being used."""
    plan = admin_search_plan(SecondOpinionRequest, "okaf", supervisor)
    assert "request_last_name_trgm_idx" in plan
    assert "request_first_name_trgm_idx" in plan


def test_a_reference_however_typed_is_found_through_its_unique_index(supervisor: Any) -> None:
    """k7m4 9qxp finds K7M4-9QXP through an index on the reference, in the case list and others."""
    case = make_request()
    typed = case.reference.lower().replace("-", " ")
    plan = admin_search_plan(SecondOpinionRequest, typed, supervisor)
    assert f"Index Cond: ((reference)::text = '{case.reference}'::text)" in plan
    client = Client()
    client.force_login(supervisor)
    for url in (CHANGELIST + "?queue=all&q=", "/admin/requests/notification/?q="):
        response = client.get(url + typed)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list)


def test_a_partial_reference_is_found_through_its_trigram_index(supervisor: Any) -> None:
    """Either group of four, or the start, typed in any case with or without the dash, finds
    the case through an index on the reference, in the case list and the others."""
    case = make_request()
    make_request()
    first, second = case.reference.split("-")
    client = Client()
    client.force_login(supervisor)
    for typed in (first.lower(), second.lower(), f"{first}-", f"{first}{second[:2]}".lower()):
        plan = admin_search_plan(SecondOpinionRequest, typed, supervisor)
        # Either group: the trigram index; a longer start: Django's pattern-ops B-tree index.
        index = "request_reference_trgm_idx" if len(typed.strip("-")) == 4 else "_like"
        assert index in plan, typed
        assert "Seq Scan" not in plan
        for url in (CHANGELIST + "?queue=all&q=", "/admin/requests/notification/?q="):
            response = client.get(url + typed)
            assert response.status_code == 200
            found = {
                row.pk if url == CHANGELIST + "?queue=all&q=" else row.case_id
                for row in response.context["cl"].result_list
            }
            assert found == {case.pk}, (typed, url)


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
