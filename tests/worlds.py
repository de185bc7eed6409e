"""The one case world of the tests: staff of every role and a case to try things on, and the
fuller world of the staff-URL tests, with one object of every model on the admin site (a model
admin added later fails loudly until `build_world` has an object for it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigators.roles import NAVIGATORS
from navigators.services import case_assign
from requests.audit import audit_record
from requests.models import (
    Appointment,
    AuditEvent,
    Document,
    Facility,
    Notification,
    RecordItem,
    ReferringProvider,
    SecondOpinionRequest,
    SupportTask,
)
from requests.services import document_store
from tests import files
from tests.factories import make_request
from tests.html import form_fields

# A surname no page of the portal shows unless it shows this patient.
SENTINEL_SURNAME = "Quillfeather"
PDF = files.PDF  # A whole PDF: uploads are read by pypdf before they are kept.
CASE_CHANGE = "admin:requests_secondopinionrequest_change"
ROLE_FIXTURES = {
    "supervisor": "supervisor",
    "navigator": "navigator_user",
    "other_navigator": "other_navigator_user",
    "records": "records_user",
    "advocate": "advocate_user",
}


@dataclass
class CaseWorld:
    """Staff of every role and a case to try things on; the staff-URL world (`build_world`)
    adds an unassigned case, the case's appointment and document, and one object of every
    model on the admin site."""

    users: dict[str, Any]
    case: SecondOpinionRequest
    change_post: dict[str, Any] = field(default_factory=dict)
    unassigned: SecondOpinionRequest | None = None
    appointment: Appointment | None = None
    document: Document | None = None
    objects: dict[str, Any] = field(default_factory=dict)


def case_world(users: dict[str, Any], case: SecondOpinionRequest) -> CaseWorld:
    """Return the world of one case: `users` (with a "supervisor"), the case, and a valid post
    of its details page (the admin's change form) as a supervisor's browser would send it."""
    client = Client()
    client.force_login(users["supervisor"])
    page = client.get(reverse("admin:case_details", args=[case.pk]))
    return CaseWorld(users, case, change_post=form_fields(page.content.decode()))


def private_storage_in(settings: Any, folder: Path) -> None:
    """Point the documents' private storage at `folder`."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }


def build_world(users: dict[str, Any]) -> CaseWorld:
    """Create the staff-URL world; `users` maps each role name of ROLE_FIXTURES to its user."""
    supervisor = users["supervisor"]
    case = make_request(
        last_name=SENTINEL_SURNAME,
        needs_records_help=True,
        needs_travel=True,
        insurance_member_id="XJ-WORLD-7",
    )
    # In a transactional test the assignment job has run already, and may have chosen him.
    case.refresh_from_db()
    if case.navigator_id != users["navigator"].navigator.pk:
        case_assign(case=case, navigator=users["navigator"].navigator, by=supervisor)
        case.refresh_from_db()
    unassigned = make_request(last_name=SENTINEL_SURNAME)
    appointment = Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Rivera",
        modality=Appointment.Modality.VIDEO,
        booked_by=users["navigator"],
    )
    document = document_store(
        case=case,
        upload=SimpleUploadedFile("pathology.pdf", PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )
    attempt = {
        "user_agent": "test",
        "ip_address": "203.0.113.9",
        "username": "someone",
        "http_accept": "text/html",
        "path_info": "/admin/login/",
    }
    objects = {
        "auth.group": Group.objects.get(name=NAVIGATORS),
        "auth.user": users["other_navigator"],
        "otp_totp.totpdevice": TOTPDevice.objects.create(
            user=supervisor, name="phone", confirmed=True
        ),
        "axes.accessattempt": AccessAttempt.objects.create(
            **attempt, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**attempt),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**attempt),
        "requests.secondopinionrequest": case,
        "requests.recorditem": RecordItem.objects.filter(case=case).first(),
        "requests.supporttask": SupportTask.objects.filter(case=case).first(),
        "requests.notification": Notification.objects.filter(case=case).first(),
        "requests.auditevent": audit_record(
            actor=supervisor, action=AuditEvent.Action.VIEW_CASE, case=case, obj=case
        ),
        "requests.referringprovider": ReferringProvider.objects.create(
            npi="1234567893",
            name="Dr. Amelia Grant",
            practice="Grant Family Medicine",
            phone="617-555-0134",
            email="grant@example.org",
        ),
        "navigators.navigator": users["navigator"].navigator,
        "requests.facility": Facility.objects.create(
            name="Mercy General Hospital", phone="617-555-0190", fax="617-555-0191"
        ),
    }
    missing = [label for label, obj in objects.items() if obj is None]
    assert not missing, f"the case world has no object for {missing}"
    return CaseWorld(
        users,
        case,
        unassigned=unassigned,
        appointment=appointment,
        document=document,
        objects=objects,
    )
