"""`manage.py compile_translations`: compile the .po files with Babel (pure Python).

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine with only Python
may not have; the set-up step uses this instead, so that .mo files are never committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/django.po into its .mo (no gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        for locale_path in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
                with po_path.open("rb") as source:
                    catalog = read_po(source)
                with po_path.with_suffix(".mo").open("wb") as target:
                    write_mo(target, catalog, use_fuzzy=False)
                self.stdout.write(f"Compiled {po_path.relative_to(settings.BASE_DIR)}")
