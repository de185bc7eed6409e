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
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import SEED_SQL, emailing_run  # noqa: E402 (bench/ is on the path: see above)

OWED_SQL = """
INSERT INTO requests_notification (request_id, kind, dedupe_key, recipient, language, context,
    state, attempts, last_error, created_at)
SELECT id, 'confirmation', 'confirmation:' || id, 'bench@example.com', 'en', '{}'::jsonb,
       'pending', 0, '', now()
FROM requests_secondopinionrequest
"""


def start_worker(env: dict[str, str], queue: str, log: Path) -> subprocess.Popen:
    """Start one Celery worker on `queue` and return once it is ready."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "secondopinion",
            "worker",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and b" ready." not in log.read_bytes():
        if worker.poll() is not None:
            break
        time.sleep(0.2)
    return worker


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

    log = Path(tempfile.mkdtemp(prefix="bench-mail-")) / "worker.log"
    worker = start_worker({**os.environ, "PYTHONPATH": str(ROOT)}, queue, log)
    try:
        if worker.poll() is not None or b" ready." not in log.read_bytes():
            print(f"The worker did not start; see {log}")
            return 2
        started = time.monotonic()
        for notification_id in ids:
            notification_send_task.delay(notification_id)
        queued = time.monotonic() - started
        deadline = started + args.wait
        while len(sink.received) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        time.sleep(2)  # a late arrival would be a duplicate
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    received = len(sink.received)
    duplicates = sum(n - 1 for n in Counter(mid for _s, mid in sink.received).values())
    states = Counter(Notification.objects.values_list("state", flat=True))
    concurrency = os.cpu_count()
    print(f"one worker (prefork, {concurrency} processes), SMTP sink on loopback")
    print(f"{len(ids)} emails queued in {queued:.2f} s (one task each)")
    print(f"{received} received in {elapsed:.2f} s: {received / elapsed:.0f} emails/s")
    print(f"outbox rows by state: {dict(states)}; duplicates at the sink: {duplicates}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
