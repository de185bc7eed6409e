"""The generic read audit: every admin list and object page a member of staff opens is in the
audit trail, whatever its model, so a model admin added later is audited without code.

The middleware looks at what a TemplateResponse is about to render: the admin's change list
(`cl`), an object's change or view page (`original`), its history (`action_list`), a delete
confirmation (`deleted_objects`, or `deletable_objects` for the bulk one), or a custom staff
page about one case (`case`). A view that records its own read first (the case page, a
download, the dashboard) is left to that event. What a list was asked for is kept as names
and numbers: the filters' parameter names, whether a search was typed and its length (never
the term), how many rows matched and the ids of those shown. The admin's autocomplete (a
search answered in JSON) is recorded the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .audit import audit_record, audited_read
from .models import AuditEvent, SecondOpinionRequest


class AuditReadsMiddleware:
    """Write one read event for each staff page that shows records (see the module's doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if (
            match is not None
            and match.view_name == "admin:autocomplete"
            and response.status_code == 200
            and staff_reader(request) is not None
        ):
            # The admin's autocomplete answers a search with JSON, not a template.
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.VIEW_LIST,
                case=None,
                detail=autocomplete_detail(request, response),
                http_request=request,
            )
        return response

    def process_template_response(
        self, request: HttpRequest, response: TemplateResponse
    ) -> TemplateResponse:
        user = staff_reader(request)
        if response.status_code != 200 or user is None or audited_read(request):
            return response
        match = request.resolver_match
        read = page_read(response.context_data or {}, match.url_name if match else "")
        if read is not None:
            action, case, obj, detail = read
            audit_record(
                actor=user, action=action, case=case, obj=obj, detail=detail, http_request=request
            )
        return response


def staff_reader(request: HttpRequest) -> Any:
    """Return the signed-in user of a request, or None (anonymous visitors read nothing)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def autocomplete_detail(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """Describe an autocomplete answer: which field, the search's length, the ids found.

    The admin answers only for a real model and field (it refuses anything else with a 403),
    so their names are safe to keep; the term is not kept.
    """
    results = json.loads(response.content).get("results", [])
    term = request.GET.get("term", "")
    return {
        "view": "autocomplete",
        "model": f"{request.GET.get('app_label', '')}.{request.GET.get('model_name', '')}",
        "field": request.GET.get("field_name", ""),
        "search": bool(term),
        "search_length": len(term),
        "results": len(results),
        "ids": [str(result.get("id", "")) for result in results],
    }


def page_read(
    context: dict[str, Any], view: str
) -> tuple[str, SecondOpinionRequest | None, models.Model | None, dict[str, Any]] | None:
    """Return (action, case, object, detail) for a page that shows records, else None.

    `view` is the URL's name (<app>_<model>_change, case_book ...), kept in the detail.
    """
    page = {"view": view}
    changelist = context.get("cl")
    if isinstance(changelist, ChangeList):
        return AuditEvent.Action.VIEW_LIST, None, None, {**page, **list_detail(changelist)}
    original = context.get("original")
    if isinstance(original, models.Model):
        return AuditEvent.Action.VIEW, case_of(original), original, page
    shown = context.get("object")
    if isinstance(shown, models.Model) and "action_list" in context:
        return AuditEvent.Action.VIEW_HISTORY, case_of(shown), shown, page
    if isinstance(shown, models.Model) and "deleted_objects" in context:
        return AuditEvent.Action.VIEW, case_of(shown), shown, page
    queryset = context.get("queryset")
    if "deletable_objects" in context and hasattr(queryset, "model"):
        detail = {
            **page,
            "model": queryset.model._meta.label_lower,
            "ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        }
        return AuditEvent.Action.VIEW, None, None, detail
    case = context.get("case")
    if isinstance(case, SecondOpinionRequest):
        return AuditEvent.Action.VIEW, case, case, page
    return None


def list_detail(changelist: ChangeList) -> dict[str, Any]:
    """Describe a change list by names and numbers: no filter value, no search term."""
    params = changelist.get_filters_params()
    declared = {
        name for spec in changelist.filter_specs for name in spec.expected_parameters()
    } | date_hierarchy_parameters(changelist)
    applied = sorted(name for name in params if name in declared)
    return {
        "model": changelist.model._meta.label_lower,
        "filters": applied,
        # A parameter the list does not declare is counted, not named: its name is typed
        # by the visitor and could be anything.
        "undeclared_filters": sum(1 for name in params if name not in declared),
        "search": bool(changelist.query),
        "search_length": len(changelist.query),
        "page_number": changelist.page_num,
        "results": changelist.result_count,
        "ids": [str(row.pk) for row in changelist.result_list],
    }


def date_hierarchy_parameters(changelist: ChangeList) -> set[str]:
    field = changelist.date_hierarchy
    if not field:
        return set()
    return {f"{field}__{part}" for part in ("year", "month", "day")}


def case_of(obj: models.Model) -> SecondOpinionRequest | None:
    """Return the case an object belongs to: itself, or its `case` foreign key."""
    if isinstance(obj, SecondOpinionRequest):
        return obj
    case = getattr(obj, "case", None)
    return case if isinstance(case, SecondOpinionRequest) else None
