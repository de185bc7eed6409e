from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Records staff keep the facility directory; supervisors read it."""

    dependencies = [
        ("navigators", "0008_role_groups_work_lists"),
        ("requests", "0016_records_desk"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
