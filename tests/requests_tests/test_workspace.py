"""The case workspace (the case's change URL) and its small forms: what each role sees and may
do, logging a contact in two clicks, notes, record items, documents, the details page, and
what the page costs in queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import Status
from requests.models import (
    Appointment,
    AuditEvent,
    CaseNote,
    Document,
    RecordItem,
    SecondOpinionRequest,
    SupportTask,
)
from requests.services import case_contact_log, case_note_add, document_store
from tests import files
from tests.factories import DIAGNOSIS_TEXT, client_for, make_request, verified_client
from tests.html import form_fields

pytestmark = pytest.mark.django_db

WORKSPACE = "admin:requests_secondopinionrequest_change"
BUDGET = 15  # bench/README.md: at most 15 SQL queries per staff page
PDF = files.PDF


def page_of(client: Client, case: SecondOpinionRequest) -> str:
    response = client.get(reverse(WORKSPACE, args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def worked_case(navigator_user: Any, supervisor: Any, **fields: Any) -> SecondOpinionRequest:
    """Return a case of navigator_user's with a record item, a note, a contact attempt, a
    booked appointment, a support task and a document."""
    case = make_request(
        needs_records_help=True,
        needs_travel=True,
        insurance_carrier="Blue Cross",
        insurance_member_id="XJ123456",
        **fields,
    )
    if case.navigator_id != navigator_user.navigator.pk:
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case.refresh_from_db()
    case_note_add(case=case, body="Patient asked about parking.", by=navigator_user)
    case_contact_log(
        case=case, kind=CaseNote.Kind.CALL, outcome=CaseNote.Outcome.NO_ANSWER, by=navigator_user
    )
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Rivera",
        modality=Appointment.Modality.VIDEO,
        booked_by=navigator_user,
    )
    document_store(
        case=case,
        upload=SimpleUploadedFile("pathology.pdf", PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )
    return case


@pytest.fixture
def case(navigator_user: Any, supervisor: Any) -> SecondOpinionRequest:
    return worked_case(navigator_user, supervisor)


# --- What each role sees ---------------------------------------------------------------------


def test_the_workspace_shows_every_part_to_its_navigator(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    """Header, next action, contact log with its buttons, records, appointments with move and
    cancel, support, documents with upload, notes and the timeline: one page, no inlines."""
    html = page_of(client_for(navigator_user), case)

    # The header.
    assert case.patient_name in html
    assert case.reference in html
    assert case.get_status_display() in html
    assert case.target_date.strftime("%b") in html
    assert str(navigator_user.navigator) in html
    assert f'href="tel:{case.phone}"' in html
    assert case.email in html
    assert f'href="{reverse("admin:case_details", args=[case.pk])}"' in html
    assert "Edit details" in html
    # The next action, the contact log and its buttons.
    assert 'id="next-action"' in html
    assert f'action="{reverse("admin:case_contact", args=[case.pk])}#' in html
    assert 'value="call:no_answer"' in html
    assert 'value="voicemail:left_message"' in html
    assert "No answer" in html
    # Records, one line each, and adding one.
    item = RecordItem.objects.filter(case=case).first()
    assert item.facility in html
    assert item.get_kind_display() in html
    assert f'href="{reverse("admin:case_record_add", args=[case.pk])}"' in html
    # The appointment, moved or cancelled in place.
    appointment = Appointment.objects.get(case=case)
    assert "Dr. Rivera" in html
    for change in ("move", "cancel"):
        url = reverse("admin:case_appointment_change", args=[case.pk, appointment.pk, change])
        assert f'action="{url}"' in html
    # Support, documents and their upload, notes, the timeline.
    assert "Travel" in html
    document = Document.objects.get(case=case)
    assert f'href="{document.get_absolute_url()}"' in html
    assert document.file.name not in html
    assert f'action="{reverse("admin:case_document_add", args=[case.pk])}#' in html
    assert "Patient asked about parking." in html
    assert f'action="{reverse("admin:case_note", args=[case.pk])}#' in html
    assert "Timeline" in html
    assert "Assigned to Navigator" in html
    # Nothing of the old change form.
    assert "TOTAL_FORMS" not in html
    assert 'id="secondopinionrequest_form"' not in html


def test_opening_the_workspace_is_audited(case: SecondOpinionRequest, navigator_user: Any) -> None:
    client_for(navigator_user).get(reverse(WORKSPACE, args=[case.pk]))
    assert AuditEvent.objects.filter(
        case=case, actor=navigator_user, action=AuditEvent.Action.VIEW_CASE
    ).exists()


@pytest.mark.parametrize("role", ["records_user", "advocate_user"])
def test_records_staff_and_advocates_have_no_workspace(
    case: SecondOpinionRequest, staff: dict[str, Any], role: str
) -> None:
    """They reach a case through their desks (navigators/roles.py): the workspace is refused
    and shows nothing of the patient."""
    response = client_for(staff[role]).get(reverse(WORKSPACE, args=[case.pk]))
    assert response.status_code == 403
    assert case.last_name.encode() not in response.content


def test_a_supervisor_works_any_case_and_assigns(
    case: SecondOpinionRequest, supervisor: Any
) -> None:
    """A supervisor sees and works everything, and has the assign form and the audit trail."""
    html = page_of(client_for(supervisor), case)
    assert f'action="{reverse("admin:case_assign", args=[case.pk])}"' in html
    assert f'action="{reverse("admin:case_contact", args=[case.pk])}#' in html
    assert f'action="{reverse("admin:case_document_add", args=[case.pk])}#' in html
    assert "Audit trail of this case" in html
    assert DIAGNOSIS_TEXT[:30] in html


def test_another_navigator_reads_the_case_but_works_none_of_it(
    case: SecondOpinionRequest, other_navigator_user: Any
) -> None:
    """A navigator may read a colleague's case (to cover a call), not change it: no contact
    buttons, no note or upload form, no moves, no documents (can_view_documents)."""
    html = page_of(client_for(other_navigator_user), case)
    assert case.reference in html
    assert "Patient asked about parking." in html  # notes are read
    assert f'href="tel:{case.phone}"' in html  # contact details: case_sections_for
    for name in ("case_contact", "case_note", "case_document_add", "case_record_add"):
        assert reverse(f"admin:{name}", args=[case.pk]) not in html, name
    assert "case_transition" not in html
    assert reverse("admin:case_transition", args=[case.pk]) not in html
    assert "/appointments/" not in html
    assert Document.objects.get(case=case).get_absolute_url() not in html
    assert "Edit details" not in html


def test_a_scheduled_case_shows_no_days_left(navigator_user: Any, supervisor: Any) -> None:
    """A booked case's target is decided by its visit: the header says its state, not days."""
    case = worked_case(navigator_user, supervisor)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    html = page_of(client_for(navigator_user), case)
    assert "days left" not in html
    assert "day left" not in html


def test_an_open_case_shows_days_left_and_risk_in_words(
    navigator_user: Any, supervisor: Any
) -> None:
    case = worked_case(navigator_user, supervisor)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        target_date=timezone.localdate() + timedelta(days=1), target_state="at_risk"
    )
    html = page_of(client_for(navigator_user), case)
    assert "1 day left" in html
    assert "At risk" in html


# --- The contact log -------------------------------------------------------------------------


def test_logging_a_call_takes_two_clicks_and_is_audited(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    """Open the channel (click one), press the outcome (click two): one attempt with its kind,
    outcome and author, and an audit event; back on the workspace."""
    client = client_for(navigator_user)
    html = page_of(client, case)
    start = html.index('value="voicemail:left_message"')
    form_start = html.rindex("<form", 0, start)
    assert reverse("admin:case_contact", args=[case.pk]) in html[form_start:start]
    before = CaseNote.objects.filter(case=case).count()

    response = client.post(
        reverse("admin:case_contact", args=[case.pk]),
        {"attempt": "voicemail:left_message", "note": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(WORKSPACE, args=[case.pk])
    assert CaseNote.objects.filter(case=case).count() == before + 1
    attempt = CaseNote.objects.filter(case=case).latest("created_at")
    assert (attempt.kind, attempt.outcome, attempt.author, attempt.body) == (
        CaseNote.Kind.VOICEMAIL,
        CaseNote.Outcome.LEFT_MESSAGE,
        navigator_user,
        "",
    )
    event = AuditEvent.objects.get(
        case=case, object_type="requests.casenote", object_id=str(attempt.pk)
    )
    assert event.action == AuditEvent.Action.CREATE
    assert event.detail == {"kind": "voicemail", "outcome": "left_message"}
    assert "Logged: voicemail left, left a message." in page_of(client, case)


def test_the_contact_log_swaps_in_place_with_htmx(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    """Posted by htmx, the answer is the contact log alone (with the new attempt) and the next
    action, swapped out of band."""
    response = client_for(navigator_user).post(
        reverse("admin:case_contact", args=[case.pk]),
        {"attempt": "text:reached", "note": "Replied: mornings are best."},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="ws-card" id="case-contact"')
    assert "Replied: mornings are best." in html
    assert 'id="next-action"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Book the first appointment." in html  # reached: the next step is to book
    assert "<html" not in html
    note = CaseNote.objects.filter(case=case).latest("created_at")
    assert (note.kind, note.outcome) == (CaseNote.Kind.TEXT, CaseNote.Outcome.REACHED)


@pytest.mark.parametrize("attempt", ["", "note:reached", "call:", "call:nonsense"])
def test_a_bad_attempt_is_refused_and_logs_nothing(
    case: SecondOpinionRequest, navigator_user: Any, attempt: str
) -> None:
    before = CaseNote.objects.count()
    response = client_for(navigator_user).post(
        reverse("admin:case_contact", args=[case.pk]), {"attempt": attempt}
    )
    assert response.status_code == 400
    assert "Choose what came of the attempt." in response.content.decode()
    assert CaseNote.objects.count() == before


@pytest.mark.parametrize("role", ["other_navigator_user", "records_user", "advocate_user"])
@pytest.mark.parametrize("view", ["case_contact", "case_note"])
def test_only_those_who_work_the_case_log_on_it(
    case: SecondOpinionRequest, staff: dict[str, Any], role: str, view: str
) -> None:
    before = CaseNote.objects.count()
    response = client_for(staff[role]).post(
        reverse(f"admin:{view}", args=[case.pk]),
        {"attempt": "call:reached", "body": "Crafted."},
    )
    assert response.status_code == 403
    assert CaseNote.objects.count() == before


def test_the_small_forms_take_posts_only(case: SecondOpinionRequest, navigator_user: Any) -> None:
    client = client_for(navigator_user)
    for name in ("case_contact", "case_note", "case_document_add"):
        assert client.get(reverse(f"admin:{name}", args=[case.pk])).status_code == 405, name


# --- Notes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["navigator_user", "supervisor"])
def test_a_note_is_added_through_the_service(
    case: SecondOpinionRequest, staff: dict[str, Any], role: str
) -> None:
    response = client_for(staff[role]).post(
        reverse("admin:case_note", args=[case.pk]),
        {"body": "  Records release signed.  "},
    )
    assert response.status_code == 302
    note = CaseNote.objects.filter(case=case, kind=CaseNote.Kind.NOTE).latest("created_at")
    assert (note.body, note.author) == ("Records release signed.", staff[role])
    assert AuditEvent.objects.filter(
        object_type="requests.casenote", object_id=str(note.pk)
    ).exists()


def test_an_empty_note_is_refused_next_to_its_field(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    before = CaseNote.objects.count()
    response = client_for(navigator_user).post(
        reverse("admin:case_note", args=[case.pk]), {"body": "   "}
    )
    html = response.content.decode()
    assert response.status_code == 400
    error = html.index('id="id_body_error"')
    assert "Write the note." in html[error : html.index("</ul>", error)]
    assert CaseNote.objects.count() == before


# --- The workspace is read, not posted -------------------------------------------------------


def test_nothing_posts_to_the_workspace(
    case: SecondOpinionRequest, navigator_user: Any, other_navigator_user: Any
) -> None:
    """Details are changed on their own page: a post to the workspace changes nothing (405
    for those who work the case, 403 for the others)."""
    url = reverse(WORKSPACE, args=[case.pk])
    data = {"phone": "+16175559876"}
    assert client_for(navigator_user).post(url, data).status_code == 405
    assert client_for(other_navigator_user).post(url, data).status_code == 403
    case.refresh_from_db()
    assert case.phone == "+16175550123"


# --- The details page ------------------------------------------------------------------------


def test_the_details_page_saves_through_the_service_and_returns_to_the_workspace(
    case: SecondOpinionRequest, navigator_user: Any, supervisor: Any
) -> None:
    """The admin's change form, at its own URL: the same fields; status and navigator posted
    with it are ignored; the change is audited by field name."""
    client = client_for(navigator_user)
    url = reverse("admin:case_details", args=[case.pk])
    data = form_fields(client.get(url).content.decode())
    data.update({"phone": "+16175559876", "status": Status.CLOSED, "navigator": ""})

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == reverse(WORKSPACE, args=[case.pk])
    case.refresh_from_db()
    assert case.phone == "+16175559876"
    assert case.status == Status.ASSIGNED
    assert case.navigator == navigator_user.navigator
    event = AuditEvent.objects.filter(
        case=case, action=AuditEvent.Action.CHANGE, object_type="requests.secondopinionrequest"
    ).latest("at")
    assert event.detail == {"fields": ["phone"]}


def test_another_navigator_may_read_the_details_but_not_save_them(
    case: SecondOpinionRequest, other_navigator_user: Any
) -> None:
    client = client_for(other_navigator_user)
    url = reverse("admin:case_details", args=[case.pk])
    html = client.get(url).content.decode()
    assert case.reference in html
    assert 'name="phone"' not in html  # read-only
    assert client.post(url, {"phone": "+16175559876"}).status_code == 403
    case.refresh_from_db()
    assert case.phone == "+16175550123"


# --- Documents -------------------------------------------------------------------------------


def test_a_document_uploaded_from_the_workspace_is_stored_and_audited(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    item = RecordItem.objects.filter(case=case).first()
    response = client_for(navigator_user).post(
        reverse("admin:case_document_add", args=[case.pk]),
        {
            "file": SimpleUploadedFile("op-report.pdf", PDF, content_type="application/pdf"),
            "record_item": item.pk,
        },
    )
    assert response.status_code == 302
    document = Document.objects.get(case=case, original_name="op-report.pdf")
    assert (document.record_item, document.uploaded_by) == (item, navigator_user)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPLOAD, object_id=str(document.pk)
    ).exists()


def test_a_bad_file_is_refused_with_a_message_next_to_the_field(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    """A web page named .pdf is not a PDF: the workspace comes back with the reason next to
    the file field, and nothing is stored."""
    before = Document.objects.count()
    response = client_for(navigator_user).post(
        reverse("admin:case_document_add", args=[case.pk]),
        {
            "file": SimpleUploadedFile(
                "report.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"
            )
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    error = html.index('id="id_file_error"')
    assert "<li>" in html[error : html.index("</ul>", error)]
    assert 'aria-invalid="true"' in html
    assert Document.objects.count() == before


def test_a_record_item_of_another_case_is_not_offered(
    case: SecondOpinionRequest, navigator_user: Any, supervisor: Any
) -> None:
    """The upload's item must be one of this case's: another case's is refused."""
    other = worked_case(navigator_user, supervisor)
    foreign = RecordItem.objects.filter(case=other).first()
    response = client_for(navigator_user).post(
        reverse("admin:case_document_add", args=[case.pk]),
        {
            "file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
            "record_item": foreign.pk,
        },
    )
    assert response.status_code == 400
    assert not Document.objects.filter(original_name="a.pdf").exists()


@pytest.mark.parametrize("role", ["other_navigator_user", "records_user", "advocate_user"])
def test_only_those_who_work_the_case_upload_from_it(
    case: SecondOpinionRequest, staff: dict[str, Any], role: str
) -> None:
    before = Document.objects.count()
    response = client_for(staff[role]).post(
        reverse("admin:case_document_add", args=[case.pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 403
    assert Document.objects.count() == before


# --- Record items ----------------------------------------------------------------------------


def test_a_record_item_is_added_from_the_workspace(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    client = client_for(navigator_user)
    url = reverse("admin:case_record_add", args=[case.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url, {"kind": "labs", "facility": "Riverside Medical", "status": "requested"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(WORKSPACE, args=[case.pk])
    item = RecordItem.objects.get(case=case, facility="Riverside Medical")
    assert item.requested_at is not None  # the service keeps the dates
    assert AuditEvent.objects.filter(
        object_type="requests.recorditem", object_id=str(item.pk)
    ).exists()


def test_a_record_item_without_facility_is_refused_next_to_the_field(
    case: SecondOpinionRequest, navigator_user: Any
) -> None:
    before = RecordItem.objects.count()
    response = client_for(navigator_user).post(
        reverse("admin:case_record_add", args=[case.pk]),
        {"kind": "labs", "facility": "", "status": "needed"},
    )
    assert response.status_code == 400
    assert "Name the facility that holds it." in response.content.decode()
    assert RecordItem.objects.count() == before


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("supervisor", True),
        ("records_user", True),  # records staff change any case's items
        ("other_navigator_user", False),
        ("advocate_user", False),
    ],
)
def test_who_adds_record_items(
    case: SecondOpinionRequest, staff: dict[str, Any], role: str, allowed: bool
) -> None:
    response = client_for(staff[role]).post(
        reverse("admin:case_record_add", args=[case.pk]),
        {"kind": "labs", "facility": "Crafted", "status": "needed"},
    )
    assert response.status_code == (302 if allowed else 403)
    assert RecordItem.objects.filter(facility="Crafted").exists() is allowed


# --- Queries ---------------------------------------------------------------------------------


def grow(case: SecondOpinionRequest, count: int, by: Any) -> None:
    """Give a case `count` more record items, documents, notes, attempts and appointments."""
    for n in range(count):
        item = RecordItem.objects.create(case=case, kind="labs", facility=f"Clinic {n}")
        Document.objects.create(
            case=case,
            record_item=item,
            file=f"documents/grown-{case.pk}-{n}.pdf",
            original_name=f"report-{n}.pdf",
            content_type="application/pdf",
            size=1000,
            sha256="0" * 64,
            scan_state=Document.ScanState.CLEAN,
            uploaded_by=by,
        )
        CaseNote.objects.create(case=case, body=f"Note {n}", author=by)
        CaseNote.objects.create(case=case, kind="call", outcome="no_answer", body="", author=by)
        Appointment.objects.create(
            case=case,
            starts_at=timezone.now() + timedelta(days=n + 1),
            specialty=Appointment.Specialty.MEDICAL,
            clinician=f"Dr {n}",
            booked_by=by,
        )
    for kind in SupportTask.Kind.values[: min(count, 5)]:
        SupportTask.objects.get_or_create(case=case, kind=kind)


@pytest.mark.parametrize("role", ["navigator_user", "supervisor", "other_navigator_user"])
def test_the_workspace_costs_the_same_with_1_and_20_of_everything(
    role: str,
    staff: dict[str, Any],
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """At most 15 queries (second factor on, as in production), as many with 20 record items,
    documents, notes, attempts and appointments as with 1."""
    settings.MFA_REQUIRED = True
    case = make_request()
    if case.navigator_id != staff["navigator_user"].navigator.pk:
        case_assign(case=case, navigator=staff["navigator_user"].navigator, by=staff["supervisor"])
    grow(case, 1, staff["navigator_user"])
    client = verified_client(staff[role])
    url = reverse(WORKSPACE, args=[case.pk])

    def count() -> int:
        client.get(url)  # renews the new session (at most once a minute)
        with django_assert_max_num_queries(BUDGET), CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    few = count()
    grow(case, 19, staff["navigator_user"])
    many = count()
    assert many == few
    assert client.get(url).content.decode().count("Clinic 1") >= 1
