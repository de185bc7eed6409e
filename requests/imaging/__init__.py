"""Imaging from the patient's disc: read safely, matched to the case, kept in Orthanc."""

from __future__ import annotations

from .archive import ArchiveRefused
from .matching import MatchResult, names_match, study_matches
from .orthanc import OrthancClient, OrthancError, OrthancUnavailable
from .services import (
    imaging_case_purge,
    imaging_requeue,
    imaging_send_to_orthanc,
    imaging_study_decide,
    imaging_upload_process,
    imaging_upload_receive,
)

__all__ = [
    "ArchiveRefused",
    "MatchResult",
    "OrthancClient",
    "OrthancError",
    "OrthancUnavailable",
    "imaging_case_purge",
    "imaging_requeue",
    "imaging_send_to_orthanc",
    "imaging_study_decide",
    "imaging_upload_process",
    "imaging_upload_receive",
    "names_match",
    "study_matches",
]
