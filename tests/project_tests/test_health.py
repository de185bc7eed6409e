"""/health/: 200 when the database (and the broker, when configured) answer, else 503."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthy_without_a_broker(client, settings) -> None:
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "in-process"}
    assert body["outbox"]["counts"]["pending"] == 0
    assert body["outbox"]["oldest_unsent_seconds"] == 0


def test_broker_down_is_503(client, settings) -> None:
    from tests.conftest import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"


def test_database_down_is_503(client, monkeypatch) -> None:
    from secondopinion import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_real_broker_answers(client, settings, require_redis) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
