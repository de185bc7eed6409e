"""The audit trail is append-only in the database (SECURITY.md, "Audit controls"): PostgreSQL
refuses any UPDATE or DELETE of an audit row, a case with a trail cannot be deleted, and the
rows written before the change lose the values they quoted, once, in the migration.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from requests.audit import audit_record
from requests.models import AuditEvent, SecondOpinionRequest
from tests.factories import make_request

names_only_migration = importlib.import_module("requests.migrations.0009_audit_client")


@pytest.fixture
def event(supervisor: Any) -> AuditEvent:
    case = make_request()
    return audit_record(
        actor=supervisor, action=AuditEvent.Action.VIEW_CASE, case=case, obj=case, detail={}
    )


def test_postgres_refuses_to_update_an_audit_row(require_postgres: None, event: AuditEvent) -> None:
    """An UPDATE of an audit row, through the ORM or in SQL, is refused by the trigger."""
    with (
        pytest.raises(DatabaseError, match="append-only: UPDATE of an audit event refused"),
        transaction.atomic(),
    ):
        AuditEvent.objects.filter(pk=event.pk).update(detail={"forged": True})
    with (
        pytest.raises(DatabaseError, match="append-only: UPDATE of an audit event refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE requests_auditevent SET actor_id = NULL WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).detail == {}


def test_postgres_refuses_to_delete_an_audit_row(require_postgres: None, event: AuditEvent) -> None:
    """A DELETE of an audit row, through the ORM or in SQL, is refused by the trigger."""
    with (
        pytest.raises(DatabaseError, match="append-only: DELETE of an audit event refused"),
        transaction.atomic(),
    ):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only: DELETE of an audit event refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM requests_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_case_with_an_audit_trail_cannot_be_deleted(event: AuditEvent) -> None:
    """Deleting a case whose trail exists is refused before the trail is touched (retention
    anonymises cases; nothing deletes them)."""
    with pytest.raises(ProtectedError, match="protected foreign keys"):
        SecondOpinionRequest.objects.filter(pk=event.case_id).delete()

    assert AuditEvent.objects.filter(pk=event.pk, case_id=event.case_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_test_suites_flush_still_empties_the_trail(require_postgres: None) -> None:
    """pytest-django's flush after a transactional test TRUNCATEs the table, which fires no
    row trigger: the trail is emptied like any other table."""
    case = make_request()
    audit_record(actor=None, action=AuditEvent.Action.VIEW_CASE, case=case, obj=case)
    assert AuditEvent.objects.exists()

    call_command("flush", verbosity=0, interactive=False)

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "object_type", "before", "after"),
    [
        (
            "change",
            "requests.secondopinionrequest",
            {"last_name": ["Quillfeather", "Quillfeather-Ames"], "phone": ["+1617", "+1618"]},
            {"fields": ["last_name", "phone"]},
        ),
        ("change", "requests.secondopinionrequest", {"status": ["new", "assigned"]}, None),
        ("change", "requests.secondopinionrequest", {"navigator": [None, 4]}, None),
        ("change", "requests.appointment", {"state": ["booked", "cancelled"]}, None),
        (
            "change",
            "requests.appointment",
            {"starts_at": ["2026-06-01T09:00:00+00:00", "2026-06-02T09:00:00+00:00"]},
            {"fields": ["starts_at"]},
        ),
        (
            "create",
            "requests.recorditem",
            {"kind": "labs", "facility": "Mercy General", "status": "needed", "notes": "x"},
            {"status": "needed"},
        ),
        (
            "create",
            "requests.appointment",
            {"starts_at": "2026-06-01T09:00:00+00:00", "specialty": "medical"},
            {},
        ),
        (
            "change",
            "requests.supporttask",
            {"notes": ["", "Called Blue Cross"], "insurance_outcome": "verified"},
            {"fields": ["notes", "insurance_outcome"]},
        ),
        ("create", "requests.casenote", {"kind": "call", "outcome": "reached"}, None),
        (
            "change",
            "requests.secondopinionrequest",
            {"last_name": "[removed at retention]"},
            {"fields": ["last_name"]},
        ),
    ],
)
def test_the_migration_keeps_names_and_workflow_codes_of_old_events(
    action: str, object_type: str, before: dict[str, Any], after: dict[str, Any] | None
) -> None:
    """Events written before hold values: the migration keeps the field names, ids and
    workflow codes (a status, an appointment's state) and drops every value (None: as was)."""
    assert names_only_migration.scrubbed(action, object_type, before) == (
        before if after is None else after
    )
