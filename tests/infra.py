"""The real services the tests and the benchmarks run beside the portal: an SMTP sink on
loopback, Celery workers, Orthanc, free ports, and waiting for something to happen.

Nothing here imports Django at module level: the benchmarks import this module before they
set Django up (they create their database first).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ORTHANC = "/usr/sbin/Orthanc"
ORTHANC_PLUGINS = Path("/usr/share/orthanc/plugins")


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    check: Callable[[], Any],
    timeout: float = 30.0,
    *,
    interval: float = 0.05,
    what: str | None = None,
    log: Path | None = None,
) -> bool:
    """Poll `check` until it is true or `timeout` seconds have passed; return whether it became
    true. Another process does the work, so there is nothing to move a clock forward for.

    With `what`, time running out is an AssertionError naming what did not happen, with the
    end of `log` (a worker's or a server's) to say why.
    """
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if what is None:
        return False
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"{what} did not happen within {timeout:g} s:\n{tail}")


def url_answers(url: str) -> bool:
    """Return whether `url` answers with a success (a server still starting does not)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
            return True
    except OSError:
        return False


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0  # how many next deliveries to refuse with a 451
    refuse_all: bool = False  # refuse every delivery (an SMTP server down for good)
    delay: float = 0.0  # seconds to hold each delivery before answering
    receiving: threading.Event = field(default_factory=threading.Event)
    controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        """Listen on `port`; return the sink."""
        from aiosmtpd.controller import Controller

        self.controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """Wait until `count` messages have arrived (or `timeout`); return what arrived."""
        wait_until(lambda: len(self.messages) >= count, timeout)
        return self.messages


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink.receiving.set()
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
            if server.transport is None or server.transport.is_closing():
                # The sender died before our "250": like any MTA, we did not accept it.
                return "451 Connection lost"
        with self.lock:
            if self.sink.refuse_all:
                return "550 Mailbox unavailable"
            if self.sink.refuse > 0:
                self.sink.refuse -= 1
                return "451 Try again later"
            self.sink.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
        return "250 OK"


def database_url() -> str:
    """Return the URL of the test database, for processes started by the tests."""
    from django.db import connection

    conf = connection.settings_dict
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{conf.get('HOST') or '127.0.0.1'}:"
        f"{conf.get('PORT') or 5432}/{conf['NAME']}"
    )


def redis_available() -> bool:
    """Return whether the settings' REDIS_URL names a Redis that answers."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    queue: str
    log: Path
    env: dict[str, str]


def start_worker(
    folder: Path,
    env: dict[str, str],
    queue: str,
    *,
    beat: bool = False,
    pool: str | None = "solo",
    concurrency: int | None = None,
    log_level: str = "info",
) -> WorkerProcess:
    """Start a `celery worker` on `queue`, logging into `folder`; return once it is ready.

    The tests use one solo process (what it does is then in one log, in order); the
    benchmarks pass `pool=None` for Celery's default prefork pool, as production runs it.
    """
    log = folder / f"worker-{uuid.uuid4().hex[:6]}.log"
    args = [sys.executable, "-m", "celery", "-A", "secondopinion", "worker", "-Q", queue]
    if pool:
        args += ["-P", pool]
    if concurrency:
        args += ["-c", str(concurrency)]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", log_level]
    if beat:
        args += ["-B", "-s", str(folder / "beat-schedule")]
    handle = log.open("wb")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    ready = wait_until(lambda: process.poll() is not None or b" ready." in log.read_bytes(), 60)
    if ready and process.poll() is None:
        return WorkerProcess(process, queue, log, env)
    process.kill()
    raise RuntimeError("The Celery worker did not start:\n" + log.read_text()[-3000:])


def stop_worker(worker: WorkerProcess) -> None:
    stop_process(worker.process)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate `process` and wait for it; kill it if it does not stop in 20 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class OrthancServer:
    """An Orthanc process on a loopback port, with one user, which a caller may stop and
    start again."""

    folder: Path
    user: str
    password: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.user}:{self.password}@127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.folder / "orthanc.json"

    @property
    def log(self) -> Path:
        return self.folder / "orthanc.log"

    def configure(self, *, plugins: bool) -> OrthancServer:
        """Write the configuration: authentication, loopback only, no DICOM port open to
        others; with `plugins`, Debian's DICOMweb and viewer plugins when installed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        names = ("libOrthancDicomWeb.so", "libOrthancWebViewer.so") if plugins else ()
        config = {
            "Name": "portal-test",
            "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "index"),
            "HttpPort": self.port,
            "DicomServerEnabled": False,
            "DicomPort": free_port(),
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.user: self.password},
            "Plugins": [
                str(ORTHANC_PLUGINS / name) for name in names if (ORTHANC_PLUGINS / name).exists()
            ],
            "HttpCompressionEnabled": False,
        }
        self.config.write_text(json.dumps(config))
        return self

    def start(self) -> None:
        handle = self.log.open("ab")
        process = subprocess.Popen(
            [ORTHANC, str(self.config)], stdout=handle, stderr=subprocess.STDOUT
        )
        self.process = process
        answered = wait_until(lambda: process.poll() is not None or self.get("/system"), 30)
        if answered and process.poll() is None:
            return
        self.stop()
        raise RuntimeError("Orthanc did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def kill(self) -> None:
        """Stop Orthanc at once, as a crash or a pulled cable would, mid-request."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def get(self, path: str, *, method: str = "GET", timeout: float = 5) -> Any:
        """Call a path of the REST API as the user; None when Orthanc does not answer."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                data = response.read()
                return json.loads(data) if data else {}
        except (urllib.error.URLError, OSError):
            return None
