"""CSV cells that no spreadsheet runs as a formula (secondopinion.csvsafe)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from secondopinion.csvsafe import FORMULA_PREFIXES, csv_safe_cell, csv_safe_row


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
@pytest.mark.parametrize("column", range(4))
def test_each_dangerous_prefix_is_quoted_in_any_column(prefix: str, column: int) -> None:
    """A text cell starting with =, +, -, @, tab or carriage return gets a leading quote."""
    row = ["program", "Breast cancer", "30", "note"]
    row[column] = f"{prefix}2+5+cmd|' /C calc'!A0"

    safe = csv_safe_row(row)

    assert safe[column] == "'" + row[column]
    assert [cell for index, cell in enumerate(safe) if index != column] == [
        cell for index, cell in enumerate(row) if index != column
    ]


def test_text_that_only_contains_a_formula_character_later_is_unchanged() -> None:
    """Only the first character matters: "Mercy-General" and "a=b" stay as they are."""
    assert csv_safe_row(["Mercy-General", "a=b", ""]) == ["Mercy-General", "a=b", ""]


@pytest.mark.parametrize("number", [-2, -2.5, Decimal("-0.125"), 0, 7])
def test_numbers_we_computed_stay_numbers(number: float) -> None:
    """A number (negative too) is written as the number it is: it holds no formula."""
    assert csv_safe_cell(number) == number


def test_text_that_looks_like_a_negative_number_is_still_quoted() -> None:
    """Typed text such as "-3" is quoted like any other: only our own numbers are kept."""
    assert csv_safe_cell("-3") == "'-3"
    assert csv_safe_cell(None) == ""
