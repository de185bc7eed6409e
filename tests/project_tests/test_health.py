"""/health/: 200 when the database (and the broker, when configured) answer, else 503; the
public learns only that, staff and a monitor holding HEALTH_TOKEN get the details."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "health-token-for-tests-7f3a9c"


@pytest.fixture
def monitor(settings: Any) -> Client:
    """A client sending the configured health token."""
    settings.HEALTH_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def test_the_public_learns_only_that_the_portal_is_up(client, settings) -> None:
    """Anonymous: {"status": "ok"} and nothing else, even with a token configured."""
    settings.REDIS_URL = ""
    settings.HEALTH_TOKEN = TOKEN
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_public_learns_only_that_the_portal_is_down(client, monkeypatch) -> None:
    """Anonymous, database down: 503 {"status": "unavailable"} and nothing else."""
    from secondopinion import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"bearer {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}", "Bearer ", ""],
)
def test_a_wrong_token_gets_the_public_answer(settings, authorization: str) -> None:
    """Anything but the exact `Bearer <HEALTH_TOKEN>` gets the public answer."""
    settings.HEALTH_TOKEN = TOKEN
    response = Client(HTTP_AUTHORIZATION=authorization).get("/health/")
    assert response.json() == {"status": "ok"}


def test_without_a_configured_token_no_token_works(settings) -> None:
    """HEALTH_TOKEN unset: an empty bearer token opens nothing."""
    settings.HEALTH_TOKEN = ""
    assert Client(HTTP_AUTHORIZATION="Bearer ").get("/health/").json() == {"status": "ok"}


def test_the_monitor_gets_the_details(monitor, settings) -> None:
    """With the token: the checks and the outbox's counts."""
    settings.REDIS_URL = ""
    response = monitor.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "in-process"}
    assert body["outbox"]["counts"]["pending"] == 0
    assert body["outbox"]["oldest_unsent_seconds"] == 0


def test_staff_signed_in_get_the_details(client, supervisor, settings) -> None:
    """A staff session the admin site lets in sees the details."""
    settings.REDIS_URL = ""
    settings.MFA_REQUIRED = False
    client.force_login(supervisor)
    assert client.get("/health/").json()["checks"]["database"] == "ok"


def test_staff_without_the_second_factor_get_the_public_answer(
    client, supervisor, settings
) -> None:
    """With MFA required, a session signed in by password alone is the public."""
    settings.MFA_REQUIRED = True
    client.force_login(supervisor)
    assert client.get("/health/").json() == {"status": "ok"}


def test_broker_down_is_503(monitor, settings) -> None:
    from tests.infra import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = monitor.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"


def test_database_down_is_503(monitor, monkeypatch) -> None:
    from secondopinion import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = monitor.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
    assert "outbox" not in response.json()


def test_real_broker_answers(monitor, require_redis) -> None:
    response = monitor.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
