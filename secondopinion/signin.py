"""The staff sign-in page and the enrolment page of one's own second factor.

One form asks for the username, the password and the code. Whatever fails (the password,
the code, a missing code, an account that is not staff), the answer is the same page with the
same message: nobody learns from it that a password was right, nor which devices an account
has. The code is checked only once the password is right, and every failure counts for the
lockout, per account and per address.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from navigators.access import can_sign_in_to_staff_site, landing_page

from . import mfa

INVALID_WITH_CODE = (
    "Please enter the correct username, password and code for a staff account. "
    "All three are case-sensitive; the code is the one your authenticator app shows now."
)
INVALID_WITHOUT_CODE = (
    "Please enter the correct username and password for a staff account. Both are case-sensitive."
)


class CodeInput(forms.TextInput):
    """A text box for a one-time code that never shows a code back in the page."""

    def format_value(self, value: Any) -> None:
        return None


class SignInForm(forms.Form):
    """Username, password and (when MFA is required) the authenticator's code, in one form."""

    username = UsernameField(
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=16,
        help_text="Signing in for the first time, or after a reset? Leave this empty.",
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 10}
        ),
    )

    def __init__(self, request: HttpRequest, *args: Any, mfa_required: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.request = request
        self.mfa_required = mfa_required
        self.user: Any = None
        self.device: Any = None
        if not mfa_required:
            del self.fields["otp_token"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if not username or not password:
            return cleaned
        user = authenticate(self.request, username=username, password=password)
        if user is None:  # Django has counted this failure (user_login_failed)
            raise self._invalid()
        if not can_sign_in_to_staff_site(user):
            mfa.login_failed(self.request, username)
            raise self._invalid()
        if self.mfa_required and mfa.has_device(user):
            self.device = mfa.verified_device(user, cleaned.get("otp_token") or "")
            if self.device is None:
                mfa.login_failed(self.request, username)
                raise self._invalid()
        self.user = user
        return cleaned

    def _invalid(self) -> ValidationError:
        message = INVALID_WITH_CODE if self.mfa_required else INVALID_WITHOUT_CODE
        return ValidationError(message, code="invalid_login")


class EnrolmentForm(forms.Form):
    """The code the new device shows, proving it holds the key."""

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 10}
        ),
    )


def _after_sign_in(next_url: str, user: Any) -> str:
    """Return where a person goes once signed in: the page they were sent from, else (no page,
    or the admin index, which only sends on) the page their role starts on."""
    if next_url == reverse("admin:index"):
        return landing_page(user)
    return next_url


@never_cache
@sensitive_post_parameters("password", "otp_token")
def login_view(request: HttpRequest, site: admin.AdminSite) -> HttpResponse:
    """Sign staff in; send a first sign-in (or one after a reset) to enrolment.

    With MFA required, a right password for an account without a device is the only case
    that does not answer like a failure: that person must enrol, and enrolment is allowed
    only for an account with no device (a supervisor's reset makes room for a new one).
    """
    if request.method == "GET" and site.has_permission(request):
        return HttpResponseRedirect(landing_page(request.user))
    next_url = mfa.staff_home(request, request.POST.get("next") or request.GET.get("next"))
    mfa_required = settings.MFA_REQUIRED
    form = SignInForm(
        request,
        data=request.POST if request.method == "POST" else None,
        mfa_required=mfa_required,
    )
    if form.is_valid():
        next_url = _after_sign_in(next_url, form.user)
        if mfa_required and form.device is None:
            mfa.enrolment_start(request, form.user, next_url=next_url)
            return HttpResponseRedirect(reverse("admin:mfa_enrol"))
        mfa.sign_in(request, form.user, form.device, backend=form.user.backend)
        return HttpResponseRedirect(next_url)
    context = {
        **site.each_context(request),
        "title": "Log in",
        "subtitle": None,
        # The form posts to the bare path: `next` travels checked, in its hidden field.
        "app_path": request.path,
        "form": form,
        "next": next_url,
        "mfa_required": mfa_required,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/portal_login.html", context)


@never_cache
@sensitive_post_parameters("otp_token")
def enrol_view(request: HttpRequest, site: admin.AdminSite) -> HttpResponse:
    """Show the new key once (QR code and text) and confirm it with a current code.

    Reached only from a sign-in whose password was right, within MFA_ENROLMENT_SECONDS;
    anything else goes back to the sign-in page.
    """
    login_url = reverse("admin:login")
    enrolment = mfa.enrolment_pending(request)
    user = None
    if enrolment is not None:
        user = get_user_model().objects.filter(pk=enrolment.user_id, is_active=True).first()
    if enrolment is None or user is None or not settings.MFA_REQUIRED:
        mfa.enrolment_forget(request)
        return HttpResponseRedirect(login_url)
    username = user.get_username()
    form = EnrolmentForm(data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        if not mfa.lockout_allows(request, username):
            mfa.enrolment_forget(request)
            return HttpResponseRedirect(login_url)
        step = mfa.enrolment_code_step(enrolment, form.cleaned_data["otp_token"])
        if step is None:
            mfa.login_failed(request, username)
            if not mfa.enrolment_failed(request, enrolment):
                return HttpResponseRedirect(login_url)
            form.add_error(
                "otp_token",
                "That code does not match. Enter the code your app shows now "
                "(check that your phone's clock is right).",
            )
        else:
            try:
                device = mfa.device_enrol(
                    user=user, key=enrolment.key, step=step, http_request=request
                )
            except ValidationError:
                mfa.enrolment_forget(request)
                return HttpResponseRedirect(login_url)
            mfa.enrolment_forget(request)
            mfa.sign_in(request, user, device, backend=enrolment.backend)
            return HttpResponseRedirect(enrolment.next_url)
    device = enrolment.device_for(user)
    context = {
        **site.each_context(request),
        "title": "Set up your second factor",
        "subtitle": None,
        "form": form,
        "username": username,
        "qr_code": mfa.qr_code_data_uri(device),
        "manual_key": enrolment.base32_key,
        "minutes_left": max(1, int((enrolment.expires_at - timezone.now()).total_seconds() // 60)),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/mfa_enrol.html", context)
