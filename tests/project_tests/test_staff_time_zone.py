"""Staff date and time inputs name the center's time zone; Django's browser-offset note is
hidden (the admin's script writes it, so only the rule hiding it is checked here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory

from requests.forms.staff import AppointmentForm, AppointmentMoveForm
from requests.models import SecondOpinionRequest

CSS = Path(settings.BASE_DIR) / "static" / "css" / "admin.css"


def test_the_admin_stylesheet_hides_the_browser_offset_note() -> None:
    """The note "you are N hours ahead of server time" (class timezonewarning) is never shown."""
    assert re.search(r"\.timezonewarning\s*\{\s*display:\s*none;\s*\}", CSS.read_text())


@pytest.mark.parametrize("form", [AppointmentForm, AppointmentMoveForm])
def test_the_booking_time_names_the_center_s_time_zone(form: type, time_machine: Any) -> None:
    """The appointment's date and time input says which zone it is in, with today's
    abbreviation."""
    time_machine.move_to("2026-12-01 12:00Z", tick=False)
    assert str(form().fields["starts_at"].help_text) == (
        f"Times are in the center's time zone: {settings.TIME_ZONE} (EST)."
    )
    time_machine.move_to("2026-07-01 12:00Z", tick=False)
    assert "(EDT)" in str(form().fields["starts_at"].help_text)


def test_an_admin_date_and_time_field_names_the_center_s_time_zone(
    supervisor: Any, time_machine: Any
) -> None:
    """Every staff model admin adds the zone to the help text of its date and time fields."""
    time_machine.move_to("2026-12-01 12:00Z", tick=False)
    request = RequestFactory().get("/")
    request.user = supervisor
    model_admin = admin.site._registry[SecondOpinionRequest]
    field = SecondOpinionRequest._meta.get_field("first_appointment_at")
    formfield = model_admin.formfield_for_dbfield(field, request)
    assert str(formfield.help_text).endswith(
        f"Times are in the center's time zone: {settings.TIME_ZONE} (EST)."
    )
