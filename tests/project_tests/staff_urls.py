"""Every staff URL of the portal, and how to aim each at the case world of tests/worlds.py,
for the security tests.

The list is generated: every model registered on the admin site gets its five pages, so a
model admin added later is covered (and fails loudly until the world has an object for it).
The case actions, the document download, the dashboard, the landing pages (Today, the
team, all pages) and the records and support desks (their pages and posts) are added by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from requests.choices import Status
from requests.models import (
    Appointment,
    CaseNote,
    Document,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
    SupportTask,
)
from tests.worlds import PDF, CaseWorld

ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete")
DESK_PAGES = (
    "records_desk",
    "records_desk_mark",
    "records_desk_bulk",
    "support_desk",
    "support_desk_take",
    "support_desk_update",
)
CASE_ACTIONS = (
    "case_transition",
    "case_assign",
    "case_take",
    "case_book",
    "case_appointment_change",
    "case_close",
    "case_reopen",
    # The workspace's small forms and the details page.
    "case_details",
    "case_contact",
    "case_note",
    "case_record_add",
    "case_document_add",
    "case_reassign",
)
LANDING_PAGES = ("all_pages", "today", "team")


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
    found += [Target(page) for page in LANDING_PAGES]
    found += [Target(name) for name in DESK_PAGES]
    return found


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
    if target.kind in {"case_book", "case_reassign"}:
        return "get", reverse(f"admin:{target.kind}", args=[case.pk]), {}
    if target.kind in LANDING_PAGES:
        return "get", reverse(f"admin:{target.kind}"), {}
    if target.kind == "case_appointment_change":
        url = reverse(
            "admin:case_appointment_change", args=[case.pk, world.appointment.pk, "cancel"]
        )
        return "post", url, {"note": ""}
    if target.kind == "case_close":
        return "get", reverse("admin:case_close", args=[case.pk, "withdraw"]), {}
    if target.kind == "case_reopen":
        # Reopen works on a withdrawn case: withdraw the world's case first (directly, with
        # the change that remembers where it was), so that a supervisor's post reopens it.
        StatusChange.objects.create(
            case=case, from_status=case.status, to_status=Status.WITHDRAWN, note="Test."
        )
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            status=Status.WITHDRAWN, closed_at=timezone.now()
        )
        return "post", reverse("admin:case_reopen", args=[case.pk]), {"note": "Asked again."}
    if target.kind in {"case_details", "case_record_add"}:
        return "get", reverse(f"admin:{target.kind}", args=[case.pk]), {}
    if target.kind == "case_contact":
        data = {"attempt": "call:no_answer", "note": ""}
        return "post", reverse("admin:case_contact", args=[case.pk]), data
    if target.kind == "case_note":
        data = {"body": "Patient called back."}
        return "post", reverse("admin:case_note", args=[case.pk]), data
    if target.kind == "case_document_add":
        data = {"file": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")}
        return "post", reverse("admin:case_document_add", args=[case.pk]), data
    if target.kind == "document":
        return "get", world.document.get_absolute_url(), {}
    if target.kind in {"dashboard", "dashboard_export"}:
        return "get", reverse(f"requests:{target.kind}"), {}
    return desk_request_for(target, world)


def desk_request_for(target: Target, world: CaseWorld) -> tuple[str, str, dict[str, Any]]:
    """Return the request of a desk page or post, on the world's record item and task."""
    item = world.objects["requests.recorditem"]
    task = world.objects["requests.supporttask"]
    if target.kind in {"records_desk", "support_desk"}:
        return "get", reverse(f"admin:{target.kind}"), {}
    if target.kind == "records_desk_mark":
        return "post", reverse("admin:records_desk_mark", args=[item.pk, "received"]), {}
    if target.kind == "records_desk_bulk":
        return "post", reverse("admin:records_desk_bulk"), {"do": "received", "items": [item.pk]}
    if target.kind == "support_desk_take":
        return "post", reverse("admin:support_desk_take", args=[task.pk]), {}
    if target.kind == "support_desk_update":
        data = {f"task-{task.pk}-status": "in_progress", f"task-{task.pk}-notes": "Called."}
        return "post", reverse("admin:support_desk_update", args=[task.pk]), data
    raise AssertionError(f"no request known for {target}")


def case_state(world: CaseWorld, target: Target) -> tuple[Any, ...]:
    """Return what a case action or a desk post changes: the case's status and navigator, the
    appointment, how many notes, record items and documents the case has, the record item's
    status, the support task's owner, status and notes."""
    case = world.unassigned if target.on == "unassigned" else world.case
    row = SecondOpinionRequest.objects.values_list("status", "navigator_id").get(pk=case.pk)
    item = world.objects["requests.recorditem"]
    task = world.objects["requests.supporttask"]
    return (
        *row,
        Appointment.objects.values_list("state", flat=True).get(pk=world.appointment.pk),
        *(model.objects.filter(case=case).count() for model in (CaseNote, RecordItem, Document)),
        RecordItem.objects.values_list("status", flat=True).get(pk=item.pk),
        *SupportTask.objects.values_list("owner_id", "status", "notes").get(pk=task.pk),
    )


def body_of(response: Any) -> bytes:
    """Return a response's body, reading a streamed file too."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
