"""bench/burst.py at a small size: concurrent submissions, each saved and emailed once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.infra import ROOT, database_url


@pytest.mark.django_db
def test_a_burst_of_submissions_is_saved_and_emailed_once_each(
    require_postgres: None, require_redis: None
) -> None:
    """20 concurrent valid submissions: 20 saved, 20 emails, no duplicate."""
    url = database_url().rsplit("/", 1)[0] + "/secondopinion_burst_ci"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "bench/burst.py", "--count", "20", "--wait", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "saved/emailed/duplicates: 20/20/0", (
        result.stdout + result.stderr[-2000:]
    )
