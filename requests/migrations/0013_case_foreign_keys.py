"""The child models' foreign key to the case is named `case` in code.

Only the project state changes: each column keeps its name (`request_id`, through
`db_column`), so no data moves and the raw SQL that names the column (the sweep, the
outbox's bulk insert, the timeline, the audit trigger, bench/) keeps working. The indexes
and unique constraints over the key are the same in the database (same name, same column);
only their field name in the state changes, so they are replaced in the state alone.
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0012_imaging"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="appointment", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="appointment",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="appointments",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="appointment",
                    name="requests_ap_request_402295_idx",
                ),
                migrations.AddIndex(
                    model_name="appointment",
                    index=models.Index(
                        fields=["case", "state", "starts_at"], name="requests_ap_request_402295_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="assignment", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="assignment",
                    name="requests_as_request_385503_idx",
                ),
                migrations.AddIndex(
                    model_name="assignment",
                    index=models.Index(
                        fields=["case", "assigned_at"], name="requests_as_request_385503_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="auditevent", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="case",
                    field=models.ForeignKey(
                        blank=True,
                        db_column="request_id",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="auditevent",
                    name="requests_au_request_d45e56_idx",
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(
                        fields=["case", "at"], name="requests_au_request_d45e56_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="casenote", old_name="request", new_name="case"),
                migrations.AlterField(
                    model_name="casenote",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="casenote",
                    name="requests_ca_request_960794_idx",
                ),
                migrations.AddIndex(
                    model_name="casenote",
                    index=models.Index(
                        fields=["case", "created_at"], name="requests_ca_request_960794_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="document", old_name="request", new_name="case"),
                migrations.AlterField(
                    model_name="document",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="documents",
                        to="requests.secondopinionrequest",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="imagingstudy", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="imagingstudy",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imaging_studies",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="imagingstudy",
                    name="imaging_study_per_case",
                ),
                migrations.AddConstraint(
                    model_name="imagingstudy",
                    constraint=models.UniqueConstraint(
                        fields=("case", "study_uid"), name="imaging_study_per_case"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="imagingupload", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="imagingupload",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imaging_uploads",
                        to="requests.secondopinionrequest",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="notification", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="case",
                    field=models.ForeignKey(
                        blank=True,
                        db_column="request_id",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="requests.secondopinionrequest",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="recorditem", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="recorditem",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="record_items",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="recorditem",
                    name="requests_re_request_f33e13_idx",
                ),
                migrations.AddIndex(
                    model_name="recorditem",
                    index=models.Index(
                        fields=["case", "status"], name="requests_re_request_f33e13_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="statuschange", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="statuschange",
                    name="requests_st_request_98022e_idx",
                ),
                migrations.AddIndex(
                    model_name="statuschange",
                    index=models.Index(
                        fields=["case", "changed_at"], name="requests_st_request_98022e_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="statuslink", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="statuslink",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_links",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="statuslink",
                    name="requests_st_request_704c11_idx",
                ),
                migrations.AddIndex(
                    model_name="statuslink",
                    index=models.Index(
                        fields=["case", "created_at"], name="requests_st_request_704c11_idx"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="supporttask", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="supporttask",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="support_tasks",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="supporttask",
                    name="one_support_task_per_kind",
                ),
                migrations.AddConstraint(
                    model_name="supporttask",
                    constraint=models.UniqueConstraint(
                        fields=("case", "kind"), name="one_support_task_per_kind"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="targetalert", old_name="request", new_name="case"
                ),
                migrations.AlterField(
                    model_name="targetalert",
                    name="case",
                    field=models.ForeignKey(
                        db_column="request_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="target_alerts",
                        to="requests.secondopinionrequest",
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="targetalert",
                    name="one_alert_per_case_level",
                ),
                migrations.AddConstraint(
                    model_name="targetalert",
                    constraint=models.UniqueConstraint(
                        fields=("case", "level"), name="one_alert_per_case_level"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
