"""The case list's search by patient name without reading the whole table (PostgreSQL only).

The admin searches names with `icontains`, which PostgreSQL runs as
`UPPER(column::text) LIKE UPPER('%term%')`: a B-tree index cannot serve a leading wildcard,
a trigram index on the same expression can. Built CONCURRENTLY (so outside a transaction)
to leave a live table writable; SQLite, used for local demos only, gets nothing.
"""

from django.db import migrations

INDEXES = {
    "request_last_name_trgm_idx": ("requests_secondopinionrequest", "last_name"),
    "request_first_name_trgm_idx": ("requests_secondopinionrequest", "first_name"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, "record_facility_trgm_idx"]:  # an earlier draft also made this one
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("requests", "0007_worklist_index")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
