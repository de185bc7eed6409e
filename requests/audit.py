"""The audit trail: every staff read and change of a patient's record, append-only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from .models import AuditEvent, SecondOpinionRequest


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    case: SecondOpinionRequest | None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    http_request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (who, what, on which case, when in UTC).

    `http_request` is the request the event came from, for its client address and agent
    (accepted already; kept once the audit trail stores them).
    """
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        request=case,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
    )


def changed_values(instance: models.Model, before: dict[str, Any], fields: list[str]) -> dict:
    """Return {field: [before, after]} for the fields whose value changed, as text."""
    changes = {}
    for name in fields:
        old, new = before.get(name), getattr(instance, name, None)
        if old != new:
            changes[name] = [_text(old), _text(new)]
    return changes


def _text(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)
