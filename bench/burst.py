"""A burst of concurrent valid submissions against a running portal, through the real parts.

Starts, on loopback: an SMTP sink, a Celery worker on Redis, and the portal (gunicorn when
installed, else runserver) on PostgreSQL; then COUNT browsers-without-a-browser each GET the
form and post it at the same time. Prints how many requests were saved, how many
confirmation emails reached the sink, and how many of those were duplicates:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_burst \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/burst.py --count 200

The database named in DATABASE_URL is dropped and created again. The last line reads
`saved/emailed/duplicates: 200/200/0`. It exits non-zero only when it could not run.
"""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import emailing_run, received, wait_for  # noqa: E402 (bench/ is on the path)

from tests.factories import form_data  # noqa: E402
from tests.html import input_value  # noqa: E402
from tests.infra import free_port, start_worker, stop_process, stop_worker, wait_until  # noqa: E402

# The public form's valid post, without what costs more than the submission itself
# (insurance, records help, treatments); each post gets the form's own submission key.
FORM = form_data(
    first_name="Bench",
    last_name="Patient",
    email="bench@example.com",
    coverage_checked="yes",
    insurance_carrier=None,
    insurance_member_id=None,
    needs_records_help=None,
    consent_records=None,
    treatments=None,
    diagnosis_date=None,
    questions=None,
    submission_key=None,
)


def submit(base: str) -> tuple[bool, float]:
    """GET the form and post it as a browser would; return (thanks page reached, seconds)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    started = time.monotonic()
    try:
        page = opener.open(base + "/request/", timeout=30).read().decode()
        token = input_value(page, "csrfmiddlewaretoken")
        key = input_value(page, "submission_key")
        body = urllib.parse.urlencode(
            {**FORM, "submission_key": key, "csrfmiddlewaretoken": token}
        ).encode()
        response = opener.open(base + "/request/", data=body, timeout=30)
        ok = urlsplit(response.url).path == "/request/thanks/"
    except (OSError, AssertionError):
        ok = False
    return ok, time.monotonic() - started


def main() -> int:
    started_run = emailing_run(__doc__, count=200, wait=180)
    if started_run is None:
        return 2
    args, sink = started_run
    queue = f"burst-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "CELERY_QUEUE": queue,
        "PUBLIC_POSTS_PER_HOUR": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    logs = Path(tempfile.mkdtemp(prefix="burst-"))
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    web_command = (
        [gunicorn, "secondopinion.wsgi", "-b", f"127.0.0.1:{port}", "-w", "4", "--threads", "8"]
        if gunicorn
        else [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    )
    web = subprocess.Popen(
        web_command,
        cwd=ROOT,
        env=env,
        stdout=(logs / "web.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        # The prefork pool with four processes, the portal's web server starting meanwhile.
        worker = start_worker(logs, env, queue, pool=None, concurrency=4)
    except RuntimeError as error:
        stop_process(web)
        print(error)
        return 2
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(base + "/"):
            print(f"The portal did not start; see {logs}/web.log")
            return 2
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.count) as pool:
            results = list(pool.map(lambda _i: submit(base), range(args.count)))
        posted = time.monotonic() - started
        thanked = sum(ok for ok, _seconds in results)
        latencies = sorted(seconds for _ok, seconds in results)

        os.environ.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "secondopinion.settings"})
        import django

        django.setup()
        from requests.models import Notification, SecondOpinionRequest

        saved = SecondOpinionRequest.objects.count()
        wait_until(lambda: len(sink.messages) >= saved, args.wait, interval=0.2)
        time.sleep(2)  # anything arriving late would be a duplicate
        arrived = received(sink)
        emailed = len(arrived)
        duplicates = sum(n - 1 for n in Counter(mid for _s, mid in arrived).values())
        references = Counter(subject.rsplit("(", 1)[-1].rstrip(")") for subject, _mid in arrived)
        sent_rows = Notification.objects.filter(kind="confirmation", state="sent").count()
        print(f"{args.count} concurrent submissions in {posted:.2f} s; thanks pages: {thanked}")
        print(
            f"form GET+POST latency: p50 {latencies[len(latencies) // 2]:.2f} s, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.2f} s, max {latencies[-1]:.2f} s"
        )
        print(f"outbox rows sent: {sent_rows}; distinct references emailed: {len(references)}")
        print(f"saved/emailed/duplicates: {saved}/{emailed}/{duplicates}")
        return 0
    finally:
        stop_process(web)
        stop_worker(worker)
        sink.stop()


if __name__ == "__main__":
    raise SystemExit(main())
