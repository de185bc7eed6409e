"""The audit trail, PHI kept out of logs and emails, and anonymisation at retention
(SECURITY.md, "Audit controls", "No PHI in logs, emails or URLs", "Retention").
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from navigators.services import case_assign
from requests.choices import Status
from requests.models import (
    AuditEvent,
    CaseNote,
    Document,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
)
from requests.services import (
    case_note_add,
    case_transition,
    document_store,
    retention_anonymise,
)
from secondopinion.logfilters import REDACTED, RedactPHI
from tests.factories import client_for, form_data, make_request, make_staff
from tests.html import form_fields
from tests.worlds import PDF, private_storage_in

pytestmark = pytest.mark.django_db

CASE_CHANGE = "admin:requests_secondopinionrequest_change"  # the case workspace
CASE_DETAILS = "admin:case_details"  # the patient's details: the admin's change form
FIRST_NAME = "Zephyrine"
LAST_NAME = "Quillfeather"
DOB = date(1958, 7, 14)
DIAGNOSIS = "Glomangiosarcoma of the left clavicle with xyloid margins"
# The date of birth as a log line, a form or an email might write it.
DOB_FORMS = (
    "1958-07-14",
    "07/14/1958",
    "7/14/1958",
    "July 14, 1958",
    "Jul. 14, 1958",
    "14 July 1958",
    "1958, 7, 14",  # repr(date)
)


def _boom(request: HttpRequest) -> HttpResponse:
    """Fail the way a bug deep in a view would, quoting what the patient typed."""
    raise ValueError(f"bad {FIRST_NAME} {LAST_NAME} {DOB} {DIAGNOSIS}")


# This module is also the URLconf of the PHI test: the portal's URLs plus a failing view.
urlpatterns = [path("boom/", _boom), path("", include("secondopinion.urls"))]
handler400 = "secondopinion.views.bad_request"
handler500 = "secondopinion.views.server_error"


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> Path:
    private_storage_in(settings, tmp_path)
    return tmp_path


@pytest.fixture
def superuser(db: None) -> Any:
    return make_staff("root", None, is_superuser=True)


def assigned_case(navigator_user: Any, supervisor: Any, **fields: Any) -> SecondOpinionRequest:
    case = make_request(**fields)
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case.refresh_from_db()
    return case


# --- The audit trail records reads and changes ---------------------------------------------


# Records staff and advocates have no case page (navigators/roles.py).
@pytest.mark.parametrize("role", ["supervisor", "navigator_user"])
def test_opening_a_case_page_is_audited(
    request: pytest.FixtureRequest, navigator_user: Any, supervisor: Any, role: str
) -> None:
    """A staff GET of the case page appends a view_case event: who, which case, when."""
    user = request.getfixturevalue(role)
    case = assigned_case(navigator_user, supervisor)
    before = AuditEvent.objects.count()

    response = client_for(user).get(reverse(CASE_CHANGE, args=[case.pk]))

    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.actor, event.case) == (AuditEvent.Action.VIEW_CASE, user, case)
    assert (event.object_type, event.object_id) == ("requests.secondopinionrequest", str(case.pk))
    assert event.at.utcoffset() == timedelta(0)


def test_a_refused_case_page_is_not_counted_as_a_read(navigator_user: Any, supervisor: Any) -> None:
    """An anonymous visitor sent to the login page leaves no view_case event."""
    case = assigned_case(navigator_user, supervisor)

    Client().get(reverse(CASE_CHANGE, args=[case.pk]))

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_CASE).exists()


def test_a_change_through_the_case_form_is_audited_by_field_name(
    navigator_user: Any, supervisor: Any
) -> None:
    """Correcting the patient's phone on the details page records that the phone changed, from
    which address and browser, and neither number."""
    case = assigned_case(navigator_user, supervisor)
    client = client_for(navigator_user)
    page = client.get(reverse(CASE_DETAILS, args=[case.pk]))
    post = {**form_fields(page.content.decode()), "phone": "+16175559876"}

    response = client.post(
        reverse(CASE_DETAILS, args=[case.pk]),
        post,
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="Case-form browser",
    )

    assert response.status_code == 302
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, actor=navigator_user).get()
    assert event.case == case
    assert event.detail == {"fields": ["phone"]}
    assert (event.client_address, event.user_agent) == ("198.51.100.7", "Case-form browser")


def test_a_record_item_bulk_action_is_audited(
    navigator_user: Any, supervisor: Any, records_user: Any
) -> None:
    """A bulk mark-requested records the bulk action and, for each item, that its status
    changed."""
    case = assigned_case(navigator_user, supervisor, needs_records_help=True)
    items = list(RecordItem.objects.filter(case=case))
    assert items
    client = client_for(records_user)

    response = client.post(
        reverse("admin:requests_recorditem_changelist"),
        {
            "action": "mark_requested",
            ACTION_CHECKBOX_NAME: [item.pk for item in items],
            "index": 0,
        },
        HTTP_USER_AGENT="Worklist browser",
    )

    assert response.status_code == 302
    bulk = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
    assert bulk.actor == records_user
    assert bulk.detail == {"action": "mark requested", "items": len(items)}
    changes = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_type="requests.recorditem", actor=records_user
    )
    assert sorted(int(event.object_id) for event in changes) == sorted(i.pk for i in items)
    assert all(event.detail == {"fields": ["status"]} for event in changes)
    # The bulk event and each item's carry where the records specialist worked from.
    assert {(e.client_address, e.user_agent) for e in [bulk, *changes]} == {
        ("127.0.0.1", "Worklist browser")
    }


def test_a_record_item_bulk_action_records_only_what_changed(
    navigator_user: Any, supervisor: Any, records_user: Any
) -> None:
    """Each item's event of a bulk "mark requested" names the status and nothing else."""
    case = assigned_case(navigator_user, supervisor, needs_records_help=True)
    item = RecordItem.objects.filter(case=case).first()

    client_for(records_user).post(
        reverse("admin:requests_recorditem_changelist"),
        {"action": "mark_requested", ACTION_CHECKBOX_NAME: [item.pk], "index": 0},
    )

    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CHANGE, object_type="requests.recorditem", object_id=str(item.pk)
    )
    assert event.detail == {"fields": ["status"]}


def stored_pdf(case: SecondOpinionRequest) -> Any:
    """Return a PDF the patient attached to the case (stored without a staff uploader)."""
    return document_store(
        case=case,
        upload=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=None,
    )


def test_a_document_download_is_audited(navigator_user: Any, supervisor: Any) -> None:
    """Downloading a document appends a download event naming the document and its case."""
    case = assigned_case(navigator_user, supervisor)
    document = stored_pdf(case)

    response = client_for(navigator_user).get(document.get_absolute_url())

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.actor, event.case) == (navigator_user, case)
    assert (event.object_type, event.object_id) == ("requests.document", str(document.pk))


def test_a_refused_download_is_not_audited_as_a_download(
    navigator_user: Any, other_navigator_user: Any, supervisor: Any
) -> None:
    """Another navigator's refused download (403) leaves no download event."""
    case = assigned_case(navigator_user, supervisor)
    document = stored_pdf(case)

    response = client_for(other_navigator_user).get(document.get_absolute_url())

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


# --- The trail quotes no value of the record ---------------------------------------------

MEMBER_ID = "ZQ77431MBR"
NEW_SURNAME = "Quillfeather-Ames"
SEARCHED_LISTS = (
    "admin:requests_secondopinionrequest_changelist",
    "admin:requests_recorditem_changelist",
    "admin:requests_supporttask_changelist",
    "admin:requests_notification_changelist",
    "admin:requests_auditevent_changelist",
)


def test_no_audit_event_quotes_a_changed_or_searched_value(
    navigator_user: Any, supervisor: Any
) -> None:
    """After staff change a patient's surname and member ID on the case page and search every
    list for the old and new values, no audit event holds any of them (only field names,
    ids and counts), though every one of those reads and changes is in the trail."""
    case = assigned_case(
        navigator_user,
        supervisor,
        last_name=LAST_NAME,
        insurance_member_id="XJ123456",
        needs_records_help=True,
        needs_travel=True,
    )
    client = client_for(navigator_user)
    page = client.get(reverse(CASE_DETAILS, args=[case.pk]))
    post = {
        **form_fields(page.content.decode()),
        "last_name": NEW_SURNAME,
        "insurance_member_id": MEMBER_ID,
    }
    assert client.post(reverse(CASE_DETAILS, args=[case.pk]), post).status_code == 302
    searches = 0
    for user in (navigator_user, supervisor):
        for name in SEARCHED_LISTS:
            for term in (LAST_NAME, NEW_SURNAME, MEMBER_ID, "XJ123456"):
                response = client_for(user).get(reverse(name), {"q": term})
                searches += response.status_code == 200

    change = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, actor=navigator_user)
    assert change.detail == {"fields": ["last_name", "insurance_member_id"]}
    lists = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_LIST)
    assert searches > 0
    assert lists.count() == searches
    assert all(event.detail["search"] for event in lists)
    trail = " ".join(
        str(row) for row in AuditEvent.objects.values_list("detail", "object_id", "user_agent")
    )
    for value in (LAST_NAME, NEW_SURNAME, MEMBER_ID, "XJ123456", "Maria"):
        assert value not in trail


# --- No one changes or deletes the audit trail ----------------------------------------------

AUDIT_ROLES = ["superuser", "supervisor", "navigator_user", "records_user", "advocate_user"]


@pytest.fixture
def audit_event(navigator_user: Any, supervisor: Any) -> AuditEvent:
    case = assigned_case(navigator_user, supervisor)
    return AuditEvent.objects.create(
        actor=navigator_user,
        action=AuditEvent.Action.CHANGE,
        case=case,
        object_type="requests.secondopinionrequest",
        object_id=str(case.pk),
        detail={"phone": ["+16175550123", "+16175559876"]},
    )


def snapshot(event: AuditEvent) -> dict[str, Any]:
    return AuditEvent.objects.filter(pk=event.pk).values().get()


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_no_role_deletes_an_audit_event(
    request: pytest.FixtureRequest, audit_event: AuditEvent, role: str
) -> None:
    """No role, superusers included, may open or post an audit event's delete page."""
    client = client_for(request.getfixturevalue(role))
    url = reverse("admin:requests_auditevent_delete", args=[audit_event.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=audit_event.pk).exists()


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_no_role_changes_an_audit_event(
    request: pytest.FixtureRequest, audit_event: AuditEvent, role: str
) -> None:
    """No role, superusers included, may change an audit event or add one."""
    client = client_for(request.getfixturevalue(role))
    before = snapshot(audit_event)
    url = reverse("admin:requests_auditevent_change", args=[audit_event.pk])

    response = client.post(
        url, {"action": "view_case", "object_type": "x", "object_id": "1", "detail": "{}"}
    )

    assert response.status_code == 403
    assert snapshot(audit_event) == before
    assert client.get(reverse("admin:requests_auditevent_add")).status_code == 403


@pytest.mark.parametrize("role", ["superuser", "supervisor"])
def test_the_bulk_delete_action_cannot_remove_audit_events(
    request: pytest.FixtureRequest, audit_event: AuditEvent, role: str
) -> None:
    """The audit trail offers no delete_selected action; a crafted post of it deletes nothing."""
    client = client_for(request.getfixturevalue(role))
    changelist = reverse("admin:requests_auditevent_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.content.decode()

    client.post(
        changelist,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [audit_event.pk], "post": "yes"},
    )

    assert AuditEvent.objects.filter(pk=audit_event.pk).exists()


# --- PHI never reaches logs or emails --------------------------------------------------------


def console_handler() -> logging.Handler:
    """Return the project's console handler: the one that carries the RedactPHI filter."""
    handlers = [
        handler
        for handler in logging.getLogger("django").handlers
        if any(isinstance(f, RedactPHI) for f in handler.filters)
    ]
    assert len(handlers) == 1
    assert handlers[0] in logging.getLogger().handlers  # the root logger's too
    return handlers[0]


def phi_in(text: str) -> list[str]:
    """Return which of the patient's details appear in `text`."""
    found = [value for value in (LAST_NAME, DIAGNOSIS, *DOB_FORMS) if value in text]
    return found + ([FIRST_NAME] if FIRST_NAME in text else [])


def email_text(message: Any) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _mimetype in getattr(message, "alternatives", [])]
    return "\n".join(parts)


@pytest.mark.urls(__name__)
def test_phi_reaches_neither_logs_nor_emails_nor_the_error_page(
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
    navigator_user: Any,
    supervisor: Any,
) -> None:
    """Name, birth date and diagnosis reach no log line, 500 page or email."""
    # The handler opened stderr at start-up, before pytest's capture; point it at the
    # process's stderr again (as in production) so that capfd sees what it writes.
    monkeypatch.setattr(console_handler(), "stream", sys.__stderr__)
    client = Client(raise_request_exception=False)
    data = form_data(
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        date_of_birth=DOB.isoformat(),
        questions=DIAGNOSIS,
        email="zq@example.com",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/request/", data).status_code == 302
    response = client.get("/boom/")

    out, err = capfd.readouterr()
    written = out + err
    # The failure was logged, through the real handler, with its message redacted.
    assert "Internal Server Error: /boom/" in written
    assert f"ValueError: {REDACTED}" in written
    assert phi_in(written) == []
    assert response.status_code == 500
    assert phi_in(response.content.decode()) == []
    # The confirmation and the navigator's assignment email went out after commit.
    assert {tuple(message.to) for message in mailoutbox} >= {
        ("zq@example.com",),
        (navigator_user.email,),
    }
    kinds = {
        f"<notification-{pk}@": kind for pk, kind in Notification.objects.values_list("pk", "kind")
    }
    sent = {
        kinds[message.extra_headers["Message-ID"].split("@")[0] + "@"] for message in mailoutbox
    }
    assert Notification.Kind.CONFIRMATION in sent
    for message in mailoutbox:
        kind = kinds[message.extra_headers["Message-ID"].split("@")[0] + "@"]
        assert phi_in(email_text(message)) == [], f"{kind}: {message.subject}"


# --- Retention -------------------------------------------------------------------------

T0 = datetime(2025, 1, 10, 15, 0, tzinfo=UTC)
KEPT = ("status", "target_state", "cancer_type", "submitted_at", "reference", "closed_at")


def row(case: SecondOpinionRequest) -> dict[str, Any]:
    return SecondOpinionRequest.objects.filter(pk=case.pk).values().get()


def closed_case(status: str, navigator_user: Any, supervisor: Any) -> SecondOpinionRequest:
    case = make_request(
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        date_of_birth=DOB,
        questions=DIAGNOSIS,
        current_oncologist="Dr. Holloway",
        insurance_carrier="Blue Cross",
        insurance_member_id="XJ123456",
    )
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case_note_add(case=case, body=f"Spoke with {FIRST_NAME} about {DIAGNOSIS}", by=supervisor)
    document_store(
        case=case,
        upload=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        content_type="application/pdf",
        by=supervisor,
    )
    note = "The patient chose another center." if status == Status.DECLINED else ""
    case_transition(case=case, to_status=status, by=supervisor, note=note)
    case.refresh_from_db()
    return case


def test_retention_anonymises_old_withdrawn_and_declined_requests_only(
    navigator_user: Any,
    supervisor: Any,
    private_storage: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Retention anonymises only old withdrawn and declined requests; a rerun changes nothing."""
    with time_machine.travel(T0, tick=False) as traveller:
        withdrawn = closed_case(Status.WITHDRAWN, navigator_user, supervisor)
        declined = closed_case(Status.DECLINED, navigator_user, supervisor)
        still_open = closed_case(Status.GATHERING_RECORDS, navigator_user, supervisor)
        traveller.shift(timedelta(days=200))
        recent = closed_case(Status.WITHDRAWN, navigator_user, supervisor)
        traveller.shift(timedelta(days=settings.RETENTION_DAYS + 1 - 200))
        old_files = [
            private_storage / document.file.name
            for document in Document.objects.filter(case__in=[withdrawn, declined])
        ]
        assert all(file.exists() for file in old_files)
        before = {case.pk: row(case) for case in (withdrawn, declined, still_open, recent)}

        with django_capture_on_commit_callbacks(execute=True):
            assert retention_anonymise() == 2

        for case in (withdrawn, declined):
            after = row(case)
            assert after["first_name"] != FIRST_NAME
            assert after["last_name"] == ""
            assert after["date_of_birth"] != DOB
            assert (after["email"], after["phone"], after["zip_code"]) == ("", "", "")
            assert (after["questions"], after["current_oncologist"]) == ("", "")
            assert (after["insurance_carrier"], after["insurance_member_id"]) == ("", "")
            assert after["decline_reason"] == ""
            assert after["anonymised_at"] is not None
            assert {key: after[key] for key in KEPT} == {key: before[case.pk][key] for key in KEPT}
            assert not Document.objects.filter(case=case).exists()
            assert all(
                note.body == "[removed at retention]" for note in CaseNote.objects.filter(case=case)
            )
            assert not StatusChange.objects.filter(case=case).exclude(note="").exists()
            event = AuditEvent.objects.get(action=AuditEvent.Action.ANONYMISE, case=case)
            assert event.actor is None
        assert not any(file.exists() for file in old_files)
        for case in (still_open, recent):
            assert row(case) == before[case.pk]
            assert Document.objects.filter(case=case).exists()
            assert not AuditEvent.objects.filter(
                action=AuditEvent.Action.ANONYMISE, case=case
            ).exists()

        rows = {case.pk: row(case) for case in (withdrawn, declined, still_open, recent)}
        events = AuditEvent.objects.count()
        traveller.shift(timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert retention_anonymise() == 0
        assert {pk: row(SecondOpinionRequest(pk=pk)) for pk in rows} == rows
        assert AuditEvent.objects.count() == events


def test_retention_leaves_no_patient_detail_in_the_audit_trail(
    navigator_user: Any, supervisor: Any, settings: Any
) -> None:
    """After anonymisation the case's audit events hold none of the patient's details."""
    with time_machine.travel(T0, tick=False) as traveller:
        case = make_request(last_name=LAST_NAME, date_of_birth=DOB)
        case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
        client = client_for(navigator_user)
        page = client.get(reverse(CASE_DETAILS, args=[case.pk]))
        post = {**form_fields(page.content.decode()), "last_name": "Quillfeather-Ames"}
        assert client.post(reverse(CASE_DETAILS, args=[case.pk]), post).status_code == 302
        case_transition(case=case, to_status=Status.WITHDRAWN, by=None)
        traveller.shift(timedelta(days=settings.RETENTION_DAYS + 1))

        assert retention_anonymise() == 1

    details = [str(event.detail) for event in AuditEvent.objects.filter(case=case)]
    assert [text for text in details if LAST_NAME in text] == []
