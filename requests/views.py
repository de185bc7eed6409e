"""Public pages: the program, the request form and its confirmation."""

from __future__ import annotations

import uuid
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import RequestForm
from .services import request_submit

# The thanks page shows what the session remembers: no reference or PHI ever goes in a URL.
THANKS_SESSION_KEY = "submitted_request"


def home(request: HttpRequest) -> HttpResponse:
    """Show the program: what it offers, the steps, the phone line and the way to ask."""
    return render(request, "requests/home.html")


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    """Show the request form; on a valid post save the request and go to the thanks page."""
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES)
        if form.is_bot:
            return render(request, "requests/refused.html", status=400)
        if form.is_valid():
            case, _created = request_submit(
                intake=form.save(commit=False),
                submission_key=form.cleaned_data["submission_key"] or uuid.uuid4(),
                consent_records=form.cleaned_data["consent_records"],
                attachments=form.cleaned_data["attachments"],
            )
            request.session[THANKS_SESSION_KEY] = {
                "reference": case.reference,
                "target_date": case.target_date.isoformat(),
            }
            return redirect("requests:thanks")
        return render(request, "requests/request_form.html", {"form": form}, status=400)
    form = RequestForm(initial={"submission_key": uuid.uuid4()})
    return render(request, "requests/request_form.html", {"form": form})


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
