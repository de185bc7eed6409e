"""Where a string is stored: every row of every table in the test database, read as text."""

from __future__ import annotations

from django.db import connection


def tables_holding(needle: str) -> list[str]:
    """Return the tables that have a row whose text contains `needle` (PostgreSQL).

    A row cast to text (`t::text`) spells out every column, JSON included, so this reads
    every column of every table, those of models added later too.
    """
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(
                f"SELECT count(*) FROM {connection.ops.quote_name(table)} AS t "  # noqa: S608
                "WHERE strpos(t::text, %s) > 0",
                [needle],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found
