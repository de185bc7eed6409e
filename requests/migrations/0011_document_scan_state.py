"""A document's virus-scan state.

Documents stored before scanning existed were already shown to staff: they become
not_scanned (still shown), while the field's default for new rows is pending (hidden until a
verdict). Adding the column with the first default and then changing it writes the old rows
once, without a data migration.
"""

from django.db import migrations, models

CHOICES = [
    ("pending", "Waiting for the virus scan"),
    ("clean", "Scanned, clean"),
    ("infected", "Infected (file deleted)"),
    ("not_scanned", "Not scanned (no scanner configured)"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("requests", "0010_audit_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="scan_state",
            field=models.CharField(choices=CHOICES, default="not_scanned", max_length=12),
        ),
        migrations.AlterField(
            model_name="document",
            name="scan_state",
            field=models.CharField(choices=CHOICES, default="pending", max_length=12),
        ),
        migrations.AddField(
            model_name="document",
            name="scanned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("scan_state", "pending")),
                fields=["uploaded_at"],
                name="document_scan_pending_idx",
            ),
        ),
    ]
