"""Whether a study read from a disc is this case's patient: name and birth date.

A disc in the wrong envelope is the classic imaging error, and attaching someone else's
scan to a case could change a treatment plan. So a study is matched only when both the
name and the birth date agree; anything less is held for records staff to decide, with
reasons that say what differs without quoting the values (they are PHI).

Names are compared as people write them, not byte for byte: DICOM's `LAST^FIRST^MIDDLE`
against the case's first and last names, ignoring case, accents, spaces, hyphens and
apostrophes, accepting a middle name on one side only and a compound surname given in
part (LOPEZ^MARIA for María López García).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class MatchResult:
    matched: bool
    reasons: tuple[str, ...]


def name_tokens(text: str) -> list[str]:
    """Return the words of a name, lower case, without accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = "".join(c if c.isalnum() else " " for c in plain.replace("'", "").replace("\u2019", ""))
    return words.split()


def dicom_name_parts(value: str) -> tuple[list[str], list[str]]:
    """Split a DICOM Person Name into (family words, given words).

    Only the first component group counts (the ideographic and phonetic groups after `=`
    repeat it). A name without `^` is taken as free text: its words, family unknown.
    """
    alphabetic = value.split("=")[0]
    if "^" not in alphabetic:
        return [], name_tokens(alphabetic)
    parts = alphabetic.split("^")
    family = name_tokens(parts[0])
    given = name_tokens(" ".join(parts[1:3]))  # given and middle names
    return family, given


def names_match(dicom_name: str, first_name: str, last_name: str) -> bool:
    """Return whether a DICOM patient name is the case's patient's name."""
    family, given = dicom_name_parts(dicom_name)
    last = name_tokens(last_name)
    first = name_tokens(first_name)
    if not last or not first or not (family or given):
        return False
    if not family:
        words = set(given)
        return first[0] in words and bool(words & set(last))
    family_ok = (
        "".join(family) == "".join(last) or set(family) <= set(last) or set(last) <= set(family)
    )
    # The first given name must agree; a middle name or initial on one side only is fine.
    given_ok = bool(given) and (given[0] == first[0] or "".join(given) == "".join(first))
    if family_ok and given_ok:
        return True
    # Some sites swap the components (FIRST^LAST).
    swapped_family_ok = bool(given) and (
        "".join(given) == "".join(last) or set(given) <= set(last) or set(last) <= set(given)
    )
    return swapped_family_ok and bool(family) and family[0] == first[0]


def study_matches(
    *,
    patient_name: str,
    patient_birth_date: date | None,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
) -> MatchResult:
    """Compare what a study says about its patient with the case."""
    reasons = []
    if not patient_name.strip():
        reasons.append(_("The images carry no patient name."))
    elif not names_match(patient_name, first_name, last_name):
        reasons.append(_("The patient name on the images differs from the case."))
    if patient_birth_date is None:
        reasons.append(_("The images carry no birth date."))
    elif patient_birth_date != date_of_birth:
        reasons.append(_("The birth date on the images differs from the case."))
    return MatchResult(matched=not reasons, reasons=tuple(reasons))
