"""The case admin's actions: move, assign, take, book, cancel or move an appointment, close
(withdraw or decline, confirmed with a reason) and reopen.

Each one is a service call (requests.services, navigators.services); whether the user may
take it is navigators.access's to say (`case_for_user` loads the case or refuses). The case
page's buttons post to the views; the case list offers assign and take for many cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from navigators.access import (
    can_close_case,
    can_take_case,
    case_for_user,
    case_to_reopen,
    is_supervisor,
    may_take_cases,
    navigator_of,
)
from navigators.services import case_assign, case_take
from navigators.staff_views import case_reassign_view

from ..choices import Status
from ..forms import (
    AppointmentForm,
    AppointmentMoveForm,
    AssignForm,
    CloseForm,
    ReopenForm,
    TransitionForm,
)
from ..models import Appointment, SecondOpinionRequest
from ..selectors.closing import closing_effects
from ..services import appointment_book, appointment_cancel, appointment_move, case_transition
from ..services.closing import CLOSE_MOVES, case_close, case_reopen
from ..targets import late_booking_after


class CaseActionsMixin:
    """The case admin's action views (under the case's URL) and its list actions."""

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/transition/", wrap(self.transition_view), name="case_transition"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="case_assign"),
            path("<int:pk>/take/", wrap(self.take_view), name="case_take"),
            path("<int:pk>/reassign/", wrap(case_reassign_view), name="case_reassign"),
            path("<int:pk>/book/", wrap(self.book_view), name="case_book"),
            path("<int:pk>/close/<slug:move>/", wrap(self.close_view), name="case_close"),
            path("<int:pk>/reopen/", wrap(self.reopen_view), name="case_reopen"),
            path(
                "<int:pk>/appointments/<int:appointment_pk>/<str:change>/",
                wrap(self.appointment_change_view),
                name="case_appointment_change",
            ),
            *super().get_urls(),
        ]

    def _back(self, case: SecondOpinionRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
        )

    def _refuse(self, request: HttpRequest, error: ValidationError) -> None:
        for message in error.messages:
            messages.error(request, message)

    def _act(
        self,
        request: HttpRequest,
        case: SecondOpinionRequest,
        action: Callable[[], object],
        success: Callable[[], str],
    ) -> HttpResponseRedirect:
        """Run a service for a case action; show its refusal or `success`, and go back."""
        try:
            action()
        except ValidationError as error:
            self._refuse(request, error)
        else:
            messages.success(request, success())
        return self._back(case)

    def transition_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="transition")
        form = TransitionForm(request.POST)
        if not form.is_valid():
            refusal = (
                form.errors.get("to_status")
                if form.has_error("to_status", "closing_move")
                else None
            )
            messages.error(
                request, refusal[0] if refusal else _("Choose a status to move the case to.")
            )
            return self._back(case)
        return self._act(
            request,
            case,
            lambda: case_transition(
                case=case,
                to_status=form.cleaned_data["to_status"],
                by=request.user,
                note=form.cleaned_data["note"],
                http_request=request,
            ),
            lambda: (
                _("Case %(ref)s is now %(status)s.")
                % {"ref": case.reference, "status": case.get_status_display().lower()}
            ),
        )

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="assign")
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("navigator", [])))
            return self._back(case)
        return self._act(
            request,
            case,
            lambda: case_assign(
                case=case,
                navigator=form.cleaned_data["navigator"],
                by=request.user,
                note=form.cleaned_data["note"],
                http_request=request,
            ),
            lambda: (
                _("Case %(ref)s is assigned to %(name)s.")
                % {"ref": case.reference, "name": form.cleaned_data["navigator"]}
            ),
        )

    def take_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="take")
        # To the case's workspace, wherever it was taken from: the first call is next.
        return self._act(
            request,
            case,
            lambda: case_take(
                case=case, navigator=navigator_of(request.user), http_request=request
            ),
            lambda: _("Case %(ref)s is yours.") % {"ref": case.reference},
        )

    def book_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = case_for_user(request.user, pk, action="book")
        late_after = late_booking_after(
            target_date=case.target_date, first_appointment_at=case.first_appointment_at
        )
        form = AppointmentForm(request.POST or None, late_after=late_after)
        if request.method == "POST" and form.is_valid():
            try:
                appointment_book(
                    case=case, by=request.user, http_request=request, **form.cleaned_data
                )
            except ValidationError as error:
                late = error.code == "late_reason_needed" and "late_reason" in form.fields
                form.add_error("late_reason" if late else None, error)
            else:
                messages.success(request, _("Appointment booked; the patient will get an email."))
                return self._back(case)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Book an appointment for %(ref)s") % {"ref": case.reference},
            "case": case,
            "form": form,
            "opts": self.model._meta,
            "target_deadline": case.target_date,
        }
        return TemplateResponse(request, "admin/requests/book_appointment.html", context)

    def close_view(self, request: HttpRequest, pk: int, move: str) -> HttpResponse:
        """Withdraw or decline a case: say what will follow, ask the reason, confirm."""
        if move not in CLOSE_MOVES:
            raise Http404("No such move.")
        case = case_for_user(request.user, pk, action="transition")
        if not can_close_case(request.user, case):
            messages.error(
                request,
                _("The case is already %(status)s.")
                % {"status": case.get_status_display().lower()},
            )
            return self._back(case)
        to_status = CLOSE_MOVES[move]
        form = CloseForm(request.POST or None, to_status=to_status)
        if request.method == "POST" and form.is_valid():
            try:
                case_close(
                    case=case,
                    move=move,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                    http_request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Case %(ref)s is now %(status)s.")
                    % {"ref": case.reference, "status": case.get_status_display().lower()},
                )
                return self._back(case)
        label = Status(to_status).label
        context = {
            **self.admin_site.each_context(request),
            "title": (
                _("Decline case %(ref)s") if move == "decline" else _("Withdraw case %(ref)s")
            )
            % {"ref": case.reference},
            "case": case,
            "move": move,
            "move_label": label,
            "form": form,
            "effects": closing_effects(case),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/requests/close_case.html", context)

    def reopen_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Reopen a withdrawn or declined case (supervisors, POST with a note)."""
        if request.method != "POST":
            return HttpResponse(status=405)
        case = case_to_reopen(request.user, pk)
        form = ReopenForm(request.POST)
        if not form.is_valid():
            self._refuse(request, ValidationError(form.errors["note"]))
            return self._back(case)
        return self._act(
            request,
            case,
            lambda: case_reopen(
                case=case, note=form.cleaned_data["note"], by=request.user, http_request=request
            ),
            lambda: (
                _("Case %(ref)s is reopened: %(status)s.")
                % {"ref": case.reference, "status": case.get_status_display().lower()}
            ),
        )

    def appointment_change_view(
        self, request: HttpRequest, pk: int, appointment_pk: int, change: str
    ) -> HttpResponse:
        """Cancel or move a booked appointment (POST), as the case page's buttons do."""
        if request.method != "POST" or change not in {"cancel", "move"}:
            return HttpResponse(status=405)
        case = case_for_user(request.user, pk, action="book")
        appointment = get_object_or_404(Appointment, pk=appointment_pk, case=case)
        try:
            if change == "cancel":
                appointment_cancel(
                    appointment=appointment,
                    by=request.user,
                    reason=request.POST.get("note", ""),
                    http_request=request,
                )
                messages.success(request, _("Appointment cancelled."))
            else:
                form = AppointmentMoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(
                        [error for errors in form.errors.values() for error in errors]
                    )
                appointment_move(
                    appointment=appointment,
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                    http_request=request,
                )
                messages.success(request, _("Appointment moved; the patient will get an email."))
        except ValidationError as error:
            self._refuse(request, error)
        return self._back(case)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return is_supervisor(request.user)

    def has_take_permission(self, request: HttpRequest) -> bool:
        return may_take_cases(request.user)

    @admin.action(description=_("Assign the selected cases to a navigator"), permissions=["assign"])
    def assign_selected(
        self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = AssignForm(request.POST)
            if form.is_valid():
                done = 0
                for case in queryset:
                    try:
                        case_assign(
                            case=case,
                            navigator=form.cleaned_data["navigator"],
                            by=request.user,
                            note=form.cleaned_data["note"],
                            http_request=request,
                        )
                        done += 1
                    except ValidationError as error:
                        messages.warning(request, f"{case.reference}: {' '.join(error.messages)}")
                messages.success(
                    request,
                    _("%(n)d case(s) assigned to %(name)s.")
                    % {"n": done, "name": form.cleaned_data["navigator"]},
                )
                return None
        else:
            form = AssignForm()
        return render(
            request,
            "admin/requests/assign_cases.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign cases"),
                "cases": queryset.select_related("navigator__user"),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Take the selected unassigned cases"), permissions=["take"])
    def take_selected(self, request: HttpRequest, queryset: QuerySet[SecondOpinionRequest]) -> None:
        navigator = navigator_of(request.user)
        taken = 0
        for case in queryset:
            if not can_take_case(request.user, case):
                messages.warning(request, _("%(ref)s is not unassigned.") % {"ref": case.reference})
                continue
            try:
                case_take(case=case, navigator=navigator, http_request=request)
                taken += 1
            except ValidationError as error:
                messages.warning(request, f"{case.reference}: {' '.join(error.messages)}")
        messages.success(request, _("You took %(n)d case(s).") % {"n": taken})
