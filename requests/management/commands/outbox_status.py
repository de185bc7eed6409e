"""`manage.py outbox_status`: the emails the portal owes, by state."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from requests.selectors import outbox_counts


class Command(BaseCommand):
    help = "Print the outbox's emails by state and the age of the oldest one not yet sent."

    def handle(self, *args: Any, **options: Any) -> None:
        status = outbox_counts()
        for state, count in status["counts"].items():
            self.stdout.write(f"{state:<8} {count}")
        self.stdout.write(f"oldest unsent: {status['oldest_unsent_seconds']} s")
