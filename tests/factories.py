"""What the tests (and the benchmarks) make: cases, staff per role, and valid posts of the
public forms.

The benchmarks import the form data before Django is set up (they create their database
first), so the model imports are inside the functions that need them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from requests.models import SecondOpinionRequest

PATIENT_DOB = date(1961, 3, 28)
PATIENT_EMAIL = "maria.lopez@example.com"
DIAGNOSIS_TEXT = "Stage II invasive ductal carcinoma, HER2 positive"
REFERRAL_REASON = "Confirm HER2-positive staging before neoadjuvant chemotherapy"
PROVIDER_EMAIL = "referrals@grantfm.example.org"
STAFF_PASSWORD = "correct horse battery staple"


def _without_none(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply `overrides`; a None override leaves the field out of the post."""
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def form_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid post of the public request form."""
    data = {
        "requester_type": "patient",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB.isoformat(),
        "email": PATIENT_EMAIL,
        "phone": "617-555-0123",
        "preferred_contact_method": "phone",
        "preferred_contact_time": "any",
        "preferred_language": "en",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02115",
        "cancer_type": "breast",
        "diagnosis_date": "2026-10-01",
        "treatments": ["surgery"],
        "questions": DIAGNOSIS_TEXT,
        "insurance_carrier": "Blue Cross",
        "insurance_member_id": "XJ123456",
        "coverage_checked": "no",
        "needs_records_help": "on",
        "consent_contact": "on",
        "consent_records": "on",
        "privacy_acknowledged": "on",
        "submission_key": str(uuid.uuid4()),
    }
    return _without_none(data, overrides)


def referral_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid post of the provider referral form."""
    data = {
        "provider_name": "Dr. Amelia Grant",
        "npi": "1234567893",
        "practice": "Grant Family Medicine",
        "provider_phone": "617-555-0134",
        "provider_fax": "",
        "provider_email": PROVIDER_EMAIL,
        "referral_urgent": "routine",
        "patient_aware": "yes",
        "patient_in_hospital": "no",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB.isoformat(),
        "phone": "617-555-0123",
        "email": PATIENT_EMAIL,
        "preferred_language": "en",
        "cancer_type": "breast",
        "referral_reason": REFERRAL_REASON,
        "consent_records": "on",
        "submission_key": str(uuid.uuid4()),
    }
    return _without_none(data, overrides)


def lookup_data(reference: str, **overrides: Any) -> dict[str, Any]:
    """Return a post of the status lookup that matches a case made by `make_request`."""
    data = {
        "reference": reference,
        "date_of_birth": PATIENT_DOB.isoformat(),
        "email": PATIENT_EMAIL,
    }
    return _without_none(data, overrides)


def make_request(**fields: Any) -> SecondOpinionRequest:
    """Create a case through the submission service, as the public form does."""
    from requests.models import SecondOpinionRequest
    from requests.services import case_submit

    values = {
        "requester_type": "patient",
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": PATIENT_DOB,
        "email": PATIENT_EMAIL,
        "phone": "+16175550123",
        "preferred_language": "en",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02115",
        "cancer_type": "breast",
        "questions": DIAGNOSIS_TEXT,
        "coverage_checked": "yes",  # no insurance verification task unless a test asks
    }
    values.update(fields)
    case, _created = case_submit(
        intake=SecondOpinionRequest(**values), submission_key=uuid.uuid4(), consent_records=True
    )
    case.refresh_from_db()
    return case


def make_staff(username: str, role: str | None, **extra: Any) -> Any:
    """Create a staff user in the group of `role` (none for None)."""
    from django.apps import apps as django_apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from navigators.roles import sync_role_groups

    user = get_user_model().objects.create_user(
        username=username,
        password=STAFF_PASSWORD,
        is_staff=True,
        email=f"{username}@example.org",
        first_name=username.title(),
        **extra,
    )
    if role:
        if not Group.objects.filter(name=role).exists():
            # A transactional test before this one flushed the groups the migrations made.
            sync_role_groups(django_apps)
        user.groups.add(Group.objects.get(name=role))
    return user


def make_navigator(
    username: str = "navigator",
    *,
    disease_groups: tuple[str, ...] = ("breast", "thoracic"),
    languages: tuple[str, ...] = ("en", "es"),
    capacity: int = 10,
) -> Any:
    """Create a navigator: a user in the navigators' group with a navigator profile."""
    from navigators.models import Navigator
    from navigators.roles import NAVIGATORS

    user = make_staff(username, NAVIGATORS)
    Navigator.objects.create(
        user=user,
        disease_groups=list(disease_groups),
        languages=list(languages),
        capacity=capacity,
    )
    return user


def make_supervisor(username: str = "supervisor") -> Any:
    from navigators.roles import SUPERVISORS

    return make_staff(username, SUPERVISORS)


def make_records_user(username: str = "records") -> Any:
    from navigators.roles import RECORDS_STAFF

    return make_staff(username, RECORDS_STAFF)


def make_advocate(username: str = "advocate") -> Any:
    from navigators.roles import PATIENT_ADVOCATES

    return make_staff(username, PATIENT_ADVOCATES)


def client_for(user: Any) -> Any:
    """Return a test client signed in as `user` with its password alone (MFA is off in tests
    unless a test turns it on)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def verified_client(user: Any) -> Any:
    """Return a test client signed in as `user` and verified by their TOTP device, as staff are
    in production (MFA on)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = client_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def book_appointment(case: Any, by: Any, **extra: Any) -> Any:
    """Book the case's first visit in three days (unless `starts_at` says otherwise) with a
    medical oncologist, in person."""
    from datetime import timedelta

    from django.utils import timezone

    from requests.services import appointment_book

    values = {
        "starts_at": timezone.now() + timedelta(days=3),
        "specialty": "medical",
        "clinician": "Dr. Helen Park",
        "modality": "in_person",
        "location": "Yawkey Center, floor 9",
        **extra,
    }
    return appointment_book(case=case, by=by, **values)
