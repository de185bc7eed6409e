"""What the browser tests do in a page besides their steps: Chromium's switches, keeping a
picture of a step, filling the request form, running axe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("CI_SCREENSHOTS", "/tmp/secondopinion-screenshots"))  # noqa: S108


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the step, outside the repository."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fill_request_form(page: Any) -> None:
    """Answer the required questions of the public request form (in English)."""
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").fill("Lopez")
    page.locator("#id_date_of_birth").fill("1961-03-28")
    page.locator("#id_email").fill("maria.lopez@example.com")
    page.locator("#id_phone").fill("617-555-0123")
    page.locator("#id_city").fill("Boston")
    page.locator("#id_state").select_option("MA")
    page.locator("#id_zip_code").fill("02115")
    page.locator("#id_cancer_type").select_option("breast")
    page.locator("#id_questions").fill("Is surgery the right first step?")
    page.locator("#id_privacy_acknowledged").check()
    page.locator("#id_consent_contact").check()
