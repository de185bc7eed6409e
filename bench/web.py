"""The public form over HTTP: the portal under gunicorn as in production, loaded by wrk.

Starts the portal on loopback under gunicorn (`-w 4`, as the README deploys it; `DEBUG` off,
static files collected and served by WhiteNoise) on PostgreSQL and Redis, then loads it from
wrk, a second process, at CLIENTS concurrent connections for SECONDS each:

- a trivial view behind the same middleware (`/bench/baseline/`, bench/web_urls.py), the
  baseline;
- `GET /request/`, the form;
- valid `POST /request/` submissions, each with its own submission key, which save a request
  and queue its confirmation email (to a queue of its own that no worker reads);

in ROUNDS rounds, and a last baseline. It prints requests per second and p50/p95/p99 latency
of each run, each page's throughput as a share of the baselines measured just before and
after it, and the median share over the rounds:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/secondopinion_bench_web \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/web.py [--seconds 20] [--rounds 3]

wrk is Debian's package `wrk`. The database named in DATABASE_URL is dropped and created
again. It prints figures and asserts nothing; it exits non-zero only when it could not run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from burst import FORM  # noqa: E402 (bench/ is on the path: see above)
from seed import database_and_broker, reset_database, wait_for  # noqa: E402

from tests.html import input_value  # noqa: E402
from tests.infra import free_port  # noqa: E402

# wrk's scripts: a summary line for every run, and for the posts a body of its own each
# (a submission key from the thread's number, the round and a counter: none is a repeat).
SUMMARY_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
POST_LUA = """
local threads, counter = 0, 0
setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)  -- the thread's global `number`
end
init = function(args) counter = 0 end
request = function()
  counter = counter + 1
  local key = string.format("%08x-%04x-4000-8000-%012x", number, ROUND, counter)
  return wrk.format("POST", "/request/", HEADERS, BODY_BEFORE .. key .. BODY_AFTER)
end
"""


@dataclass(frozen=True)
class Run:
    name: str
    requests: int
    seconds: float
    bad_status: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(name: str, url: str, script: str, clients: int, seconds: int, folder: Path) -> Run:
    """Load `url` with wrk for `seconds` and return its figures."""
    path = folder / f"{name.split()[0].lower()}.lua"
    path.write_text(script + SUMMARY_LUA)
    output = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration, status, errors, p50, p95, p99 = (int(x) for x in line.split()[1:])
    return Run(name, requests, duration / 1e6, status, errors, p50 / 1e3, p95 / 1e3, p99 / 1e3)


def form_tokens(port: int) -> tuple[str, str]:
    """GET the form as a browser would; return its CSRF cookie and the form's token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/request/")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = input_value(page, "csrfmiddlewaretoken")
    return cookie, token


def post_script(port: int, round_number: int) -> str:
    """Return the wrk script that posts valid submissions, each with a key of its own."""
    cookie, token = form_tokens(port)
    body = urllib.parse.urlencode(
        {**FORM, "csrfmiddlewaretoken": token, "submission_key": "KEY"}
    ).split("KEY")
    headers = (
        "{['Content-Type'] = 'application/x-www-form-urlencoded', "
        f"['Cookie'] = 'csrftoken={cookie}'}}"
    )
    return (
        POST_LUA.replace("HEADERS", headers)
        .replace("ROUND", str(round_number))
        .replace("BODY_BEFORE", lua_string(body[0]))
        .replace("BODY_AFTER", lua_string(body[1]))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    services = database_and_broker()
    if services is None:
        return 2
    database_url, redis_url = services
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if shutil.which("wrk") is None or gunicorn is None:
        print("Needs wrk (Debian: apt-get install wrk) and gunicorn (the dev extras).")
        return 2
    reset_database(database_url)
    port = free_port()
    queue = f"bench-web-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "web_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS ends at the proxy
        "PUBLIC_POSTS_PER_HOUR": "100000000",  # one address posts them all
        "CELERY_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "compile_translations"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    server = subprocess.Popen(
        [gunicorn, "secondopinion.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers)],
        cwd=ROOT,
        env=env,
        stdout=(folder / "web.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(base + "/bench/baseline/"):
            print(f"The portal did not start; see {folder}/web.log")
            return 2
        for url in (base + "/bench/baseline/", base + "/request/"):  # warm every worker
            wrk("warm-up", url, "", args.clients, 3, folder)
        runs: list[Run] = []
        for round_number in range(1, args.rounds + 1):
            # Each round: the baseline, then each page; a page is compared with the mean of
            # the baselines just before and after it (the next round's, or the last one).
            for name, script in (
                ("baseline", ""),
                ("GET /request/", ""),
                ("POST /request/", post_script(port, round_number)),
            ):
                path = "/bench/baseline/" if name == "baseline" else "/request/"
                run = wrk(name, base + path, script, args.clients, args.seconds, folder)
                runs.append(replace(run, name=f"{name} (round {round_number})"))
        runs.append(
            wrk("baseline (end)", base + "/bench/baseline/", "", args.clients, args.seconds, folder)
        )
        saved = saved_requests(database_url)
    finally:
        server.terminate()
        server.wait(timeout=30)
        purge_queue(redis_url, queue)
    print(
        f"gunicorn -w {args.workers}, {args.clients} clients (wrk -t2), {args.seconds} s a run, "
        f"{args.rounds} rounds\n"
    )
    print(
        f"{'run':<26} {'req/s':>8} {'of baseline':>12} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'non-2xx/3xx':>12} {'errors':>7}"
    )
    shares: dict[str, list[float]] = {}
    p95s: dict[str, list[float]] = {}
    for index, run in enumerate(runs):
        around = [
            runs[i].per_second
            for i in range(index - 2, index + 3)
            if 0 <= i < len(runs) and runs[i].name.startswith("baseline")
        ]
        share = run.per_second / statistics.mean(around) if around else 1.0
        if not run.name.startswith("baseline"):
            shares.setdefault(run.name.split(" (")[0], []).append(share)
            p95s.setdefault(run.name.split(" (")[0], []).append(run.p95_ms)
        print(
            f"{run.name:<26} {run.per_second:>8.0f} {share:>12.0%} "
            f"{run.p50_ms:>8.1f} {run.p95_ms:>8.1f} {run.p99_ms:>8.1f} {run.bad_status:>12} "
            f"{run.socket_errors:>7}"
        )
    print()
    for name, values in shares.items():
        print(
            f"{name}: median share of the baseline over {len(values)} rounds "
            f"{statistics.median(values):.0%} (from {min(values):.0%} to {max(values):.0%}), "
            f"median p95 {statistics.median(p95s[name]):.0f} ms"
        )
    posted = sum(run.requests for run in runs if run.name.startswith("POST"))
    print(f"requests saved by the posts: {saved} (wrk counted {posted} posts answered)")
    return 0


def saved_requests(database_url: str) -> int:
    import psycopg2

    parts = urllib.parse.urlsplit(database_url)
    with (
        psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname=parts.path.lstrip("/"),
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM requests_secondopinionrequest")
        return cursor.fetchone()[0]


def purge_queue(redis_url: str, queue: str) -> None:
    """Drop the confirmation tasks the posts queued: no worker reads this queue."""
    import redis

    redis.Redis.from_url(redis_url).delete(queue)


if __name__ == "__main__":
    raise SystemExit(main())
