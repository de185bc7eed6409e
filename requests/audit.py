"""The audit trail: every staff read and change of a patient's record, append-only.

An event names who, what, which case and object, where from (address and browser) and when;
its detail holds field names, ids, counts and workflow codes (a status before and after),
never a value of the record: no name, date, free text or search term. So the trail needs no
rewriting when a case is anonymised, and PostgreSQL refuses to change it at all.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from secondopinion.ratelimit import client_ip

from .models import USER_AGENT_MAX_LENGTH, AuditEvent, SecondOpinionRequest

# The actions that record a read: one of them per page is enough (see audited_read).
READ_ACTIONS = frozenset(
    {
        AuditEvent.Action.VIEW_CASE,
        AuditEvent.Action.VIEW,
        AuditEvent.Action.VIEW_LIST,
        AuditEvent.Action.VIEW_HISTORY,
        AuditEvent.Action.EXPORT,
        AuditEvent.Action.DOWNLOAD,
    }
)


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    case: SecondOpinionRequest | None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    http_request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (who, what, on which case, from where, when in UTC).

    `http_request` is the staff request that caused the event: its client address (through
    the trusted proxies) and user agent are kept with it. Jobs and services run outside a
    request pass None.
    """
    address, agent = _client_of(http_request)
    event = AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        case=case,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        client_address=address,
        user_agent=agent,
    )
    if http_request is not None and action in READ_ACTIONS:
        # The generic read audit (audit_reads) then leaves this page to the view's own event.
        http_request.audited_read = True
    return event


def audited_read(http_request: HttpRequest) -> bool:
    """Return whether a read event was already written for this request."""
    return getattr(http_request, "audited_read", False)


def changed_fields(instance: models.Model, before: dict[str, Any], fields: list[str]) -> list[str]:
    """Return the names of the fields whose value differs from `before` (names, not values:
    a value in the trail would be PHI kept past retention)."""
    return [name for name in fields if before.get(name) != getattr(instance, name, None)]


def _client_of(http_request: HttpRequest | None) -> tuple[str | None, str]:
    if http_request is None:
        return None, ""
    address = client_ip(http_request)
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        address = None  # A proxy that sent no valid address: keep the agent at least.
    # PostgreSQL text cannot hold a NUL character: a header carrying one must not make the
    # page fail.
    agent = http_request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")
    agent = agent[:USER_AGENT_MAX_LENGTH]
    return address, agent
