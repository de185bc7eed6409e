"""What the benchmarks share: their own database, and requests seeded with one statement."""

from __future__ import annotations

from urllib.parse import urlsplit

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
    'B' || lpad(g::text, 8, '0'), 'patient', '', '', '', '', '',
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


def ensure_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
