"""Take the README's pictures of the main screens: `make screenshots`.

Runs the portal as `make run` does (SQLite in a temporary folder, demo data, tasks in process),
signs in as each role in Debian's Chromium and keeps each screen at desktop and phone width
in docs/screens/<name>-desktop.png and <name>-phone.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "demo-screens-password"  # noqa: S105 (a throwaway database's demo logins)
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# The tallest picture kept: enough to show a page's work, short enough to read in the README.
MAX_HEIGHT = 1800


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_for(url: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own server)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the portal did not answer at {url}")


def case_paths() -> dict[str, str]:
    """Return the staff paths of the demo cases the pictures show."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.urls import reverse

    from requests.choices import Status
    from requests.models import SecondOpinionRequest

    case = (
        SecondOpinionRequest.objects.filter(
            navigator__user__username="navigator",
            status=Status.GATHERING_RECORDS,
            record_items__isnull=False,
        )
        .distinct()
        .order_by("target_date")
        .first()
    )
    return {"workspace": reverse("admin:requests_secondopinionrequest_change", args=[case.pk])}


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_load_state()


def shoot(browser: Any, base: str, name: str, user: str, path: str | Callable[[], str]) -> None:
    for label, (width, height) in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=label == "phone"
        )
        page = context.new_page()
        if user:
            sign_in(page, base, user)
        page.goto(base + (path() if callable(path) else path))
        page.wait_for_load_state("networkidle")
        full = page.evaluate("document.documentElement.scrollHeight")
        target = OUT / f"{name}-{label}.png"
        page.screenshot(
            path=str(target),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": min(full, MAX_HEIGHT)},
        )
        print(f"{target.relative_to(ROOT)}  ({width} px wide)")
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="screens-"))
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        DEMO_PASSWORD=PASSWORD,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="secondopinion.settings",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    os.environ.update(env)
    paths = case_paths()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base + "/")
        screens: list[tuple[str, str, str | Callable[[], str]]] = [
            ("home", "", "/"),
            ("request-form", "", "/request/"),
            ("navigator-landing", "navigator", "/admin/"),
            ("case-workspace", "navigator", paths["workspace"]),
            ("records-landing", "records", "/admin/"),
            ("supervisor-landing", "supervisor", "/admin/"),
            ("dashboard", "supervisor", "/dashboard/"),
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, user, path in screens:
                shoot(browser, base, name, user, path)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
