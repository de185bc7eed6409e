"""Matching a study to the case: DICOM names against the case's, and the birth date."""

from __future__ import annotations

from datetime import date

import pytest

from requests.imaging.matching import names_match, study_matches

DOB = date(1961, 3, 28)


@pytest.mark.parametrize(
    "dicom_name",
    [
        "LOPEZ^MARIA",
        "Lopez^Maria",
        "LÓPEZ^MARÍA",
        "LOPEZ^MARIA^ISABEL",
        "LOPEZ^MARIA^^^",
        "LOPEZ GARCIA^MARIA",
        "LOPEZ-GARCIA^MARIA",
        "MARIA^LOPEZ",
        "MARIA LOPEZ",
        "LOPEZ^MARIA=ロペス^マリア",
    ],
)
def test_the_same_person_written_differently_matches(dicom_name: str) -> None:
    """Case, accents, hyphens, a middle name, a compound surname and swapped parts match."""
    assert names_match(dicom_name, "María", "López")
    assert names_match(dicom_name, "Maria", "Lopez García")


@pytest.mark.parametrize(
    "dicom_name", ["LOPEZ^ANA", "LOPES^MARIA", "GARCIA^MARIA", "^MARIA", "LOPEZ^", "ANA LOPEZ", ""]
)
def test_another_person_does_not_match(dicom_name: str) -> None:
    """A different given name or surname, or a missing part, is not a match."""
    assert not names_match(dicom_name, "Maria", "Lopez")


def test_an_apostrophe_and_spaces_do_not_matter() -> None:
    assert names_match("O'BRIEN^MARY ANN", "Mary Ann", "OBrien")
    assert names_match("DE LA CRUZ^JOSE", "José", "de la Cruz")


def test_a_matching_study_is_matched() -> None:
    result = study_matches(
        patient_name="LOPEZ^MARIA",
        patient_birth_date=DOB,
        first_name="Maria",
        last_name="Lopez",
        date_of_birth=DOB,
    )
    assert result.matched
    assert result.reasons == ()


@pytest.mark.parametrize(
    ("name", "birth", "reasons"),
    [
        ("LOPEZ^ANA", DOB, ("The patient name on the images differs from the case.",)),
        (
            "LOPEZ^MARIA",
            date(1961, 3, 29),
            ("The birth date on the images differs from the case.",),
        ),
        ("LOPEZ^MARIA", None, ("The images carry no birth date.",)),
        ("", DOB, ("The images carry no patient name.",)),
        (
            "SMITH^JOHN",
            date(1970, 1, 1),
            (
                "The patient name on the images differs from the case.",
                "The birth date on the images differs from the case.",
            ),
        ),
    ],
)
def test_a_study_that_differs_is_held_with_reasons(name, birth, reasons) -> None:
    """Reasons say what differs without quoting the values (they are PHI)."""
    result = study_matches(
        patient_name=name,
        patient_birth_date=birth,
        first_name="Maria",
        last_name="Lopez",
        date_of_birth=DOB,
    )
    assert not result.matched
    assert result.reasons == reasons
