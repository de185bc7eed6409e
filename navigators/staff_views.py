"""The staff pages of the navigator's day: Today, the team, and the reassign picker.

Custom views of the admin site (secondopinion.admin_site and the case admin wrap them in
`admin_view`, so they keep its login, second factor and look). Who may open what is
navigators.access's to say; what the pages show comes from the selectors.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from requests.audit import audit_record
from requests.models import AuditEvent
from requests.selectors.today import Rank, navigator_today

from .access import (
    can_assign_case,
    can_view_dashboard,
    case_for_user,
    is_supervisor,
    navigator_of,
    require_team,
    takes_for_today,
    today_navigator_for,
)
from .selectors import navigator_fits_for, team_load

CASE_LIST = "admin:requests_secondopinionrequest_changelist"


def _context(request: HttpRequest, title: str) -> dict[str, object]:
    request.current_app = admin.site.name
    # No sidebar of every model: these pages are the work, with room for it ("All pages"
    # links the admin's index).
    return {
        **admin.site.each_context(request),
        "title": title,
        "subtitle": None,
        "is_nav_sidebar_enabled": False,
    }


@never_cache
def today_view(request: HttpRequest) -> HttpResponse:
    """Show a navigator's open cases in the order to work them, and the unassigned queue."""
    user = request.user
    navigator = today_navigator_for(user, request.GET.get("navigator"))
    own = navigator is not None and navigator == navigator_of(user)
    today = navigator_today(
        navigator_id=navigator.pk if navigator else None,
        user_id=navigator.user_id if navigator else None,
    )
    audit_record(
        actor=user,
        action=AuditEvent.Action.VIEW,
        case=None,
        detail={
            "view": "today",
            "navigator": navigator.pk if navigator else None,
            "cases": [row.case.pk for row in today.rows],
            "queue": [row.case.pk for row in today.queue],
        },
        http_request=request,
    )
    if own or navigator is None:
        title = _("Today")
    else:
        title = _("Today for %(name)s") % {"name": navigator}
    context = {
        **_context(request, title),
        "navigator": navigator,
        "own": own,
        "today": today,
        "summary": [
            (rank, today.rank_counts[rank])
            for rank in (Rank.NOT_CONTACTED, Rank.CONTACT_DUE, Rank.AT_RISK, Rank.OVERDUE)
        ],
        "may_take": takes_for_today(user, navigator),
        "may_assign": is_supervisor(user),
        "may_see_team": is_supervisor(user),
        "case_list_url": reverse(CASE_LIST)
        + (f"?navigator__id__exact={navigator.pk}" if navigator and not own else ""),
    }
    return TemplateResponse(request, "admin/today.html", context)


@never_cache
def team_view(request: HttpRequest) -> HttpResponse:
    """Show supervisors each navigator's load against capacity, and what is unassigned, at
    risk or overdue, with links to the case list filtered to each."""
    require_team(request.user)
    case_list = reverse(CASE_LIST)
    context = {
        **_context(request, _("Team")),
        "team": team_load(),
        "case_list_url": case_list,
        "unassigned_url": f"{case_list}?queue=unassigned",
        "at_risk_url": f"{case_list}?queue=open&target_state__exact=at_risk",
        "overdue_url": f"{case_list}?queue=open&target_state__exact=overdue",
        "own_navigator": navigator_of(request.user),
        "may_view_dashboard": can_view_dashboard(request.user),
    }
    return TemplateResponse(request, "admin/team.html", context)


@never_cache
def case_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """List the navigators a supervisor may give the case to, with how well each fits.

    Choosing one posts to the case's assign view (navigators.services.case_assign).
    """
    case = case_for_user(request.user, pk, action="assign")
    title = _("Reassign %(ref)s") if case.navigator_id else _("Assign %(ref)s")
    context = {
        **_context(request, title % {"ref": case.reference}),
        "case": case,
        "opts": case._meta,
        "open": can_assign_case(request.user, case),
        "fits": navigator_fits_for(case) if can_assign_case(request.user, case) else [],
    }
    return TemplateResponse(request, "admin/reassign.html", context)
