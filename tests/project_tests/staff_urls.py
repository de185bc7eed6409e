"""Every staff URL of the portal and a case world to aim them at, for the security tests.

The list is generated: every model registered on the admin site gets its five pages, so a
model admin added later is covered (and fails loudly until the world below has an object
for it). The case actions, the document download and the dashboard are added by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigators.roles import NAVIGATORS
from navigators.services import case_assign
from requests.audit import audit_record
from requests.choices import Status
from requests.models import (
    Appointment,
    AuditEvent,
    Document,
    Notification,
    RecordItem,
    ReferringProvider,
    SecondOpinionRequest,
    SupportTask,
)
from requests.services import document_store
from tests import files
from tests.conftest import make_request

# A surname no page of the portal shows unless it shows this patient.
SENTINEL_SURNAME = "Quillfeather"
PDF = files.PDF  # A whole PDF: uploads are read by pypdf before they are kept.
ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete")
CASE_ACTIONS = (
    "case_transition",
    "case_assign",
    "case_take",
    "case_book",
    "case_appointment_change",
)
ROLE_FIXTURES = {
    "supervisor": "supervisor",
    "navigator": "navigator_user",
    "other_navigator": "other_navigator_user",
    "records": "records_user",
    "advocate": "advocate_user",
}


@dataclass(frozen=True)
class Target:
    """One staff URL: an admin view of a model, a case action, or a staff page."""

    kind: str
    model: str = ""  # app_label.model_name, for the admin's model views
    on: str = "own"  # the case a case action works on: the navigator's own, or "unassigned"

    def __str__(self) -> str:
        name = f"{self.model}:{self.kind}" if self.model else self.kind
        return f"{name}@{self.on}" if self.on != "own" else name


def staff_targets() -> list[Target]:
    """Return every staff URL to check, generated from the admin site's registry."""
    found = [Target("index")]
    for model in admin.site._registry:
        found += [Target(view, model._meta.label_lower) for view in ADMIN_VIEWS]
    found += [Target(action) for action in CASE_ACTIONS]
    found.append(Target("case_take", on="unassigned"))
    found += [Target("document"), Target("dashboard"), Target("dashboard_export")]
    return found


@dataclass
class CaseWorld:
    """A navigator's own case with its parts, an unassigned case, and staff of every role."""

    users: dict[str, Any]
    case: SecondOpinionRequest
    unassigned: SecondOpinionRequest
    appointment: Appointment
    document: Document
    objects: dict[str, Any]


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
    """Create the case world; `users` maps each role name of ROLE_FIXTURES to its user."""
    supervisor = users["supervisor"]
    case = make_request(
        last_name=SENTINEL_SURNAME,
        needs_records_help=True,
        needs_travel=True,
        insurance_member_id="XJ-WORLD-7",
    )
    case_assign(case=case, navigator=users["navigator"].navigator, by=supervisor)
    case.refresh_from_db()
    unassigned = make_request(last_name=SENTINEL_SURNAME)
    appointment = Appointment.objects.create(
        request=case,
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
        "requests.recorditem": RecordItem.objects.filter(request=case).first(),
        "requests.supporttask": SupportTask.objects.filter(request=case).first(),
        "requests.notification": Notification.objects.filter(request=case).first(),
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
    }
    missing = [label for label, obj in objects.items() if obj is None]
    assert not missing, f"the case world has no object for {missing}"
    return CaseWorld(users, case, unassigned, appointment, document, objects)


def request_for(target: Target, world: CaseWorld) -> tuple[str, str, dict[str, Any]]:
    """Return the method, URL and form data that exercise `target` in `world`."""
    if target.model:
        obj = world.objects[target.model]  # KeyError: add the new model to build_world.
        app_label, model_name = target.model.split(".")
        args = [] if target.kind in {"changelist", "add"} else [obj.pk]
        return "get", reverse(f"admin:{app_label}_{model_name}_{target.kind}", args=args), {}
    case = world.unassigned if target.on == "unassigned" else world.case
    if target.kind == "index":
        return "get", reverse("admin:index"), {}
    if target.kind == "case_transition":
        data = {"to_status": Status.GATHERING_RECORDS, "note": ""}
        return "post", reverse("admin:case_transition", args=[case.pk]), data
    if target.kind == "case_assign":
        data = {"navigator": world.users["other_navigator"].navigator.pk, "note": ""}
        return "post", reverse("admin:case_assign", args=[case.pk]), data
    if target.kind == "case_take":
        return "post", reverse("admin:case_take", args=[case.pk]), {}
    if target.kind == "case_book":
        return "get", reverse("admin:case_book", args=[case.pk]), {}
    if target.kind == "case_appointment_change":
        url = reverse(
            "admin:case_appointment_change", args=[case.pk, world.appointment.pk, "cancel"]
        )
        return "post", url, {"note": ""}
    if target.kind == "document":
        return "get", world.document.get_absolute_url(), {}
    if target.kind in {"dashboard", "dashboard_export"}:
        return "get", reverse(f"requests:{target.kind}"), {}
    raise AssertionError(f"no request known for {target}")


def case_state(world: CaseWorld, target: Target) -> tuple[Any, ...]:
    """Return what a case action changes: the case's status and navigator, the appointment."""
    case = world.unassigned if target.on == "unassigned" else world.case
    row = SecondOpinionRequest.objects.values_list("status", "navigator_id").get(pk=case.pk)
    return (*row, Appointment.objects.values_list("state", flat=True).get(pk=world.appointment.pk))


def body_of(response: Any) -> bytes:
    """Return a response's body, reading a streamed file too."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
