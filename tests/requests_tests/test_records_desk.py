"""The records desk: the order of the work, marking items requested and received with
consistent methods and dates (one at a time and in bulk), upload and receive in one submit,
who may open it, and what it costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests.choices import Status
from requests.models import Appointment, AuditEvent, Document, RecordItem, SecondOpinionRequest
from requests.services import (
    record_item_mark_received,
    record_item_mark_requested,
    record_items_mark,
)
from tests.clamav import clamd_running
from tests.factories import DIAGNOSIS_TEXT, client_for, make_request
from tests.files import EICAR_PDF, PDF

pytestmark = pytest.mark.django_db

State = RecordItem.State
DESK = "admin:records_desk"
BULK = "admin:records_desk_bulk"


def mark_url(item: RecordItem, do: str) -> str:
    return reverse("admin:records_desk_mark", args=[item.pk, do])


def open_case(navigator_user: Any | None = None, *, target_in: int = 5, **fields: Any) -> Any:
    """Return an open case whose target is `target_in` days away."""
    case = make_request(**fields)
    updates: dict[str, Any] = {
        "status": Status.GATHERING_RECORDS,
        "target_date": timezone.localdate() + timedelta(days=target_in),
    }
    if navigator_user is not None:
        updates.update(navigator=navigator_user.navigator, assigned_at=timezone.now())
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    case.refresh_from_db()
    return case


def add_item(case: Any, status: str = State.NEEDED, **fields: Any) -> RecordItem:
    values = {"kind": RecordItem.Kind.PATHOLOGY_REPORT, "facility": "Mercy General Hospital"}
    return RecordItem.objects.create(case=case, status=status, **{**values, **fields})


def book_visit(case: Any, in_days: int) -> None:
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=in_days),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Rivera",
    )


def listed(response: Any) -> list[int]:
    assert response.status_code == 200
    return [row.item.pk for row in response.context["rows"]]


# --- Order and content ----------------------------------------------------------------------


def test_the_desk_lists_chase_due_first_then_by_visit_then_by_target(records_user) -> None:
    """Chase due first; then the nearest visit (none last); then the nearest target."""
    far = add_item(open_case(target_in=6))
    near_target = add_item(open_case(target_in=1))
    visit_case = open_case(target_in=6)
    book_visit(visit_case, 2)
    near_visit = add_item(visit_case)
    later_case = open_case(target_in=6)
    book_visit(later_case, 4)
    later_visit = add_item(later_case)
    chase = add_item(
        open_case(target_in=7),
        State.REQUESTED,
        method=RecordItem.Method.FAX,
        requested_at=timezone.now() - timedelta(days=5),
    )
    add_item(open_case(), State.RECEIVED)  # not outstanding
    closed = open_case()
    SecondOpinionRequest.objects.filter(pk=closed.pk).update(status=Status.WITHDRAWN)
    add_item(closed)

    order = listed(client_for(records_user).get(reverse(DESK)))

    assert order == [chase.pk, near_visit.pk, later_visit.pk, near_target.pk, far.pk]


def test_the_desk_shows_what_the_call_needs_and_no_diagnosis(records_user) -> None:
    """Reference, first and last name, item kind, facility, dates; never the diagnosis."""
    case = open_case(first_name="Ana", last_name="Quillfeather")
    add_item(case, facility="Dana Clinic")

    html = client_for(records_user).get(reverse(DESK)).content.decode()

    for shown in (case.reference, "Ana Quillfeather", "Pathology report", "Dana Clinic"):
        assert shown in html
    assert DIAGNOSIS_TEXT not in html


def test_the_desk_filters_by_state_chase_and_facility(records_user) -> None:
    needed = add_item(open_case(), facility="Dana Clinic")
    requested = add_item(
        open_case(),
        State.REQUESTED,
        method="fax",
        requested_at=timezone.now() - timedelta(hours=2),
        facility="Mercy General",
    )
    chase = add_item(
        open_case(),
        State.REQUESTED,
        method="portal",
        requested_at=timezone.now() - timedelta(days=4),
        facility="Mercy West",
    )
    client = client_for(records_user)

    assert set(listed(client.get(reverse(DESK), {"state": "needed"}))) == {needed.pk}
    assert set(listed(client.get(reverse(DESK), {"state": "requested"}))) == {
        requested.pk,
        chase.pk,
    }
    assert listed(client.get(reverse(DESK), {"chase": "yes"})) == [chase.pk]
    assert set(listed(client.get(reverse(DESK), {"facility": "mercy"}))) == {
        requested.pk,
        chase.pk,
    }
    assert listed(client.get(reverse(DESK), {"state": "bogus"}))  # ignored, not a 500


# --- Who may open it ------------------------------------------------------------------------


def test_advocates_are_refused_the_desk(advocate_user) -> None:
    add_item(open_case(last_name="Quillfeather"))

    response = client_for(advocate_user).get(reverse(DESK))

    assert response.status_code == 403
    assert "Quillfeather" not in response.content.decode()


def test_a_navigator_reads_their_own_cases_items_and_marks_them(
    navigator_user, other_navigator_user
) -> None:
    """A navigator sees the items of their own cases only, and may mark them."""
    own = add_item(open_case(navigator_user))
    other = add_item(open_case(other_navigator_user))
    client = client_for(navigator_user)

    assert listed(client.get(reverse(DESK))) == [own.pk]
    refused = client.post(mark_url(other, "received"), {})
    assert refused.status_code == 403
    assert RecordItem.objects.get(pk=other.pk).status == State.NEEDED
    done = client.post(mark_url(own, "received"), {})
    assert done.status_code == 302
    assert RecordItem.objects.get(pk=own.pk).status == State.RECEIVED


def test_a_supervisor_reads_every_item(supervisor, navigator_user) -> None:
    items = {add_item(open_case(navigator_user)).pk, add_item(open_case()).pk}

    assert set(listed(client_for(supervisor).get(reverse(DESK)))) == items


def test_an_advocate_cannot_post_a_mark(advocate_user) -> None:
    item = add_item(open_case())

    response = client_for(advocate_user).post(mark_url(item, "received"), {})

    assert response.status_code == 403
    assert RecordItem.objects.get(pk=item.pk).status == State.NEEDED


# --- Mark requested, mark received ----------------------------------------------------------


def test_mark_requested_records_the_method_and_the_date(records_user) -> None:
    item = add_item(open_case())
    day = timezone.localdate() - timedelta(days=1)

    response = client_for(records_user).post(
        mark_url(item, "requested"),
        {f"item-{item.pk}-method": "fax", f"item-{item.pk}-on": day.isoformat()},
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.method) == (State.REQUESTED, "fax")
    assert timezone.localdate(item.requested_at) == day
    assert item.status_changed_by == records_user
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_id=str(item.pk), actor=records_user
    ).exists()


def test_mark_requested_without_a_method_is_refused_in_plain_words(records_user) -> None:
    item = add_item(open_case())

    response = client_for(records_user).post(mark_url(item, "requested"), {})

    assert response.status_code == 400
    assert "Say how the records were requested." in response.content.decode()
    assert RecordItem.objects.get(pk=item.pk).status == State.NEEDED


def test_a_date_still_to_come_is_refused(records_user) -> None:
    item = add_item(open_case())
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client_for(records_user).post(
        mark_url(item, "requested"),
        {f"item-{item.pk}-method": "fax", f"item-{item.pk}-on": tomorrow.isoformat()},
    )

    assert response.status_code == 400
    assert "is still to come" in response.content.decode()
    assert RecordItem.objects.get(pk=item.pk).status == State.NEEDED


def test_mark_received_sets_the_date_and_keeps_the_method_and_request(records_user) -> None:
    requested_at = timezone.now() - timedelta(days=3)
    item = add_item(open_case(), State.REQUESTED, method="portal", requested_at=requested_at)

    response = client_for(records_user).post(mark_url(item, "received"), {})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == State.RECEIVED
    assert (item.method, item.requested_at) == ("portal", requested_at)
    assert item.requested_at <= item.received_at
    assert timezone.localdate(item.received_at) == timezone.localdate()


def test_received_before_requested_is_refused_in_plain_words(records_user) -> None:
    item = add_item(
        open_case(), State.REQUESTED, method="fax", requested_at=timezone.now() - timedelta(days=1)
    )
    before = timezone.localdate() - timedelta(days=3)

    response = client_for(records_user).post(
        mark_url(item, "received"), {f"item-{item.pk}-on": before.isoformat()}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "is before the requested date" in html
    assert item.case.reference in html
    assert RecordItem.objects.get(pk=item.pk).status == State.REQUESTED


def test_received_the_same_day_as_requested_is_after_it(records_user) -> None:
    """Requested today at some hour, received "today": received_at is not before it."""
    item = add_item(open_case())
    record_item_mark_requested(item=item, method="fax", by=records_user)

    record_item_mark_received(item=item, on=timezone.localdate(), by=records_user)

    item.refresh_from_db()
    assert item.requested_at <= item.received_at


@pytest.mark.parametrize("status", [State.RECEIVED, State.UNABLE, State.NOT_NEEDED])
def test_an_item_no_longer_outstanding_is_not_marked_again(records_user, status: str) -> None:
    item = add_item(open_case(), status)

    with pytest.raises(ValidationError) as refused:
        record_item_mark_requested(item=item, method="fax", by=records_user)

    assert refused.value.code == "not_outstanding"


# --- Bulk -----------------------------------------------------------------------------------


def test_bulk_mark_requested_marks_every_checked_row_with_its_method(records_user) -> None:
    items = [add_item(open_case()) for _ in range(3)]
    unchecked = add_item(open_case())

    response = client_for(records_user).post(
        reverse(BULK),
        {"do": "requested", "method": "portal", "items": [item.pk for item in items]},
    )

    assert response.status_code == 302
    assert set(
        RecordItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", "method")
    ) == {(State.REQUESTED, "portal")}
    assert RecordItem.objects.get(pk=unchecked.pk).status == State.NEEDED
    [bulk] = AuditEvent.objects.filter(action=AuditEvent.Action.BULK)
    assert bulk.detail == {"action": "mark requested", "items": 3}


def test_bulk_mark_requested_without_a_method_is_refused(records_user) -> None:
    items = [add_item(open_case()) for _ in range(2)]

    response = client_for(records_user).post(
        reverse(BULK), {"do": "requested", "method": "", "items": [item.pk for item in items]}
    )

    assert response.status_code == 400
    assert "Say how the records were requested." in response.content.decode()
    assert set(RecordItem.objects.values_list("status", flat=True)) == {State.NEEDED}


def test_bulk_mark_received_refuses_all_when_one_is_inconsistent(records_user) -> None:
    """One item requested yesterday, one needed; received three days ago: refused, none saved."""
    yesterday = add_item(
        open_case(), State.REQUESTED, method="fax", requested_at=timezone.now() - timedelta(days=1)
    )
    needed = add_item(open_case())
    day = (timezone.localdate() - timedelta(days=3)).isoformat()

    response = client_for(records_user).post(
        reverse(BULK), {"do": "received", "on": day, "items": [yesterday.pk, needed.pk]}
    )

    assert response.status_code == 400
    assert "is before the requested date" in response.content.decode()
    assert RecordItem.objects.get(pk=needed.pk).status == State.NEEDED
    assert RecordItem.objects.get(pk=yesterday.pk).status == State.REQUESTED


def test_bulk_mark_received(records_user) -> None:
    items = [add_item(open_case()) for _ in range(2)]

    response = client_for(records_user).post(
        reverse(BULK), {"do": "received", "items": [item.pk for item in items]}
    )

    assert response.status_code == 302
    assert set(RecordItem.objects.values_list("status", flat=True)) == {State.RECEIVED}


def test_bulk_with_no_row_checked_says_so(records_user) -> None:
    response = client_for(records_user).post(reverse(BULK), {"do": "received"})

    assert response.status_code == 400
    assert "Check the rows to mark first." in response.content.decode()


def test_a_navigator_cannot_bulk_mark_another_navigators_items(
    navigator_user, other_navigator_user
) -> None:
    other = add_item(open_case(other_navigator_user))

    response = client_for(navigator_user).post(
        reverse(BULK), {"do": "received", "items": [other.pk]}
    )

    assert response.status_code == 403
    assert RecordItem.objects.get(pk=other.pk).status == State.NEEDED


def test_the_worklists_bulk_service_still_works_without_a_method(records_user) -> None:
    """The older worklist's actions (no method, no date) keep working."""
    item = add_item(open_case())

    record_items_mark(
        items=RecordItem.objects.filter(pk=item.pk), status=State.RECEIVED, by=records_user
    )

    assert RecordItem.objects.get(pk=item.pk).status == State.RECEIVED


# --- Upload and receive ---------------------------------------------------------------------


def upload_post(item: RecordItem, content: bytes = PDF, name: str = "pathology.pdf") -> dict:
    return {
        f"item-{item.pk}-upload-file": SimpleUploadedFile(name, content, "application/pdf"),
        f"item-{item.pk}-upload-on": timezone.localdate().isoformat(),
    }


def test_upload_and_receive_in_one_submit(records_user) -> None:
    """One post stores one document, linked to the item, and marks the item received."""
    item = add_item(open_case(), State.REQUESTED, method="fax", requested_at=timezone.now())

    response = client_for(records_user).post(mark_url(item, "upload"), upload_post(item))

    assert response.status_code == 302
    [document] = Document.objects.all()
    assert (document.case_id, document.record_item_id) == (item.case_id, item.pk)
    assert document.uploaded_by == records_user
    item.refresh_from_db()
    assert item.status == State.RECEIVED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPLOAD, actor=records_user).exists()


def test_a_bad_file_is_refused_and_the_item_stays_outstanding(records_user) -> None:
    item = add_item(open_case())

    response = client_for(records_user).post(
        mark_url(item, "upload"), upload_post(item, b"MZ\x90\x00 not a pdf", "report.pdf")
    )

    assert response.status_code == 400
    assert "is not a PDF, JPEG or PNG file" in response.content.decode()
    assert not Document.objects.exists()
    assert RecordItem.objects.get(pk=item.pk).status == State.NEEDED


def test_upload_and_receive_refused_by_dates_stores_no_document(records_user) -> None:
    item = add_item(open_case(), State.REQUESTED, method="fax", requested_at=timezone.now())
    data = upload_post(item)
    data[f"item-{item.pk}-upload-on"] = (timezone.localdate() - timedelta(days=2)).isoformat()

    response = client_for(records_user).post(mark_url(item, "upload"), data)

    assert response.status_code == 400
    assert not Document.objects.exists()
    assert RecordItem.objects.get(pk=item.pk).status == State.REQUESTED


def test_upload_and_receive_through_the_real_clamd(records_user, settings: Any) -> None:
    """With Debian's clamd: a clean report is stored scanned clean and the item received; the
    EICAR file is refused with the message and the item stays outstanding."""
    clean_item = add_item(open_case())
    infected_item = add_item(open_case())
    client = client_for(records_user)

    with clamd_running() as socket_path:
        settings.CLAMD_SOCKET = socket_path
        accepted = client.post(mark_url(clean_item, "upload"), upload_post(clean_item))
        refused = client.post(
            mark_url(infected_item, "upload"), upload_post(infected_item, EICAR_PDF, "labs.pdf")
        )

    assert accepted.status_code == 302
    [document] = Document.objects.all()
    assert (document.record_item_id, document.scan_state) == (clean_item.pk, "clean")
    assert RecordItem.objects.get(pk=clean_item.pk).status == State.RECEIVED
    assert refused.status_code == 400
    assert "“labs” did not pass our virus check" in refused.content.decode()
    assert RecordItem.objects.get(pk=infected_item.pk).status == State.NEEDED


# --- Cost -----------------------------------------------------------------------------------


def desk_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DESK))
    assert response.status_code == 200
    return len(queries)


def test_the_desk_costs_the_same_at_1_and_50_items(records_user) -> None:
    """At most 15 queries, the same for 1 item as for 50 (each on its own case, some with a
    visit and a directory entry)."""
    from requests.models import Facility

    Facility.objects.create(name="Clinic 0", phone="617-555-0100", fax="617-555-0101")
    client = client_for(records_user)
    add_item(open_case(), facility="Clinic 0")
    client.get(reverse(DESK))  # Warm the caches a first page fills.

    at_1 = desk_queries(client)
    for n in range(1, 50):
        case = open_case()
        if n % 3 == 0:
            book_visit(case, n % 7 + 1)
        status = State.REQUESTED if n % 2 else State.NEEDED
        requested_at = timezone.now() - timedelta(days=n % 5) if n % 2 else None
        add_item(
            case,
            status,
            facility=f"Clinic {n % 4}",
            method="fax" if n % 2 else "",
            requested_at=requested_at,
        )
    at_50 = desk_queries(client)

    assert at_50 == at_1
    assert at_50 <= 15


def test_an_item_received_then_requested_again_is_no_longer_received(records_user) -> None:
    """Reopened by the worklist (status back to requested), an item received on an earlier
    day drops its received date rather than keep one before its request."""
    item = add_item(open_case())
    record_item_mark_received(
        item=item, on=timezone.localdate() - timedelta(days=2), by=records_user
    )

    record_items_mark(
        items=RecordItem.objects.filter(pk=item.pk), status=State.REQUESTED, by=records_user
    )

    item.refresh_from_db()
    assert (item.status, item.received_at) == (State.REQUESTED, None)
    assert item.requested_at is not None
