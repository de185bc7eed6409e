from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give navigators, records staff and supervisors the records work and the audit trail."""

    dependencies = [
        ("navigators", "0003_role_groups_dashboard"),
        ("requests", "0003_records_documents_audit"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
