"""The access log written by the README's production command: paths, never query strings,
Referers or the tokens they carry (SECURITY.md, "URLs and logs")."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver

from tests.infra import ROOT, database_url, free_port, wait_until

TOKEN = "eyJpZCI6MSwicyI6InNlY3JldCJ9-live-token-4Kq9"
SEARCH = "Zephyrine Holloway"


def production_command() -> list[str]:
    """Return the web command of the README's Production section, as arguments."""
    readme = (ROOT / "README.md").read_text()
    lines = [line.strip() for line in readme.splitlines() if line.strip().startswith("gunicorn -c")]
    assert lines, "README.md has no line starting with `gunicorn -c`"
    words = shlex.split(lines[0])
    # The venv's gunicorn, run by this interpreter.
    return [sys.executable, "-m", "gunicorn", *words[1:]]


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def listening() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped: {log.read_text()[-3000:]}")
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    if not wait_until(listening, 60, interval=0.2):
        pytest.fail(f"gunicorn did not start: {log.read_text()[-3000:]}")


@pytest.fixture
def gunicorn(require_postgres: None, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The README's command on a free port, in production settings, logging to a file."""
    port = free_port()
    access_log = tmp_path / "access.log"
    output = tmp_path / "gunicorn.out"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "s" * 20 + "e" * 20 + "c" * 20 + "-test-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://127.0.0.1",
        "DATABASE_URL": database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": str(access_log),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    # With DEBUG off pages name their static files from the manifest collectstatic writes.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    with output.open("wb") as handle:
        process = subprocess.Popen(
            production_command(), cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, process, output)
            yield port, access_log
        finally:
            process.terminate()
            process.wait(timeout=30)


def fetch(port: int, path: str, **headers: str) -> int:
    """GET `path` as through the local proxy (HTTPS); return the status, redirects unfollowed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https", **headers}
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_the_access_log_has_paths_and_no_query_string_or_token(gunicorn) -> None:
    """A status link, a staff search with filters and a language switch are logged by path:
    no query string, no token, no search term, no Referer."""
    port, access_log = gunicorn
    quoted = SEARCH.replace(" ", "+")
    visits = {
        f"/status/open/?t={TOKEN}": 200,
        f"/admin/requests/secondopinionrequest/?q={quoted}&status__exact=new": 302,
        "/request/?lang=es": 200,
        f"/status/?reference=ABCD-2345&email={quoted}": 200,
    }
    for path, status in visits.items():
        assert fetch(port, path, Referer=f"https://127.0.0.1/status/open/?t={TOKEN}") == status

    wait_until(lambda: len(access_log.read_text().splitlines()) >= len(visits), 10)
    log = access_log.read_text()
    lines = log.splitlines()
    assert len(lines) == len(visits), log
    for line, path in zip(lines, visits, strict=True):
        assert re.search(rf'"GET {re.escape(path.split("?")[0])} HTTP/1\.1" \d{{3}}', line), line
    assert "?" not in log
    for secret in (TOKEN, "Zephyrine", "Holloway", "ABCD-2345", "lang=es", "status__exact"):
        assert secret not in log, secret


def test_the_production_command_listens_on_loopback_by_default() -> None:
    """Without GUNICORN_BIND the config binds 127.0.0.1:8000, behind the local proxy, and
    trusts X-Forwarded-Proto from the local proxy only."""
    code = (
        "import runpy; c = runpy.run_path('secondopinion/gunicorn_conf.py'); "
        "print(c['bind'], c['forwarded_allow_ips'], c['access_log_format'])"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GUNICORN_") and key != "TRUSTED_PROXY_ADDRESSES"
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    bind, allowed, log_format = result.stdout.split(" ", 2)
    assert (bind, allowed) == ("127.0.0.1:8000", "127.0.0.1,::1")
    assert "%(U)s" in log_format
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert leaky not in log_format, leaky


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Yield every URL pattern of the portal, included ones spelt out from the root."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


# What a URL's path may carry: ids and names, which open nothing without a staff session.
PATH_PARAMETERS = {
    "app_label",
    "url",
    "id",
    "pk",
    "appointment_pk",
    "content_type_id",
    "object_id",
    "change",
    "move",
    "public_id",
}
SECRET_WORDS = re.compile(r"token|secret|key|sign|hash|code|otp|pass|link|email", re.IGNORECASE)


def test_no_url_path_carries_a_secret() -> None:
    """No URL pattern captures a token, a secret or a signed value in its path (those go in
    a query string or a form, which the access log does not keep): every captured name is
    an id, reviewed here."""
    patterns = list(url_patterns())
    assert "status/open/" in patterns
    for pattern in patterns:
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", pattern):
            assert not SECRET_WORDS.search(name), pattern
            assert name in PATH_PARAMETERS, pattern
            assert converter != "str" or name == "change", pattern
        for name in re.findall(r"\(\?P<(\w+)>", pattern):
            assert not SECRET_WORDS.search(name), pattern
            assert name in PATH_PARAMETERS, pattern
