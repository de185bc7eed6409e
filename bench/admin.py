"""The staff pages at the size of a real program: time and SQL queries per page.

Seeds ROWS requests (5% open, with two notes and three record items each; an appointment
for every closed one and a tenth of the open ones) into its own PostgreSQL database, then
loads each page navigators, supervisors and records staff use most, REPEAT times in-process
(signed in with a second factor, as in production), and prints p50/p95 time and the number
of SQL queries:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_bench_admin \\
        .venv/bin/python bench/admin.py [--rows 200000] [--repeat 20]

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secondopinion.settings")
os.environ.pop("REDIS_URL", None)
os.environ["MFA_REQUIRED"] = "1"  # as in production: the second factor costs a query a page
os.environ.setdefault("LOG_LEVEL", "WARNING")

from seed import SEED_SQL, django_on_postgres  # noqa: E402

NOTES_SQL = """
INSERT INTO requests_casenote (request_id, kind, outcome, body, author_id, created_at)
SELECT r.id, 'call', 'reached', 'Spoke with the patient about the next steps.', %(author)s,
       r.submitted_at + (n || ' hours')::interval
FROM requests_secondopinionrequest r CROSS JOIN generate_series(1, 2) AS n
WHERE r.status <> 'closed'
"""
RECORDS_SQL = """
INSERT INTO requests_recorditem (request_id, kind, facility, status, method, tracking_number,
    notes, requested_at, received_at, status_changed_at, created_at)
SELECT r.id, k.kind, 'Facility ' || (r.id % 40), k.status, 'fax', '', '',
       CASE WHEN k.status = 'requested' THEN r.submitted_at + interval '3 hours' END,
       NULL, r.submitted_at, r.submitted_at
FROM requests_secondopinionrequest r
CROSS JOIN (VALUES ('pathology_report', 'requested'), ('imaging_report', 'needed'),
                   ('clinic_notes', 'needed')) AS k(kind, status)
WHERE r.status <> 'closed'
"""

# Open cases that asked for help get their support tasks: travel for a third, lodging for a
# fifth (the support desk).
SUPPORT_SQL = """
INSERT INTO requests_supporttask (request_id, kind, status, notes, outcome, created_at)
SELECT r.id, k.kind, 'open', '', '', r.submitted_at
FROM requests_secondopinionrequest r
CROSS JOIN (VALUES ('travel', 3), ('lodging', 5)) AS k(kind, every)
WHERE r.status <> 'closed' AND r.id % k.every = 0
"""

# Every closed case had its first appointment; a tenth of the open ones have one booked.
NAVIGATORS = 25

APPOINTMENTS_SQL = """
INSERT INTO requests_appointment (request_id, starts_at, specialty, clinician, modality,
    location, state, booked_by_id, booked_at)
SELECT r.id, COALESCE(r.first_appointment_at, r.submitted_at + interval '5 days'), 'medical',
       'Dr Bench', 'in_person', 'Building 1', CASE WHEN r.status = 'closed' THEN 'completed'
       ELSE 'booked' END, %(author)s, r.submitted_at + interval '1 day'
FROM requests_secondopinionrequest r
WHERE r.status = 'closed' OR r.id %% 10 = 0
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--only", default="", help="time only the pages whose name contains this text"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the rows a previous run seeded")
    args = parser.parse_args()
    if not django_on_postgres():
        return 2
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # No setup_test_environment(): it makes every template render copy its context for the
    # test client, a cost production pages do not pay.
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if args.reuse:
        navigators, supervisor, records, advocate = seeded_users()
    else:
        navigators, supervisor, records, advocate = seed(args.rows)

    from django.urls import reverse

    from requests.models import SecondOpinionRequest

    case = SecondOpinionRequest.objects.filter(navigator=navigators[0]).first()
    case_page = reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    pages = [
        ("Today (navigator)", navigators[0].user, reverse("admin:today")),
        ("Team (supervisor)", supervisor, reverse("admin:team")),
        ("My cases (navigator)", navigators[0].user, "/admin/requests/secondopinionrequest/"),
        ("Unassigned queue", supervisor, "/admin/requests/secondopinionrequest/?queue=unassigned"),
        (
            "Search by reference",
            supervisor,
            f"/admin/requests/secondopinionrequest/?queue=all&q={case.reference}",
        ),
        (
            "Search by patient name",
            supervisor,
            "/admin/requests/secondopinionrequest/?queue=all&q=Patient123",
        ),
        ("Records worklist", records, "/admin/requests/recorditem/"),
        ("Records desk", records, reverse("admin:records_desk")),
        ("Records desk, chase due", records, reverse("admin:records_desk") + "?chase=yes"),
        ("Support desk", advocate, reverse("admin:support_desk")),
        ("Case workspace (navigator)", navigators[0].user, case_page),
        ("Case workspace (supervisor)", supervisor, case_page),
        ("Case details page", navigators[0].user, reverse("admin:case_details", args=[case.pk])),
        ("Reassign picker", supervisor, reverse("admin:case_reassign", args=[case.pk])),
        ("Dashboard", supervisor, "/dashboard/"),
    ]

    print(f"{'page':<30} {'status':>6} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, user, path in pages:
        if args.only.lower() not in name.lower():
            continue
        device, _created = TOTPDevice.objects.get_or_create(user=user, name="phone")
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # signed in with the second factor
        session.save()
        client.get(path)  # warm up
        timings = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                begun = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - begun) * 1000)
        timings.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        print(
            f"{name:<30} {response.status_code:>6} {len(queries):>8} "
            f"{statistics.median(timings):>8.0f} {p95:>8.0f}"
        )
    return 0


def seed(rows: int) -> tuple[list, object, object, object]:
    """Empty the database and seed `rows` requests; return the staff the pages are timed as."""
    from django.conf import settings
    from django.db import connection

    from tests.factories import make_advocate, make_navigator, make_records_user, make_supervisor

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE requests_secondopinionrequest, navigators_navigator, auth_user "
            "RESTART IDENTITY CASCADE"
        )
    navigators = [
        make_navigator(
            f"nav{i}", disease_groups=("breast",), languages=("en",), capacity=1000
        ).navigator
        for i in range(NAVIGATORS)
    ]
    supervisor, records, advocate = make_supervisor(), make_records_user(), make_advocate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL,
            {
                "rows": rows,
                "open": rows // 20,
                "navigators": len(navigators),
                "first_navigator": navigators[0].pk,
                "zone": settings.TIME_ZONE,
                "target_days": settings.APPOINTMENT_TARGET_DAYS,
            },
        )
        cursor.execute(NOTES_SQL, {"author": navigators[0].user.pk})
        cursor.execute(RECORDS_SQL)
        cursor.execute(SUPPORT_SQL)
        cursor.execute(APPOINTMENTS_SQL, {"author": navigators[0].user.pk})
        cursor.execute("ANALYZE")
    print(
        f"Seeded {rows:,} requests ({rows // 20:,} open) with notes, record items "
        f"and appointments in {time.perf_counter() - started:.1f} s\n"
    )
    return navigators, supervisor, records, advocate


def seeded_users() -> tuple[list, object, object, object]:
    """Return the staff a previous run seeded (--reuse)."""
    from django.contrib.auth import get_user_model

    from navigators.models import Navigator

    users = get_user_model().objects
    return (
        list(Navigator.objects.select_related("user").order_by("pk")[:NAVIGATORS]),
        users.get(username="supervisor"),
        users.get(username="records"),
        users.get(username="advocate"),
    )


if __name__ == "__main__":
    raise SystemExit(main())
