"""Public pages: the program, the request form and its confirmation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from secondopinion.ratelimit import allow, limit_posts

from .forms import IntakeForm, ReferralForm, RequestForm, StatusLookupForm
from .models import SecondOpinionRequest
from .selectors import status_case_find, status_tracker
from .services import (
    case_submit,
    referral_submit,
    status_link_open,
    status_link_send,
    status_withdraw,
)

# The thanks page shows what the session remembers: no reference or PHI ever goes in a URL.
THANKS_SESSION_KEY = "submitted_request"
REFERRAL_SESSION_KEY = "submitted_referral"
# A used status link opens the tracker in its session for this long.
STATUS_SESSION_KEY = "status_case"
STATUS_SESSION_MINUTES = 30


def _intake_form(
    request: HttpRequest,
    form_class: type[IntakeForm],
    template: str,
    submit: Callable[[Any], dict[str, str]],
    session_key: str,
    thanks: str,
) -> HttpResponse:
    """Run a public intake form: show it; on a valid post call `submit` (a service), keep
    what the thanks page shows in the session (never in the URL) and redirect there."""
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_bot:
            return render(request, "requests/refused.html", status=400)
        if form.is_valid():
            request.session[session_key] = submit(form)
            return redirect(thanks)
        return render(request, template, {"form": form}, status=400)
    return _blank_form_page(request, form_class, template)


# Where a blank form's page differs from one visitor to the next: filled in for each.
TOKEN_SLOT = "csrftokenslot0q7x"  # noqa: S105 (a placeholder, not a secret)
KEY_SLOT = "submissionkeyslot0q7x"


def _blank_form_page(
    request: HttpRequest, form_class: type[IntakeForm], template: str
) -> HttpResponse:
    """Return the page of a blank form: the same for every visitor but for its form token and
    submission key, so rendered once per language (and process), then filled in.

    Rendering the form's fields costs 20 times what the rest of the request does. A page
    asked for with a query string (whose path the language switch carries) is not kept.
    """
    key = f"blank-form:{template}:{translation.get_language()}"
    fragments = caches["fragments"]
    page = fragments.get(key) if not request.GET else None
    if page is None:
        form = form_class(initial={"submission_key": KEY_SLOT})
        page = render_to_string(template, {"form": form, "csrf_token": TOKEN_SLOT}, request)
        if not request.GET:
            fragments.set(key, page)
    page = page.replace(TOKEN_SLOT, get_token(request)).replace(KEY_SLOT, str(uuid.uuid4()))
    return HttpResponse(page)


def home(request: HttpRequest) -> HttpResponse:
    """Show the program: what it offers, the steps, the phone line and the way to ask."""
    return render(request, "requests/home.html")


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts("request", setting="PUBLIC_POSTS_PER_HOUR")
def request_create(request: HttpRequest) -> HttpResponse:
    """Show the request form; on a valid post save the request and go to the thanks page."""

    def submit(form: RequestForm) -> dict[str, str]:
        case, _created = case_submit(
            intake=form.save(commit=False),
            submission_key=form.cleaned_data["submission_key"] or uuid.uuid4(),
            consent_records=form.cleaned_data["consent_records"],
            attachments=form.cleaned_data["attachments"],
        )
        return {"reference": case.reference, "target_date": case.target_date.isoformat()}

    return _intake_form(
        request,
        RequestForm,
        "requests/request_form.html",
        submit,
        THANKS_SESSION_KEY,
        "requests:thanks",
    )


@never_cache
def request_thanks(request: HttpRequest) -> HttpResponse:
    """Show the reference and what happens next; nothing else about the patient."""
    submitted = request.session.get(THANKS_SESSION_KEY)
    if not submitted:
        return redirect("requests:create")
    context = {
        "reference": submitted["reference"],
        "target_date": date.fromisoformat(submitted["target_date"]),
    }
    return render(request, "requests/thanks.html", context)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts("refer", setting="PUBLIC_POSTS_PER_HOUR")
def referral_create(request: HttpRequest) -> HttpResponse:
    """Show the referral form; on a valid post save the referral and go to its thanks page."""

    def submit(form: ReferralForm) -> dict[str, str]:
        case, _created = referral_submit(
            intake=form.save(commit=False),
            provider=form.provider_details(),
            submission_key=form.cleaned_data["submission_key"] or uuid.uuid4(),
            consent_records=form.cleaned_data["consent_records"],
            attachments=form.cleaned_data["attachments"],
        )
        return {"reference": case.reference}

    return _intake_form(
        request,
        ReferralForm,
        "requests/refer_form.html",
        submit,
        REFERRAL_SESSION_KEY,
        "requests:refer_thanks",
    )


@never_cache
def referral_thanks(request: HttpRequest) -> HttpResponse:
    """Show the provider the reference to file; nothing else about the patient."""
    submitted = request.session.get(REFERRAL_SESSION_KEY)
    if not submitted:
        return redirect("requests:refer")
    return render(request, "requests/refer_thanks.html", {"reference": submitted["reference"]})


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts("status", setting="PUBLIC_POSTS_PER_HOUR")
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Ask for a status link. The answer is the same whether or not the details match."""
    form = StatusLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = status_case_find(
            reference=data["reference"], date_of_birth=data["date_of_birth"], email=data["email"]
        )
        # Only lookups that matched count against the reference: wrong guesses by someone who
        # knows it must not use up the patient's links. Past the limit no link is sent and the
        # page is the same (a 429 would tell a guesser that the birth date was right).
        if case is not None and allow(
            "status-reference",
            case.reference,
            limit=settings.STATUS_LOOKUPS_PER_HOUR,
            window=3600,
        ):
            status_link_send(case=case, email=data["email"])
        return render(request, "requests/status_sent.html")
    status = 400 if request.method == "POST" else 200
    return render(request, "requests/status_lookup.html", {"form": form}, status=status)


@sensitive_post_parameters("t")
@never_cache
@require_http_methods(["GET", "POST"])
def status_open(request: HttpRequest) -> HttpResponse:
    """Use a status link once: remember the request in this session, then show the tracker.

    The link's token is in its query string (`?t=`), never its path, and the access log keeps
    paths only. Opening takes a click (a POST of the token): mail scanners and link previews
    fetch links with GET, and must not use up the patient's single-use link.
    """
    if request.method == "GET":
        response = render(request, "requests/status_open.html", {"token": request.GET.get("t", "")})
        # The page's own requests (styles, scripts, the button's post) carry its origin in the
        # Referer, not the token. ("no-referrer" would make the post's Origin "null", which
        # the CSRF check refuses.)
        response["Referrer-Policy"] = "strict-origin"
        return response
    case = status_link_open(token=request.POST.get("t", ""), by=request.user)
    if case is None:
        return render(request, "requests/status_invalid.html", status=410)
    request.session.cycle_key()
    until = timezone.now() + timedelta(minutes=STATUS_SESSION_MINUTES)
    request.session[STATUS_SESSION_KEY] = {"id": case.pk, "until": until.isoformat()}
    return redirect("requests:status_view")


def _status_case(request: HttpRequest) -> SecondOpinionRequest | None:
    held = request.session.get(STATUS_SESSION_KEY)
    if not held or datetime.fromisoformat(held["until"]) < timezone.now():
        return None
    return (
        SecondOpinionRequest.objects.select_related("navigator__user").filter(pk=held["id"]).first()
    )


@never_cache
def status_view(request: HttpRequest) -> HttpResponse:
    """Show the plain-language tracker of the request this session opened by its link."""
    case = _status_case(request)
    if case is None:
        return render(request, "requests/status_invalid.html", status=410)
    return render(request, "requests/status_tracker.html", {"tracker": status_tracker(case)})


@never_cache
@require_http_methods(["GET", "POST"])
def status_withdraw_view(request: HttpRequest) -> HttpResponse:
    """Ask the patient to confirm, then withdraw the request."""
    case = _status_case(request)
    if case is None:
        return render(request, "requests/status_invalid.html", status=410)
    if request.method == "POST" and case.is_open:
        status_withdraw(case=case, by=request.user)
        return render(request, "requests/status_withdrawn.html", {"reference": case.reference})
    return render(
        request,
        "requests/status_withdraw.html",
        {"reference": case.reference, "can_withdraw": case.is_open},
    )
