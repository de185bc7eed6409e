from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Give advocates their worklist, and staff the referring providers and support tasks."""

    dependencies = [
        ("navigators", "0004_role_groups_records"),
        ("requests", "0004_referrals_support_status"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
