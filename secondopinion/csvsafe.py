"""Cells of our CSV exports that a spreadsheet cannot run as a formula (OWASP CSV injection).

Every CSV writer of the portal writes its rows through `csv_safe_row`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and
# carriage return, strips them and reads what follows as one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal | None


def csv_safe_cell(value: Cell) -> str | int | float | Decimal:
    """Return `value` as a CSV cell no spreadsheet evaluates.

    Text that starts like a formula gets a leading single quote (OWASP's advice), whoever
    typed it. Numbers we computed stay numbers, negative ones too: a spreadsheet reads "-2.5"
    as the number it is, and a number holds no formula.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_safe_row(values: Iterable[Cell]) -> list[str | int | float | Decimal]:
    """Return a row for csv.writer with every cell neutralised by csv_safe_cell."""
    return [csv_safe_cell(value) for value in values]
