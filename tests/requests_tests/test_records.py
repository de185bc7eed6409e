"""Outside medical records: the usual items, saving one, progress, the gate, chasing, the digest."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from navigators.roles import RECORDS_STAFF
from requests.choices import Status
from requests.models import (
    Appointment,
    AuditEvent,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
)
from requests.selectors import record_item_due_chase, records_progress, to_chase
from requests.services import (
    UNKNOWN_FACILITY,
    appointment_cancel,
    case_transition,
    default_record_kinds,
    record_item_save,
    records_digest,
)
from tests.factories import PATIENT_DOB, client_for, form_data, make_request, make_staff

pytestmark = pytest.mark.django_db

Kind = RecordItem.Kind
State = RecordItem.State
CENTER = ZoneInfo("America/New_York")
WORKLIST = "admin:requests_recorditem_changelist"
EDITABLE = ("kind", "facility", "status", "method", "tracking_number", "notes")
OUTSTANDING = (State.NEEDED, State.REQUESTED)
SETTLED = (State.RECEIVED, State.UNABLE, State.NOT_NEEDED)
# The patient's date of birth as a digest could print it.
DOB_FORMS = (
    PATIENT_DOB.isoformat(),
    PATIENT_DOB.strftime("%m/%d/%Y"),
    "March 28, 1961",
    "Mar. 28, 1961",
)


def case_of(
    navigator_user: Any | None, status: str = Status.GATHERING_RECORDS, **fields: Any
) -> SecondOpinionRequest:
    """Return a request of `navigator_user` in `status`, set directly (not under test here)."""
    case = make_request(**fields)
    updates: dict[str, Any] = {"status": status}
    if navigator_user is not None:
        updates.update(navigator=navigator_user.navigator, assigned_at=timezone.now())
    SecondOpinionRequest.objects.filter(pk=case.pk).update(**updates)
    case.refresh_from_db()
    return case


def add_item(
    case: SecondOpinionRequest, status: str = State.NEEDED, kind: str = Kind.PATHOLOGY_REPORT
) -> RecordItem:
    """List one item on a case directly, with no audit (arrangement, not under test)."""
    return RecordItem.objects.create(
        case=case, kind=kind, facility="Mercy General Hospital", status=status
    )


def edit(item: RecordItem, by: Any, now: datetime | None = None, **changes: Any) -> RecordItem:
    """Change an item as the admin does: read the stored values, change, save via the service."""
    before = dict(RecordItem.objects.filter(pk=item.pk).values(*EDITABLE).get())
    item.refresh_from_db()
    for name, value in changes.items():
        setattr(item, name, value)
    return record_item_save(item=item, by=by, before=before, now=now)


def completions(case: SecondOpinionRequest) -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.RECORDS_COMPLETE, case=case))


# --- The usual items ---------------------------------------------------------------------

SOLID = [Kind.PATHOLOGY_REPORT, Kind.PATHOLOGY_SLIDES, Kind.IMAGING_REPORT, Kind.IMAGING_DISC]
BLOOD = [Kind.PATHOLOGY_REPORT, Kind.LABS]
MOLECULAR = [Kind.MOLECULAR_REPORT]
OPERATIVE = [Kind.OPERATIVE_REPORT]
SUMMARY = [Kind.TREATMENT_SUMMARY]
NOTES = [Kind.CLINIC_NOTES]

# cancer type, treatments so far, the items a second opinion usually needs (written out here,
# independently of the code).
USUAL_ITEMS = [
    ("genitourinary", [], SOLID + NOTES),
    ("sarcoma", ["none"], SOLID + NOTES),
    ("not_sure", [], SOLID + NOTES),
    ("breast", [], SOLID + MOLECULAR + NOTES),
    ("thoracic", [], SOLID + MOLECULAR + NOTES),
    ("gastrointestinal", [], SOLID + MOLECULAR + NOTES),
    ("hepatobiliary", [], SOLID + MOLECULAR + NOTES),
    ("leukemia", [], BLOOD + MOLECULAR + NOTES),
    ("lymphoma", [], BLOOD + MOLECULAR + NOTES),
    ("myeloma", [], BLOOD + MOLECULAR + NOTES),
    ("skin", ["surgery"], SOLID + OPERATIVE + NOTES),
    ("head_neck", ["chemotherapy"], SOLID + SUMMARY + NOTES),
    ("neuro", ["radiation"], SOLID + SUMMARY + NOTES),
    ("gynecologic", ["systemic"], SOLID + SUMMARY + NOTES),
    ("endocrine", ["other"], SOLID + NOTES),
    (
        "breast",
        ["surgery", "chemotherapy", "radiation"],
        SOLID + MOLECULAR + OPERATIVE + SUMMARY + NOTES,
    ),
    ("lymphoma", ["chemotherapy", "systemic"], BLOOD + MOLECULAR + SUMMARY + NOTES),
    ("myeloma", ["surgery"], BLOOD + MOLECULAR + OPERATIVE + NOTES),
]


@pytest.mark.parametrize(("cancer_type", "treatments", "expected"), USUAL_ITEMS)
def test_default_record_kinds_follow_cancer_type_and_treatment(
    cancer_type: str, treatments: list[str], expected: list[str]
) -> None:
    """The usual items depend on blood vs solid cancer, molecular groups and treatment so far."""
    case = SecondOpinionRequest(cancer_type=cancer_type, treatments=treatments)

    kinds = default_record_kinds(case)

    assert sorted(kinds) == sorted(expected)
    assert len(kinds) == len(set(kinds)), "an item is listed twice"


def test_submission_with_records_help_lists_the_usual_items_at_the_current_facility() -> None:
    """Asking for records help lists each usual item, needed, from the patient's facility."""
    case = make_request(
        needs_records_help=True,
        current_facility="Mercy General Hospital",
        cancer_type="breast",
        treatments=["surgery"],
    )

    items = list(case.record_items.all())
    assert sorted(item.kind for item in items) == sorted(default_record_kinds(case))
    assert {item.facility for item in items} == {"Mercy General Hospital"}
    assert {item.status for item in items} == {State.NEEDED}
    assert all(item.requested_at is None and item.received_at is None for item in items)


def test_submission_without_a_facility_lists_items_to_confirm() -> None:
    """With no current facility given, the items say the facility is to be confirmed."""
    case = make_request(needs_records_help=True, current_facility="")

    facilities = set(case.record_items.values_list("facility", flat=True))
    assert facilities == {UNKNOWN_FACILITY}
    assert "confirm" in UNKNOWN_FACILITY.lower()


def test_submission_without_records_help_lists_no_items() -> None:
    """A request that sends its own records gets no record items."""
    case = make_request(needs_records_help=False, current_facility="Mercy General Hospital")

    assert not case.record_items.exists()


@pytest.mark.parametrize(("ticked", "expected"), [("on", True), (None, False)])
def test_the_public_form_lists_items_only_when_records_help_is_ticked(
    client, ticked: str | None, expected: bool
) -> None:
    """Through the public form too, items are listed only for records help."""
    response = client.post(
        "/request/", form_data(needs_records_help=ticked, current_facility="Dana Clinic")
    )

    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    assert case.record_items.exists() is expected
    if expected:
        assert set(case.record_items.values_list("facility", flat=True)) == {"Dana Clinic"}


# --- Saving an item ----------------------------------------------------------------------


def test_a_new_requested_item_gets_its_request_date_and_a_create_audit(records_user) -> None:
    """A new item saved as requested is dated, signed, and audited with its values."""
    case = case_of(None)
    moment = datetime(2026, 6, 1, 9, 30, tzinfo=CENTER)
    item = RecordItem(
        case=case, kind=Kind.IMAGING_DISC, facility="Mercy General Hospital", status="requested"
    )

    record_item_save(item=item, by=records_user, before=None, now=moment)

    item.refresh_from_db()
    assert item.requested_at == moment
    assert item.received_at is None
    assert (item.status_changed_at, item.status_changed_by) == (moment, records_user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.case) == (records_user, case)
    assert (event.object_type, event.object_id) == ("requests.recorditem", str(item.pk))
    assert event.detail == {"status": "requested"}  # a workflow code; not the facility


def test_receiving_an_item_dates_it_and_audits_the_status_change(records_user) -> None:
    """Marking an item received sets received_at and records that the status changed."""
    case = case_of(None)
    item = add_item(case, State.REQUESTED)
    moment = datetime(2026, 6, 3, 14, 0, tzinfo=CENTER)

    edit(item, records_user, now=moment, status=State.RECEIVED)

    item.refresh_from_db()
    assert item.received_at == moment
    assert (item.status_changed_at, item.status_changed_by) == (moment, records_user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.actor == records_user
    assert event.case == case
    assert event.object_id == str(item.pk)
    assert event.detail == {"fields": ["status"]}


def test_each_status_date_is_set_once_as_the_item_moves(records_user) -> None:
    """requested_at is set on requested and received_at on received, each kept afterwards."""
    case = case_of(None)
    item = add_item(case)
    requested = datetime(2026, 6, 1, 9, 0, tzinfo=CENTER)
    received = datetime(2026, 6, 4, 11, 0, tzinfo=CENTER)

    edit(item, records_user, now=requested, status=State.REQUESTED)
    edit(item, records_user, now=received, status=State.RECEIVED)

    item.refresh_from_db()
    assert (item.requested_at, item.received_at) == (requested, received)
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).order_by("pk")
    assert [event.detail for event in changes] == [{"fields": ["status"]}] * 2


def test_an_edit_without_a_status_change_keeps_who_changed_the_status(
    records_user, navigator_user
) -> None:
    """Changing the facility audits those field names only (not their values) and leaves the
    status stamp alone."""
    case = case_of(navigator_user)
    item = add_item(case, State.NEEDED)
    first = datetime(2026, 6, 1, 9, 0, tzinfo=CENTER)
    edit(item, records_user, now=first, status=State.REQUESTED)

    edit(
        item,
        navigator_user,
        now=first + timedelta(hours=2),
        facility="Dana Clinic",
        tracking_number="1Z999",
    )

    item.refresh_from_db()
    assert (item.status_changed_at, item.status_changed_by) == (first, records_user)
    last = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).latest("pk")
    assert last.actor == navigator_user
    assert last.detail == {"fields": ["facility", "tracking_number"]}


def test_saving_an_unchanged_item_writes_no_audit_event(records_user) -> None:
    """A save that changes nothing leaves the audit trail as it was."""
    item = add_item(case_of(None))

    edit(item, records_user)

    assert not AuditEvent.objects.exists()


def test_an_item_without_a_case_is_refused(records_user) -> None:
    """record_item_save refuses an item that belongs to no case, saving nothing."""
    item = RecordItem(kind=Kind.LABS, facility="Mercy General Hospital")

    with pytest.raises(ValidationError) as refused:
        record_item_save(item=item, by=records_user)

    assert refused.value.code == "no_case"

    assert not RecordItem.objects.exists()
    assert not AuditEvent.objects.exists()


# --- Telling the navigator ----------------------------------------------------------------

SETTLE_ORDERS = [
    (State.RECEIVED, State.RECEIVED, State.RECEIVED),
    (State.RECEIVED, State.UNABLE, State.NOT_NEEDED),
    (State.NOT_NEEDED, State.UNABLE, State.RECEIVED),
    (State.UNABLE, State.RECEIVED, State.UNABLE),
]


@pytest.mark.parametrize("final_states", SETTLE_ORDERS)
def test_the_navigator_is_told_once_when_the_last_item_is_settled(
    navigator_user, records_user, final_states: tuple[str, ...]
) -> None:
    """One records_complete notification, to the navigator, when no item is outstanding."""
    case = case_of(navigator_user)
    items = [add_item(case, State.REQUESTED, kind) for kind in (Kind.LABS, Kind.IMAGING_REPORT)]
    items.append(add_item(case, State.NEEDED, Kind.CLINIC_NOTES))

    for item, state in zip(items[:-1], final_states[:-1], strict=True):
        edit(item, records_user, status=state)
        assert completions(case) == []
    edit(items[-1], records_user, status=final_states[-1])

    [told] = completions(case)
    assert told.recipient == navigator_user.email
    assert told.context["staff_first_name"] == navigator_user.first_name
    # Later edits of settled items tell no one again.
    edit(items[0], records_user, notes="Filed in the chart.")
    edit(items[-1], records_user, tracking_number="1Z999")
    assert len(completions(case)) == 1


def test_nobody_is_told_while_an_item_is_outstanding(navigator_user, records_user) -> None:
    """Settling some items, with one still requested, owes no records_complete email."""
    case = case_of(navigator_user)
    first = add_item(case, State.REQUESTED)
    add_item(case, State.REQUESTED, Kind.LABS)

    edit(first, records_user, status=State.RECEIVED)

    assert completions(case) == []


def test_an_unassigned_case_tells_no_navigator(records_user) -> None:
    """With no navigator on the case, completing its records owes no email."""
    case = case_of(None)
    item = add_item(case, State.REQUESTED)

    edit(item, records_user, status=State.RECEIVED)

    assert not Notification.objects.filter(kind=Notification.Kind.RECORDS_COMPLETE).exists()


def test_reclassifying_a_settled_item_does_not_tell_the_navigator_again(
    navigator_user, records_user
) -> None:
    """Records already complete stay one notification when a settled item changes state."""
    case = case_of(navigator_user)
    received = add_item(case, State.REQUESTED)
    dropped = add_item(case, State.NEEDED, Kind.LABS)
    edit(received, records_user, status=State.RECEIVED)
    edit(dropped, records_user, status=State.NOT_NEEDED)
    assert len(completions(case)) == 1

    edit(dropped, records_user, status=State.UNABLE)

    assert len(completions(case)) == 1


# --- Progress ----------------------------------------------------------------------------


def progress_case(navigator_user: Any | None) -> SecondOpinionRequest:
    """A case with 3 of 5 items received, one requested, one needed, one not needed."""
    case = case_of(navigator_user)
    for state in (State.RECEIVED, State.RECEIVED, State.RECEIVED, State.REQUESTED, State.NEEDED):
        add_item(case, state)
    add_item(case, State.NOT_NEEDED, Kind.OTHER)
    return case


def test_records_progress_counts_received_of_the_items_that_matter(navigator_user) -> None:
    """Items not needed are left out: "records 3 of 5 received", 2 outstanding."""
    progress = records_progress(progress_case(navigator_user))

    assert str(progress) == "records 3 of 5 received"
    assert (progress.received, progress.total, progress.outstanding, progress.unable) == (
        3,
        5,
        2,
        0,
    )


def test_records_progress_says_how_many_could_not_be_obtained(navigator_user) -> None:
    """Items unable to obtain count in the total and are named after it."""
    case = case_of(navigator_user)
    for state in (State.RECEIVED, State.UNABLE, State.REQUESTED):
        add_item(case, state)

    assert str(records_progress(case)) == "records 1 of 3 received (1 unable to obtain)"


def test_the_case_page_shows_the_navigator_the_records_progress(navigator_user) -> None:
    """The navigator's case page says "Records 3 of 5 received" and how many are outstanding."""
    case = progress_case(navigator_user)

    response = client_for(navigator_user).get(
        reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    )

    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "Records 3 of 5 received" in text
    assert "2 outstanding" in text


# --- The lifecycle gate ------------------------------------------------------------------


@pytest.mark.parametrize("outstanding", OUTSTANDING)
def test_ready_to_schedule_is_refused_while_an_item_is_outstanding(
    navigator_user, outstanding: str
) -> None:
    """A needed or requested item keeps the case gathering records, saving nothing."""
    case = case_of(navigator_user)
    add_item(case, State.RECEIVED)
    add_item(case, outstanding, Kind.LABS)
    changes = StatusChange.objects.filter(case=case).count()

    with pytest.raises(ValidationError) as refused:
        case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)

    assert refused.value.code == "records_outstanding"
    assert "1 record item(s) are still needed or requested" in refused.value.messages[0]
    case.refresh_from_db()
    assert case.status == Status.GATHERING_RECORDS
    assert StatusChange.objects.filter(case=case).count() == changes


@pytest.mark.parametrize("settled", [*[(state,) for state in SETTLED], SETTLED])
def test_ready_to_schedule_is_allowed_once_every_item_is_settled(
    navigator_user, settled: tuple[str, ...]
) -> None:
    """Received, unable to obtain or not needed: the case may move on."""
    case = case_of(navigator_user)
    for state in settled:
        add_item(case, state)

    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)

    case.refresh_from_db()
    assert case.status == Status.READY_TO_SCHEDULE


def test_the_case_page_button_shows_the_refusal(navigator_user) -> None:
    """The admin's transition button refuses with the service's message and moves nothing."""
    case = case_of(navigator_user)
    add_item(case, State.REQUESTED)
    add_item(case, State.NEEDED, Kind.LABS)

    response = client_for(navigator_user).post(
        reverse("admin:case_transition", args=[case.pk]),
        {"to_status": Status.READY_TO_SCHEDULE},
        follow=True,
    )

    assert "2 record item(s) are still needed or requested" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.GATHERING_RECORDS


def test_an_appointment_can_be_cancelled_while_an_item_is_outstanding(navigator_user) -> None:
    """Cancelling the only appointment works even if a record item was added after booking."""
    case = case_of(navigator_user, status=Status.SCHEDULED)
    appointment = Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=3),
        specialty=Appointment.Specialty.MEDICAL,
        clinician="Dr. Okafor",
        location="Yawkey Center, floor 9",
    )
    add_item(case, State.NEEDED, Kind.IMAGING_REPORT)

    appointment_cancel(appointment=appointment, by=navigator_user, reason="Patient is ill.")

    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.CANCELLED


# --- Chasing and the daily digest --------------------------------------------------------

MONDAY_9AM = datetime(2026, 6, 1, 9, 0, tzinfo=CENTER)


def requested_item(
    case: SecondOpinionRequest, by: Any, at: datetime, kind: str = Kind.LABS
) -> RecordItem:
    """List an item and mark it requested at `at`, through the service."""
    item = add_item(case, State.NEEDED, kind)
    return edit(item, by, now=at, status=State.REQUESTED)


def digest_emails(mailoutbox: list[Any]) -> list[Any]:
    return [m for m in mailoutbox if m.subject.startswith("Records to chase today")]


def message_text(message: Any) -> str:
    html = "".join(str(body) for body, _type in getattr(message, "alternatives", []))
    return f"{message.subject}\n{message.body}\n{html}"


def test_an_item_requested_long_ago_is_in_the_chase_view(records_user, time_machine) -> None:
    """?chase=yes lists items requested RECORDS_FOLLOW_UP_DAYS+ ago and not received only."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    late = case_of(None)
    requested_item(late, records_user, MONDAY_9AM)
    got = case_of(None)
    received = requested_item(got, records_user, MONDAY_9AM)
    edit(received, records_user, now=MONDAY_9AM + timedelta(days=1), status=State.RECEIVED)
    days = settings.RECORDS_FOLLOW_UP_DAYS
    now = MONDAY_9AM + timedelta(days=days, hours=1)
    recent = case_of(None)
    requested_item(recent, records_user, now - timedelta(days=days - 1))
    time_machine.move_to(now, tick=False)

    client = client_for(records_user)
    chase = client.get(reverse(WORKLIST) + "?chase=yes").content.decode()
    everything = client.get(reverse(WORKLIST) + "?items=all").content.decode()

    assert late.reference in chase
    assert recent.reference not in chase
    assert got.reference not in chase
    assert recent.reference in everything
    assert got.reference in everything
    assert 'badge-warn">follow up<' in client.get(reverse(WORKLIST)).content.decode()


def test_the_chase_view_and_flag_leave_out_closed_cases_as_the_digest_does(
    records_user, time_machine
) -> None:
    """One chase rule: an item of a withdrawn case is neither listed to chase nor flagged."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    late = requested_item(case_of(None), records_user, MONDAY_9AM)
    closed = case_of(None, status=Status.WITHDRAWN)
    gone = requested_item(closed, records_user, MONDAY_9AM)
    now = MONDAY_9AM + timedelta(days=settings.RECORDS_FOLLOW_UP_DAYS, hours=1)
    time_machine.move_to(now, tick=False)

    chase = client_for(records_user).get(reverse(WORKLIST) + "?chase=yes&items=all")

    assert {item.pk for item in chase.context["cl"].result_list} == {late.pk}
    assert set(to_chase()) == {late}
    assert [record_item_due_chase(item) for item in (late, gone)] == [True, False]


@pytest.fixture
def records_team(records_user) -> list[Any]:
    """Two records staff who get the digest, and staff who must not."""
    second = make_staff("records2", RECORDS_STAFF)
    make_staff("records_left", RECORDS_STAFF, is_active=False)
    no_email = make_staff("records_noemail", RECORDS_STAFF)
    no_email.email = ""
    no_email.save(update_fields=["email"])
    return [records_user, second]


def test_the_digest_emails_each_records_user_the_references_and_counts(
    records_team, navigator_user, time_machine, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    """One digest per records user: references and item counts, no name or date of birth."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    two = case_of(navigator_user, first_name="Maria", last_name="Lopez")
    requested_item(two, navigator_user, MONDAY_9AM, Kind.LABS)
    requested_item(two, navigator_user, MONDAY_9AM, Kind.IMAGING_DISC)
    one = case_of(navigator_user, first_name="Ana", last_name="Quintero")
    requested_item(one, navigator_user, MONDAY_9AM, Kind.PATHOLOGY_SLIDES)
    due = MONDAY_9AM + timedelta(days=settings.RECORDS_FOLLOW_UP_DAYS, hours=1)
    time_machine.move_to(due, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 3

    emails = digest_emails(mailoutbox)
    assert sorted(m.to[0] for m in emails) == sorted(user.email for user in records_team)
    assert len(mailoutbox) == len(emails), "someone other than records staff got an email"
    for message in emails:
        text = message_text(message)
        assert "3 items" in message.subject
        assert f"{two.reference}: 2 items" in message.body
        assert f"{one.reference}: 1 item\n" in message.body
        for private in ("Maria", "Lopez", "Ana", "Quintero", *DOB_FORMS):
            assert private not in text


def test_the_digest_lists_an_item_once_a_day_and_again_the_next_day(
    records_user, time_machine, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    """A second run the same day lists nothing more; the next day the item is listed again."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    case = case_of(None)
    requested_item(case, records_user, MONDAY_9AM)
    due = MONDAY_9AM + timedelta(days=settings.RECORDS_FOLLOW_UP_DAYS, hours=1)
    time_machine.move_to(due, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 0
        time_machine.move_to(due + timedelta(hours=6), tick=False)
        assert records_digest() == 0
    assert len(digest_emails(mailoutbox)) == 1

    time_machine.move_to(due + timedelta(days=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 1

    emails = digest_emails(mailoutbox)
    assert len(emails) == 2
    assert case.reference in emails[1].body


def test_a_received_item_is_never_in_the_digest(
    records_user, time_machine, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    """An item received after being chased drops out; with nothing to chase, no email."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    case = case_of(None)
    item = requested_item(case, records_user, MONDAY_9AM)
    time_machine.move_to(MONDAY_9AM + timedelta(days=10), tick=False)
    edit(item, records_user, status=State.RECEIVED)

    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 0

    assert digest_emails(mailoutbox) == []
    assert not Notification.objects.filter(kind=Notification.Kind.RECORDS_DIGEST).exists()


def test_items_of_closed_cases_are_not_chased(
    records_user, time_machine, django_capture_on_commit_callbacks
) -> None:
    """A withdrawn case's requested items are in no digest."""
    time_machine.move_to(MONDAY_9AM, tick=False)
    case = case_of(None, status=Status.WITHDRAWN)
    requested_item(case, records_user, MONDAY_9AM)
    time_machine.move_to(MONDAY_9AM + timedelta(days=10), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 0


def test_the_digest_goes_only_to_the_records_staff_group(
    records_user, supervisor, navigator_user, time_machine, django_capture_on_commit_callbacks
) -> None:
    """Supervisors and navigators get no records digest."""
    assert Group.objects.filter(name=RECORDS_STAFF).exists()
    time_machine.move_to(MONDAY_9AM, tick=False)
    requested_item(case_of(None), records_user, MONDAY_9AM)
    time_machine.move_to(MONDAY_9AM + timedelta(days=10), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        records_digest()

    recipients = set(
        Notification.objects.filter(kind=Notification.Kind.RECORDS_DIGEST).values_list(
            "recipient", flat=True
        )
    )
    assert recipients == {records_user.email}


def test_an_item_due_after_the_first_run_is_emailed_by_a_later_run(
    records_user, time_machine, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    """Every item a digest run claims is in an email to records staff."""
    days = settings.RECORDS_FOLLOW_UP_DAYS
    first_run = datetime(2026, 6, 10, 7, 0, tzinfo=CENTER)
    early, late = case_of(None), case_of(None)
    requested_item(early, records_user, first_run - timedelta(days=days, hours=5))
    requested_item(late, records_user, first_run - timedelta(days=days) + timedelta(hours=3))
    time_machine.move_to(first_run, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert records_digest() == 1

    time_machine.move_to(first_run + timedelta(hours=6), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = records_digest()

    assert claimed == 1
    assert any(late.reference in m.body for m in digest_emails(mailoutbox))
