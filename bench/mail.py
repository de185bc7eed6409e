"""Email throughput: owed emails through one real Celery worker to an SMTP sink on loopback.

Seeds COUNT requests and their owed confirmation emails (outbox rows) into its own
PostgreSQL database, starts one Celery worker on Redis (its default prefork pool, one process
per core) and an SMTP sink, queues one send task per email as submissions do, and prints the
emails per second from the first task queued to the last message accepted by the sink,
then checks that every row is sent and no message arrived twice:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_bench_mail \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/mail.py [--count 1000]

The database named in DATABASE_URL is dropped and created again. It prints figures and
asserts nothing; it exits non-zero only when it could not run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import SEED_SQL, emailing_run, received  # noqa: E402 (bench/ is on the path: see above)

from tests.infra import start_worker, stop_worker, wait_until  # noqa: E402

OWED_SQL = """
INSERT INTO requests_notification (request_id, kind, dedupe_key, recipient, language, context,
    state, attempts, last_error, created_at)
SELECT id, 'confirmation', 'confirmation:' || id, 'bench@example.com', 'en', '{}'::jsonb,
       'pending', 0, '', now()
FROM requests_secondopinionrequest
"""


def main() -> int:
    started_run = emailing_run(__doc__, count=1000, wait=300)
    if started_run is None:
        return 2
    args, sink = started_run
    queue = f"bench-mail-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        {
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "secondopinion.settings",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "CELERY_QUEUE": queue,
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from requests.models import Notification
    from requests.tasks import notification_send_task

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL,
            {
                "rows": args.count,
                "open": args.count,
                "navigators": 1,
                "first_navigator": None,
                "zone": settings.TIME_ZONE,
                "target_days": settings.APPOINTMENT_TARGET_DAYS,
            },
        )
        cursor.execute("UPDATE requests_secondopinionrequest SET status = 'new'")
        cursor.execute(OWED_SQL)
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    try:
        # Celery's default prefork pool, one process per core, as production runs it.
        worker = start_worker(folder, {**os.environ, "PYTHONPATH": str(ROOT)}, queue, pool=None)
    except RuntimeError as error:
        print(error)
        return 2
    try:
        started = time.monotonic()
        for notification_id in ids:
            notification_send_task.delay(notification_id)
        queued = time.monotonic() - started
        wait_until(lambda: len(sink.messages) >= len(ids), args.wait)
        elapsed = time.monotonic() - started
        time.sleep(2)  # a late arrival would be a duplicate
    finally:
        stop_worker(worker)
        sink.stop()
    arrived = received(sink)
    duplicates = sum(n - 1 for n in Counter(mid for _s, mid in arrived).values())
    states = Counter(Notification.objects.values_list("state", flat=True))
    concurrency = os.cpu_count()
    print(f"one worker (prefork, {concurrency} processes), SMTP sink on loopback")
    print(f"{len(ids)} emails queued in {queued:.2f} s (one task each)")
    print(f"{len(arrived)} received in {elapsed:.2f} s: {len(arrived) / elapsed:.0f} emails/s")
    print(f"outbox rows by state: {dict(states)}; duplicates at the sink: {duplicates}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
