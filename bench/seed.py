"""What the benchmarks share: their own database, requests seeded with one statement, and
the start of a run that sends email. The free port, the SMTP sink on loopback and waiting for
a server are the tests' own (tests/infra.py)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from tests.infra import SmtpSink, url_answers, wait_until

SEED_SQL = """
INSERT INTO requests_secondopinionrequest (
    reference, requester_type, requester_first_name, requester_last_name,
    requester_relationship, requester_email, requester_phone, first_name, last_name,
    date_of_birth, email, phone, preferred_contact_method, preferred_contact_time,
    preferred_language, other_language, interpreter_needed, city, state, zip_code,
    cancer_type, treatments, current_oncologist, current_facility, questions,
    insurance_carrier, insurance_member_id, coverage_checked, needs_records_help,
    needs_travel, needs_lodging, needs_financial, consent_contact_at,
    privacy_acknowledged_at, status, navigator_id, assigned_at, submitted_at, target_date,
    target_state, first_appointment_at, plan_target_state, closed_at, decline_reason,
    created_at, updated_at, insurance_outcome, referral_email, referral_reason, referral_urgent
)
SELECT
    -- A reference shaped like the real ones (ABCD-EFGH), from the row's number.
    overlay(translate(lpad(g::text, 8, '0'), '0123456789', 'ABCDEFGHJK') placing '-' from 5 for 0),
    'patient', '', '', '', '', '',
    'Bench', 'Patient' || g, DATE '1960-01-01' + (g %% 15000), 'bench@example.com',
    '+16175550000', 'phone', 'any', 'en', '', false, 'Boston', 'MA', '02115',
    'breast', '[]'::jsonb, '', '', '', '', '', 'no', false, false, false, false,
    s.submitted, s.submitted,
    CASE WHEN s.open THEN 'gathering_records' ELSE 'closed' END,
    CASE WHEN s.open THEN %(first_navigator)s + (g %% %(navigators)s) END,
    CASE WHEN s.open THEN s.submitted END,
    s.submitted,
    (s.submitted AT TIME ZONE %(zone)s)::date + %(target_days)s,
    CASE WHEN s.open THEN 'on_track' ELSE 'met' END,
    CASE WHEN s.open THEN NULL ELSE s.submitted + interval '5 days' END,
    '',
    CASE WHEN s.open THEN NULL ELSE s.submitted + interval '30 days' END,
    '', s.submitted, s.submitted, '', '', '', false
FROM generate_series(1, %(rows)s) AS g
CROSS JOIN LATERAL (
    SELECT
        g <= %(open)s AS open,
        CASE WHEN g <= %(open)s
            THEN now() - (g::float / %(open)s) * interval '7 days'
            ELSE now() - interval '30 days' - (g::float / %(rows)s) * interval '1800 days'
        END AS submitted
) AS s
"""


@contextmanager
def _server(url: str) -> Iterator[tuple[Any, str]]:
    """Yield a cursor on the server of `url` (in its "postgres" database) and the name of
    the database `url` names."""
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            yield cursor, parts.path.lstrip("/")
    finally:
        admin.close()


def ensure_database(url: str) -> None:
    """Create the database of `url` when it does not exist."""
    with _server(url) as (cursor, name):
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')


def django_on_postgres() -> bool:
    """Set Django up on DATABASE_URL's PostgreSQL database (created when missing); False,
    with a line saying why, when DATABASE_URL names no PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database (it is created when missing).")
        return False
    ensure_database(url)
    import django

    django.setup()
    return True


def reset_database(url: str) -> None:
    """Drop the database of `url` if it exists, and create it empty."""
    with _server(url) as (cursor, name):
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')


def wait_for(url: str, timeout: float = 60) -> bool:
    """Return whether `url` answers within `timeout` seconds."""
    return wait_until(lambda: url_answers(url), timeout, interval=0.2)


def received(sink: SmtpSink) -> list[tuple[str, str]]:
    """Return the Subject and Message-ID of every message the sink accepted."""
    return [(str(message["Subject"]), str(message["Message-ID"])) for message in sink.messages]


def database_and_broker() -> tuple[str, str] | None:
    """Return DATABASE_URL (PostgreSQL) and REDIS_URL; None, after saying so, if either is
    missing."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        print("Set DATABASE_URL (PostgreSQL; it is recreated) and REDIS_URL.")
        return None
    return database_url, redis_url


def emailing_run(doc: str, count: int, wait: float) -> tuple[argparse.Namespace, SmtpSink] | None:
    """Start a benchmark that sends COUNT emails: read --count and --wait (seconds to wait
    for them at most), recreate DATABASE_URL's database and start an SMTP sink on loopback.

    Return the arguments and the sink, or None, after saying so, if a URL is missing.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=count)
    parser.add_argument("--wait", type=float, default=wait, help="seconds to wait at most")
    args = parser.parse_args()
    services = database_and_broker()
    if services is None:
        return None
    reset_database(services[0])
    return args, SmtpSink().start()
