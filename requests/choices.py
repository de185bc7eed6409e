"""The lists a request is described with, shared by the forms, the admin and the navigators.

Beside `Status` and `TargetState` stand the sets of them the workflow reads: which statuses
are open and which final, and which target states the sweep may still change.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DiseaseGroup(models.TextChoices):
    """Cancer types as the center's disease groups; navigators specialise by the same list."""

    BREAST = "breast", _("Breast cancer")
    THORACIC = "thoracic", _("Lung or chest (thoracic) cancer")
    GASTROINTESTINAL = "gastrointestinal", _("Colon, rectal, stomach or esophageal cancer")
    HEPATOBILIARY = "hepatobiliary", _("Liver, pancreas or bile duct cancer")
    GENITOURINARY = "genitourinary", _("Prostate, kidney, bladder or testicular cancer")
    GYNECOLOGIC = "gynecologic", _("Ovarian, uterine or cervical cancer")
    HEAD_NECK = "head_neck", _("Head and neck cancer")
    NEURO = "neuro", _("Brain or spine tumor")
    SKIN = "skin", _("Melanoma or other skin cancer")
    SARCOMA = "sarcoma", _("Sarcoma (bone or soft tissue)")
    LEUKEMIA = "leukemia", _("Leukemia")
    LYMPHOMA = "lymphoma", _("Lymphoma")
    MYELOMA = "myeloma", _("Multiple myeloma")
    ENDOCRINE = "endocrine", _("Thyroid or other endocrine cancer")
    OTHER = "other", _("Another type of cancer")
    NOT_SURE = "not_sure", _("I'm not sure")


class Language(models.TextChoices):
    """Languages a patient may prefer; each in its own words so that its speakers find it."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español (Spanish)"
    CHINESE = "zh", "中文 (Chinese)"
    VIETNAMESE = "vi", "Tiếng Việt (Vietnamese)"
    HAITIAN_CREOLE = "ht", "Kreyòl ayisyen (Haitian Creole)"
    PORTUGUESE = "pt", "Português (Portuguese)"
    RUSSIAN = "ru", "Русский (Russian)"
    ARABIC = "ar", "العربية (Arabic)"
    KOREAN = "ko", "한국어 (Korean)"
    FRENCH = "fr", "Français (French)"
    OTHER = "other", _("Another language")


class Requester(models.TextChoices):
    PATIENT = "patient", _("I am the patient")
    CAREGIVER = "caregiver", _("I am asking for someone else (family member, friend, caregiver)")
    PROVIDER = "provider", _("Referring provider's office")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")


class ContactTime(models.TextChoices):
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning (8 am to noon)")
    AFTERNOON = "afternoon", _("Afternoon (noon to 5 pm)")
    EVENING = "evening", _("Early evening (5 pm to 7 pm)")


class Treatment(models.TextChoices):
    NONE = "none", _("No treatment yet")
    SURGERY = "surgery", _("Surgery")
    CHEMOTHERAPY = "chemotherapy", _("Chemotherapy")
    RADIATION = "radiation", _("Radiation therapy")
    SYSTEMIC = "systemic", _("Immunotherapy, targeted or hormone therapy")
    OTHER = "other", _("Other treatment")


class CoverageChecked(models.TextChoices):
    YES = "yes", _("Yes, I checked that my insurance covers it")
    NO = "no", _("No, not yet")
    HELP = "help", _("Please help me check")


class USState(models.TextChoices):
    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"
    PR = "PR", "Puerto Rico"
    GU = "GU", "Guam"
    VI = "VI", "U.S. Virgin Islands"
    AS = "AS", "American Samoa"
    MP = "MP", "Northern Mariana Islands"


class Status(models.TextChoices):
    """Where a request stands in its lifecycle (DESIGN.md, "Request lifecycle")."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    GATHERING_RECORDS = "gathering_records", _("Gathering records")
    READY_TO_SCHEDULE = "ready_to_schedule", _("Ready to schedule")
    SCHEDULED = "scheduled", _("Scheduled")
    SEEN = "seen", _("Seen")
    PLAN_DELIVERED = "plan_delivered", _("Plan delivered")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DECLINED = "declined", _("Declined")


class TargetState(models.TextChoices):
    """How a request stands against the 7-day appointment target."""

    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OVERDUE = "overdue", _("Overdue")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


# Every status is in exactly one of these two. In lifecycle order: tuples, so that the
# partial indexes built on them migrate deterministically.
OPEN_STATUSES: tuple[str, ...] = (
    Status.NEW,
    Status.ASSIGNED,
    Status.GATHERING_RECORDS,
    Status.READY_TO_SCHEDULE,
    Status.SCHEDULED,
    Status.SEEN,
    Status.PLAN_DELIVERED,
)
# Moving a case to one of these sets its closed_at: its lifecycle has ended.
TERMINAL_STATUSES: tuple[str, ...] = (Status.CLOSED, Status.WITHDRAWN, Status.DECLINED)
# Target states the sweep may still move towards overdue; overdue is its last step, and met
# and missed are set by the appointment, never by the sweep.
SWEPT_TARGET_STATES: tuple[str, ...] = (TargetState.ON_TRACK, TargetState.AT_RISK)
# A case may be booked from any of these (DESIGN.md: "Booking is allowed once a case is
# assigned"): records gate the visit, not the booking.
BOOKABLE_STATUSES: tuple[str, ...] = (
    Status.ASSIGNED,
    Status.GATHERING_RECORDS,
    Status.READY_TO_SCHEDULE,
    Status.SCHEDULED,
)
# The two ways a case ends early: each confirmed on a page of its own, with a reason, never
# by a one-click move (requests.services.closing).
CLOSING_STATUSES: tuple[str, ...] = (Status.WITHDRAWN, Status.DECLINED)
# A supervisor may reopen a case that ended early; a case closed after its plan stays closed.
REOPENABLE_STATUSES: tuple[str, ...] = CLOSING_STATUSES


class CloseReason(models.TextChoices):
    """Why a case was withdrawn or declined: the list on the close page (plus free text)."""

    PATIENT_ASKED = "patient_asked", _("The patient asked to stop")
    CARE_ELSEWHERE = "care_elsewhere", _("The patient chose care elsewhere")
    UNREACHABLE = "unreachable", _("We could not reach the patient")
    COVERAGE = "coverage", _("Insurance or cost")
    DUPLICATE = "duplicate", _("Duplicate of another request")
    NOT_APPROPRIATE = "not_appropriate", _("A second opinion is not appropriate")
    NOT_OFFERED = "not_offered", _("The care asked for is not offered here")
    AGE = "age", _("The patient is under 18 (pediatric program)")
    OTHER = "other", _("Another reason (say which below)")


# The reasons offered for each closing status, in the order the close page lists them.
CLOSE_REASONS: dict[str, tuple[str, ...]] = {
    Status.WITHDRAWN: (
        CloseReason.PATIENT_ASKED,
        CloseReason.CARE_ELSEWHERE,
        CloseReason.UNREACHABLE,
        CloseReason.COVERAGE,
        CloseReason.DUPLICATE,
        CloseReason.OTHER,
    ),
    Status.DECLINED: (
        CloseReason.NOT_APPROPRIATE,
        CloseReason.NOT_OFFERED,
        CloseReason.AGE,
        CloseReason.DUPLICATE,
        CloseReason.OTHER,
    ),
}
