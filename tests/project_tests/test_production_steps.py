"""The README's "Production" steps, followed from a fresh clone, serve the Spanish pages in Spanish.

The test reads the commands from the README's blocks, in order, so that a step removed or
changed there is a step removed or changed here: a clone of the repository at HEAD, the
environment the README exports (with a generated secret, this machine's database and
addresses), its `manage.py` steps, then its web command under gunicorn, asked for the program
page with `Accept-Language: es`. The installs reuse this virtualenv (nothing is downloaded);
the worker and beat commands are long-running services and are only checked to be there.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.infra import ROOT, free_port, wait_until

WEB_COMMAND = "gunicorn -c secondopinion/gunicorn_conf.py secondopinion.wsgi"
GUNICORN_CONF = "secondopinion/gunicorn_conf.py"
BIN = Path(sys.executable).parent
# What this machine puts in place of the README's example values.
LOCAL_VALUES = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": lambda: "127.0.0.1",
    "SITE_URL": lambda: "https://127.0.0.1",
    "EMAIL_URL": lambda: "console:",
}
# Left out: the web page needs no broker, and no task runs (no worker is started).
UNSET = {"REDIS_URL"}


@dataclass
class Steps:
    """The README's production steps, sorted by what the test does with each."""

    installs: list[str] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)
    manage: list[list[str]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


def readme_steps() -> Steps:
    """Return the commands of the README's "Production" section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    steps = Steps()
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in (line.strip() for line in block.splitlines()):
            if not line or line.startswith("#"):
                continue
            if line.startswith(("python3.11 -m venv", ". .venv/bin/activate", "pip ")):
                steps.installs.append(line)
            elif line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                steps.exports[name] = value
            elif line.startswith("python manage.py "):
                steps.manage.append(shlex.split(line.removeprefix("python manage.py ")))
            elif line.startswith(("gunicorn ", "celery ")):
                steps.services.append(line)
            else:
                raise AssertionError(f"the test does not know how to follow: {line}")
    return steps


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database for the deployment: PostgreSQL when the tests use it."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path}/portal.sqlite3"
        return
    conf = connection.settings_dict
    name = f"{conf['NAME']}_readme_{uuid.uuid4().hex[:6]}"
    server = {
        "host": conf.get("HOST") or "127.0.0.1",
        "port": conf.get("PORT") or 5432,
        "user": conf.get("USER") or "postgres",
        "password": conf.get("PASSWORD") or None,
    }
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    try:
        yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def get(port: int, path: str, language: str) -> tuple[int, str]:
    """GET `path` as a browser behind the TLS proxy would send it; return status and body."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request(
            "GET",
            path,
            headers={
                "Host": "127.0.0.1",
                "Accept-Language": language,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "198.51.100.7",
            },
        )
        response = client.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        client.close()


def wait_for_server(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError("the web server stopped:\n" + log.read_text()[-3000:])
        try:
            get(port, "/health/", "en")
        except OSError:
            return False
        return True

    wait_until(answers, 30, interval=0.2, what="The web server answering", log=log)


def test_the_readme_names_every_step() -> None:
    """The production extras, the translations, the static files, the migrations, the deploy
    checks, the web command and exactly one beat are all in the README's steps."""
    steps = readme_steps()
    assert 'pip install ".[production]"' in steps.installs
    assert [args[0] for args in steps.manage] == [
        "compile_translations",
        "collectstatic",
        "migrate",
        "check",
    ]
    assert steps.exports["DEBUG"] == "0"
    assert steps.services[0] == WEB_COMMAND
    assert sum(" beat" in line for line in steps.services) == 1
    assert sum(" worker" in line for line in steps.services) == 1


def test_following_the_readme_from_a_fresh_clone_serves_spanish(
    tmp_path: Path, database_url: str
) -> None:
    """A clone at HEAD, set up by the README's steps with DEBUG off, answers the program page
    in Spanish to a Spanish browser, with its static files."""
    steps = readme_steps()
    clone = tmp_path / "portal"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=60)
    assert not list(clone.glob("locale/*/LC_MESSAGES/*.mo")), "a clone has no compiled catalogue"

    env = {
        name: value
        for name, value in os.environ.items()
        if name not in steps.exports and name not in UNSET
    }
    for name, value in steps.exports.items():
        if name in UNSET:
            continue
        env[name] = LOCAL_VALUES[name]() if name in LOCAL_VALUES else value
    env["DATABASE_URL"] = database_url
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    # Set in this process by the browser tests' conftest; a deployment never has it (and
    # check --deploy rightly fails on it).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    for args in steps.manage:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])

    port = free_port()
    web = shlex.split(steps.services[0])
    if not (clone / GUNICORN_CONF).exists():
        # Until the configuration file is on this branch: the same command without it.
        web.remove("-c")
        web.remove(GUNICORN_CONF)
    web = [str(BIN / web[0]), *web[1:], "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(web, cwd=clone, env=env, stdout=output, stderr=output)
    try:
        wait_for_server(port, server, log)
        status, spanish = get(port, "/", "es")
        assert status == 200, spanish[-2000:]
        assert '<html lang="es">' in spanish
        assert "Solicitar una segunda opinión" in spanish
        status, english = get(port, "/", "en")
        assert (status, '<html lang="en">' in english) == (200, True)
        assert "Request a second opinion" in english

        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]+\.css)"', spanish)
        assert stylesheet, "collectstatic's hashed names are in the page"
        assert get(port, stylesheet.group(1), "es")[0] == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
