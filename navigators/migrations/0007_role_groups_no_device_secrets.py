from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Supervisors no longer add, change or delete TOTP devices: they only see the list."""

    dependencies = [("navigators", "0006_role_groups_totp")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
