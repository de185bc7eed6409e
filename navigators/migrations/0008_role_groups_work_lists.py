from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Records staff and advocates reach cases through their work lists only (no case pages)."""

    dependencies = [("navigators", "0007_role_groups_no_device_secrets")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
