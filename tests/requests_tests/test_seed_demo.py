"""`manage.py seed_demo` gives a newcomer something to look at."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from navigators.models import Navigator
from requests.choices import Status
from requests.models import Notification, SecondOpinionRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_staff_and_requests_in_every_status(
    settings, capsys, monkeypatch
) -> None:
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo-password-for-tests" in out
    assert SecondOpinionRequest.objects.count() == 50
    assert set(SecondOpinionRequest.objects.values_list("status", flat=True)) == set(Status.values)
    assert Navigator.objects.count() >= 3
    assert not Notification.objects.exclude(state="sent").exists(), "demo emails are not sent"
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/login/")
    for username in ("admin", "supervisor", "navigator", "records", "advocate"):
        assert authenticate(request, username=username, password="demo-password-for-tests"), (
            username
        )

    call_command("seed_demo")
    assert SecondOpinionRequest.objects.count() == 50, "running it again adds nothing"


def test_seed_demo_refuses_production(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
