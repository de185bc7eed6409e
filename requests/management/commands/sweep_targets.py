"""`manage.py sweep_targets`: the beat job's target sweep, run by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from requests.services import target_sweep


class Command(BaseCommand):
    help = "Update every open case's target state and owe the alerts due (as beat does)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = target_sweep()
        self.stdout.write(
            f"Checked {result.checked} cases; changed {result.changed or 'none'}; "
            f"alerts {result.alerts or 'none'}."
        )
