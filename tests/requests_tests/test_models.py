"""References, the lifecycle table and the constraints."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

import requests.models
from requests.choices import Status
from requests.models import (
    ALLOWED_TRANSITIONS,
    CONSTRAINED_FIELDS,
    REFERENCE_ALPHABET,
    SecondOpinionRequest,
    new_reference,
    normalise_reference,
)


def test_reference_is_easy_to_read_aloud() -> None:
    for _ in range(500):
        reference = new_reference()
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
        assert not set(reference) & set("01OIL")


def test_references_are_not_sequential() -> None:
    assert len({new_reference() for _ in range(2000)}) == 2000


def test_alphabet_has_no_lookalikes() -> None:
    assert not set(REFERENCE_ALPHABET) & set("0O1IL")


def test_typed_reference_is_normalised() -> None:
    assert normalise_reference(" k7m4 9qxp ") == "K7M4-9QXP"
    assert normalise_reference("k7m4-9qxp") == "K7M4-9QXP"


def test_closed_states_lead_nowhere() -> None:
    for status in (Status.CLOSED, Status.WITHDRAWN, Status.DECLINED):
        assert ALLOWED_TRANSITIONS[status] == frozenset()


@pytest.mark.django_db
def test_the_constraints_are_checked_when_a_field_they_guard_is_validated() -> None:
    """Skipped only when every guarded field is excluded (the public forms): else checked."""
    assert {"status", "target_state", "navigator", "assigned_at"} == CONSTRAINED_FIELDS
    case = SecondOpinionRequest(status="no-such-status", target_state="on_track")
    case.validate_constraints(exclude=set(CONSTRAINED_FIELDS) | {"first_name"})
    with pytest.raises(ValidationError, match="request_status_valid"):
        case.validate_constraints(exclude=set(CONSTRAINED_FIELDS) - {"status"})
    with pytest.raises(ValidationError, match="request_status_valid"):
        case.validate_constraints()


def test_every_model_of_the_app_is_importable_from_requests_models() -> None:
    """The models package re-exports each model its modules (and the imaging code) define."""
    for model in apps.get_app_config("requests").get_models():
        assert getattr(requests.models, model.__name__) is model
