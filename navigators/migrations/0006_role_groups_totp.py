from django.db import migrations

from navigators.roles import sync_role_groups


class Migration(migrations.Migration):
    """Let supervisors enrol their staff's TOTP devices."""

    dependencies = [
        ("navigators", "0005_role_groups_support"),
        ("otp_totp", "0003_add_timestamps"),
        ("requests", "0006_referral_email"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
