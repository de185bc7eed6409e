from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give navigators and supervisors the dashboard and the target alerts."""

    dependencies = [
        ("navigators", "0002_role_groups"),
        ("requests", "0002_target_tracking"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
