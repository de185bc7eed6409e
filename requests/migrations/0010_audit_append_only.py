"""The audit trail is append-only in the database itself (PostgreSQL only).

A BEFORE UPDATE OR DELETE trigger refuses any change or removal of an audit row, whoever
asks: the application, a shell, a mistaken script. TRUNCATE fires no row trigger, so the
test suite's flush still empties the table; SQLite, used for local demos only, gets nothing.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION requests_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % of an audit event refused.', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER requests_auditevent_append_only
    BEFORE UPDATE OR DELETE ON requests_auditevent
    FOR EACH ROW EXECUTE FUNCTION requests_auditevent_refuse_change();
"""
DROP = """
DROP TRIGGER IF EXISTS requests_auditevent_append_only ON requests_auditevent;
DROP FUNCTION IF EXISTS requests_auditevent_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests", "0009_audit_client")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
