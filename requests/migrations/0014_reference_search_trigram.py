"""Staff search by a partial case reference without reading the whole table (PostgreSQL only).

A fragment of a reference is either group of four (`K7M4` or `9QXP` of `K7M4-9QXP`) or its
start (`K7M4-9Q`): `reference LIKE 'K7M4%' OR reference LIKE '%-9QXP'`. The unique B-tree index
serves neither a leading wildcard nor, under a non-C collation, a prefix; a trigram index on
the same expression serves both. Built CONCURRENTLY to leave a live table writable.
"""

from django.db import migrations

INDEX = "request_reference_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON requests_secondopinionrequest "
        "USING gin ((reference::text) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("requests", "0013_case_foreign_keys")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
