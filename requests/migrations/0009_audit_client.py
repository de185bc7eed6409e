"""Audit events keep the client's address and user agent, record reads of lists, pages,
histories and exports, and hold no value of the record.

The rows written before hold changes as {field: [before, after]}: they are rewritten to the
field names here, once, before the next migration makes the trail append-only.
"""

import django.db.models.deletion
from django.db import migrations, models


# Workflow codes and ids (a status, an appointment's state, a navigator's id) stay as they are.
KEPT_KEYS = frozenset({"status", "state", "navigator"})


def names_only(apps, schema_editor):
    AuditEvent = apps.get_model("requests", "AuditEvent")
    rows = AuditEvent.objects.filter(action__in=["change", "create"]).exclude(detail={})
    for event in rows.only("pk", "action", "object_type", "detail").iterator(chunk_size=2000):
        detail = scrubbed(event.action, event.object_type, event.detail)
        if detail != event.detail:
            AuditEvent.objects.filter(pk=event.pk).update(detail=detail)


def scrubbed(action, object_type, detail):
    if object_type == "requests.casenote":
        return detail  # the note's kind and outcome: codes, never the note's text
    if action == "create" and object_type == "requests.recorditem":
        return {"status": detail["status"]} if "status" in detail else {}
    if action == "create" and object_type == "requests.appointment":
        return {}
    kept = {key: value for key, value in detail.items() if key in KEPT_KEYS}
    names = [key for key in detail if key not in KEPT_KEYS and key != "fields"]
    names += detail.get("fields", [])
    return {**kept, "fields": names} if names else kept


class Migration(migrations.Migration):

    dependencies = [
        ('requests', '0008_name_search_trigram'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='client_address',
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='user_agent',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('view_case', 'Viewed the case'), ('view', 'Viewed a page'), ('view_list', 'Viewed a list'), ('view_history', 'Viewed a history'), ('export', 'Exported'), ('download', 'Downloaded a document'), ('upload', 'Uploaded a document'), ('change', 'Changed'), ('create', 'Created'), ('delete', 'Deleted'), ('bulk', 'Bulk action'), ('anonymise', 'Anonymised')], max_length=12),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='request',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_events', to='requests.secondopinionrequest'),
        ),
        migrations.RunPython(names_only, migrations.RunPython.noop),
    ]
