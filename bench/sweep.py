"""Benchmark of the target sweep at the size of a real program, on PostgreSQL.

Seeds ROWS requests (OPEN of them open, submitted over the last 7 days; the rest closed over
the past years) into its own database, then prints the query plan of the sweep's scan and
the time of a first sweep (which records the alerts due) and of steady-state sweeps.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_bench \\
        .venv/bin/python bench/sweep.py [--rows 1000000] [--open 50000]

It creates the database when missing. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secondopinion.settings")
os.environ.pop("REDIS_URL", None)

from seed import SEED_SQL, django_on_postgres  # noqa: E402 (bench/ is on the path: see above)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--navigators", type=int, default=25)
    parser.add_argument("--sweeps", type=int, default=3)
    args = parser.parse_args()

    if not django_on_postgres():
        return 2
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from requests.models import OPEN_STATUSES, SWEPT_TARGET_STATES, SecondOpinionRequest
    from requests.services import target_sweep
    from secondopinion.celery import app as celery_app
    from tests.factories import make_navigator

    # Alerts are queued to an in-memory broker: the bench measures the sweep, not email.
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://localhost/"

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE requests_secondopinionrequest, navigators_navigator RESTART IDENTITY CASCADE"
        )
    get_user_model().objects.filter(username__startswith="bench-nav-").delete()
    navigators = [
        make_navigator(
            f"bench-nav-{index}", disease_groups=("breast",), languages=("en",), capacity=10_000
        ).navigator
        for index in range(args.navigators)
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL,
            {
                "rows": args.rows,
                "open": args.open,
                "navigators": args.navigators,
                "first_navigator": navigators[0].pk,
                "zone": settings.TIME_ZONE,
                "target_days": settings.APPOINTMENT_TARGET_DAYS,
            },
        )
    seconds = time.perf_counter() - started
    print(f"Seeded {args.rows:,} requests ({args.open:,} open) in {seconds:.1f} s")
    # A table at rest, as a live one is between sweeps: not one whose million fresh rows
    # autovacuum is about to visit while the sweep runs.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FREEZE, ANALYZE) requests_secondopinionrequest")

    from django.utils import timezone

    from requests.choices import TargetState
    from requests.targets import last_target_date_at_risk

    scan = SecondOpinionRequest.objects.filter(
        status__in=OPEN_STATUSES,
        target_state__in=SWEPT_TARGET_STATES,
        target_state=TargetState.ON_TRACK,
        target_date__lte=last_target_date_at_risk(timezone.now()),
    ).order_by("pk")[:500]
    print("\nQuery plan of the sweep's at-risk scan (one batch of 500):")
    print(scan.explain(analyze=True))

    for run in range(1, args.sweeps + 1):
        started = time.perf_counter()
        result = target_sweep()
        elapsed = time.perf_counter() - started
        kind = "first sweep (records the alerts due)" if run == 1 else "steady-state sweep"
        print(
            f"\nSweep {run}, {kind}: {elapsed:.2f} s; {result.checked:,} cases checked, "
            f"changed {result.changed}, alerts {result.alerts}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
