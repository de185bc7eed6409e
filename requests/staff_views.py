"""Staff pages outside the admin: the program dashboard and its CSV export."""

from __future__ import annotations

import csv
import uuid

from django.contrib import admin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from navigators.access import document_for_user, require_dashboard
from secondopinion.admin_site import staff_view
from secondopinion.csvsafe import csv_safe_row

from .audit import audit_record
from .choices import TargetState
from .models import AuditEvent
from .selectors.dashboard import (
    WINDOWS,
    cases_needing_attention,
    open_by_target_state,
    program_figures,
    slowest_facilities,
    weekly,
    weekly_chart,
)


@never_cache
@staff_view
def document_download(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    """Send a document as an attachment to staff allowed to see it, and audit the download."""
    document = document_for_user(request.user, public_id)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        case=document.case,
        obj=document,
        http_request=request,
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show open cases by target state, the cases at risk, and how the program performs."""
    require_dashboard(request.user)
    weeks = weekly()
    at_risk = list(cases_needing_attention(TargetState.AT_RISK))
    overdue = list(cases_needing_attention(TargetState.OVERDUE))
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        case=None,
        detail={
            "view": "dashboard",
            "at_risk": [case.pk for case in at_risk],
            "overdue": [case.pk for case in overdue],
        },
        http_request=request,
    )
    context = {
        **admin.site.each_context(request),
        "title": "Program dashboard",
        "open_counts": [
            (TargetState(state).label, state, count)
            for state, count in open_by_target_state().items()
            if state in {TargetState.ON_TRACK, TargetState.AT_RISK, TargetState.OVERDUE}
        ],
        "at_risk": at_risk,
        "overdue": overdue,
        "windows": WINDOWS,
        "weeks": weeks,
        "chart": weekly_chart(weeks),
        "facilities": slowest_facilities(),
        **program_figures(),
    }
    return render(request, "requests/dashboard.html", context)


@never_cache
@staff_view
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """Download the dashboard's figures as CSV."""
    require_dashboard(request.user)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        case=None,
        detail={"view": "dashboard_export"},
        http_request=request,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="second-opinion-figures-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        csv_safe_row(
            [
                "section",
                "group",
                "days",
                "requests",
                "decided",
                "within_target",
                "share_within_target",
                "median_days_to_first_appointment",
            ]
        )
    )
    figures = program_figures()
    for days in WINDOWS:
        rows = [("program", figures["overall"][days])]
        rows += [("navigator", row) for row in figures["by_navigator"][days]]
        rows += [("disease_group", row) for row in figures["by_group"][days]]
        for section, row in rows:
            writer.writerow(
                csv_safe_row(
                    [
                        section,
                        row.label,
                        days,
                        row.cases,
                        row.decided,
                        row.within,
                        "" if row.share is None else f"{row.share:.3f}",
                        "" if row.median_days is None else row.median_days,
                    ]
                )
            )
    for row in slowest_facilities():
        writer.writerow(
            csv_safe_row(
                ["records_facility", row.facility, 90, row.items, "", "", "", row.median_days]
            )
        )
    for week in weekly():
        writer.writerow(
            csv_safe_row(
                [
                    "week",
                    week["week"].isoformat(),
                    7,
                    week["cases"],
                    "",
                    "",
                    "" if week["share"] is None else f"{week['share']:.3f}",
                    "",
                ]
            )
        )
    return response
