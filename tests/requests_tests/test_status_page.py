"""The patient's status page: the lookup, the single-use link, the tracker, withdrawing, limits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import dateformat, timezone

from navigators.services import case_assign
from requests.choices import Status
from requests.models import (
    Notification,
    RecordItem,
    SecondOpinionRequest,
    StatusChange,
    StatusLink,
)
from requests.services import appointment_book, case_transition, notification_send
from secondopinion.ratelimit import client_ip
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, form_data, lookup_data, make_request
from tests.factories import PATIENT_EMAIL as EMAIL
from tests.requests_tests.stored_text import tables_holding

pytestmark = pytest.mark.django_db

PHONE = "833-773-3111"


def lookup(client: Client, reference: str, address: str = "198.51.100.1", **overrides: Any) -> Any:
    """Post the lookup form from a client address."""
    return client.post("/status/", lookup_data(reference, **overrides), REMOTE_ADDR=address)


def links_owed() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.STATUS_LINK))


def send_link(notification: Notification) -> str:
    """Send an owed link email through the outbox and return the token its link carries."""
    assert notification_send(notification_id=notification.pk)
    message = mail.outbox[-1]
    url = re.search(r"\S+/status/open/\S+", message.body).group(0)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == settings.SITE_URL
    assert parts.path == "/status/open/"
    return parse_qs(parts.query)["t"][0]


def new_link(client: Client, case: SecondOpinionRequest) -> str:
    """Ask for a status link as the patient, have it sent, and return its token."""
    assert lookup(client, case.reference).status_code == 200
    return send_link(Notification.objects.filter(kind=Notification.Kind.STATUS_LINK).latest("pk"))


def use(client: Client, token: str) -> Any:
    """Click the link's button: post its token."""
    return client.post("/status/open/", {"t": token})


def open_tracker(client: Client, case: SecondOpinionRequest) -> None:
    """Ask for a link and use it, so that this client's session holds the case."""
    response = use(client, new_link(client, case))
    assert response.status_code == 302
    assert response["Location"] == "/status/view/"


def altered(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


# --- The lookup --------------------------------------------------------------------------


def test_the_lookup_form_is_shown(client) -> None:
    """GET /status/ shows the three questions."""
    page = client.get("/status/").content.decode()
    for name in ("reference", "date_of_birth", "email"):
        assert f'name="{name}"' in page


def test_the_lookup_answers_the_same_whether_or_not_the_details_match(client) -> None:
    """A match, a wrong birth date, a wrong email and an unknown reference look alike."""
    case = make_request()
    answers = [
        lookup(client, case.reference),
        lookup(client, case.reference, date_of_birth="1961-03-29"),
        lookup(client, case.reference, email="someone.else@example.com"),
        lookup(client, "ZZZZ-ZZZZ"),
    ]

    assert {response.status_code for response in answers} == {200}
    # Identical but for the per-response masking of the CSRF token (the language switch).
    pages = {
        re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
        for response in answers
    }
    assert len(pages) == 1
    assert "Check your email" in answers[0].content.decode()
    assert case.reference not in answers[0].content.decode()
    # No cookie tells them apart (the CSRF cookie of the language switch is set once).
    assert [sorted(set(response.cookies) - {"csrftoken"}) for response in answers] == [[]] * 4
    owed = links_owed()
    assert [(row.case_id, row.recipient) for row in owed] == [(case.pk, EMAIL)]
    assert StatusLink.objects.filter(case=case).count() == 1


def test_a_reference_typed_in_lower_case_with_spaces_is_found(client) -> None:
    """A reference typed in lower case with spaces instead of the dash is found."""
    case = make_request()
    typed = " " + case.reference.lower().replace("-", " ") + " "
    assert lookup(client, typed).status_code == 200
    assert [row.case_id for row in links_owed()] == [case.pk]


def test_the_email_is_compared_without_regard_to_case(client) -> None:
    """An email typed in capitals matches the one on file."""
    case = make_request()
    lookup(client, case.reference, email=EMAIL.upper())
    assert [row.case_id for row in links_owed()] == [case.pk]


def test_a_caregivers_email_on_file_also_gets_the_link(client) -> None:
    """The person who asked for the patient may ask for the link at their own address."""
    case = make_request(
        requester_type="caregiver",
        requester_first_name="Ana",
        requester_last_name="Lopez",
        requester_relationship="daughter",
        requester_email="ana.lopez@example.com",
        requester_phone="+16175550999",
    )
    lookup(client, case.reference, email="ana.lopez@example.com")
    assert [row.recipient for row in links_owed()] == ["ana.lopez@example.com"]


def test_an_incomplete_lookup_is_refused_with_messages(client) -> None:
    """Missing answers are asked for again (400), and no link is owed."""
    response = client.post("/status/", {"reference": "", "date_of_birth": "", "email": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter your reference number." in page
    assert "Enter the email you gave us." in page
    assert links_owed() == []


def test_the_link_email_carries_the_link_and_nothing_the_submitter_typed(client) -> None:
    """The sent email holds the link and the reference; no name, no diagnosis."""
    case = make_request()
    lookup(client, case.reference)
    token = send_link(links_owed()[0])
    message = mail.outbox[-1]
    assert message.to == [EMAIL]
    assert urlencode({"t": token}) in message.alternatives[0][0]
    assert "Hello," in message.body
    assert case.reference in message.subject
    for part in (message.subject, message.body, message.alternatives[0][0]):
        for private in (DIAGNOSIS_TEXT, "Maria", "Lopez", PATIENT_DOB.isoformat(), "Breast cancer"):
            assert private not in part, private


def test_after_the_link_is_sent_no_row_holds_anything_that_opens_it(
    client, require_postgres
) -> None:
    """Every column of every table, read after the email went out, holds neither the link,
    its token nor its secret; the link in the email opens the tracker, exactly once."""
    from django.core import signing

    from requests.services.status_links import SALT

    case = make_request()
    lookup(client, case.reference)
    token = send_link(links_owed()[0])
    url = re.search(r"\S+/status/open/\S+", mail.outbox[-1].body).group(0)
    secret = signing.loads(token, salt=SALT)["s"]

    # The walk finds what is there: the address is in the request's table and the outbox.
    assert {"requests_secondopinionrequest", "requests_notification"} <= set(tables_holding(EMAIL))
    for needle in (url, urlencode({"t": token}), token, secret, token.split(":")[0]):
        assert tables_holding(needle) == [], needle

    assert use(client, token).status_code == 302
    assert use(Client(), token).status_code == 410


def test_the_owed_email_keeps_the_link_id_and_no_url(client) -> None:
    """Before it is sent, the outbox row names the link by id: nothing in it opens anything."""
    case = make_request()
    lookup(client, case.reference)
    notification = links_owed()[0]
    link = StatusLink.objects.get(case=case)
    assert notification.context == {"status_link_id": link.pk, "hours": 24}
    assert link.secret_hash == ""


def test_an_unsent_link_opens_nothing(client) -> None:
    """A link whose email was never sent has no secret: no token opens it, not even one
    signed with the right key for its id and an empty secret."""
    from django.core import signing

    from requests.services.status_links import SALT

    case = make_request()
    lookup(client, case.reference)
    link = StatusLink.objects.get(case=case)
    forged = signing.dumps({"id": link.pk, "s": ""}, salt=SALT, compress=True)
    assert use(client, forged).status_code == 410
    assert StatusLink.objects.get(pk=link.pk).used_at is None


def test_a_retry_mints_a_new_link_and_the_old_one_stops_working(client, monkeypatch) -> None:
    """A failed attempt's link is dead once the retry is sent; the retry's link works."""
    from django.core.mail import EmailMultiAlternatives

    case = make_request()
    lookup(client, case.reference)
    notification = links_owed()[0]
    failed: list[str] = []

    def refuse(message: Any) -> None:
        failed.append(message.body)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(ConnectionRefusedError, match="smtp down"):
        notification_send(notification_id=notification.pk)
    monkeypatch.undo()
    first_hash = StatusLink.objects.get(case=case).secret_hash
    first_token = parse_qs(urlsplit(re.search(r"\S+/status/open/\S+", failed[0]).group(0)).query)[
        "t"
    ][0]

    token = send_link(notification)

    assert StatusLink.objects.get(case=case).secret_hash not in ("", first_hash)
    assert use(Client(), first_token).status_code == 410
    assert use(client, token).status_code == 302


# --- The single-use link -----------------------------------------------------------------


def test_the_link_opens_the_tracker_once(client) -> None:
    """The first use shows the tracker; the same link again is the "no longer works" page."""
    case = make_request()
    token = new_link(client, case)

    first = use(client, token)
    assert first.status_code == 302
    tracker = client.get(first["Location"])
    assert tracker.status_code == 200
    assert case.reference in tracker.content.decode()

    again = use(Client(), token)
    assert again.status_code == 410
    assert "This link no longer works" in again.content.decode()
    assert use(client, token).status_code == 410


def test_the_link_works_just_before_24_hours(client) -> None:
    """A link used 23 hours 59 minutes after it was sent still opens the tracker."""
    case = make_request()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = new_link(client, case)
        traveller.shift(timedelta(hours=23, minutes=59))
        assert use(client, token).status_code == 302


def test_the_link_stops_working_after_24_hours(client) -> None:
    """A link used more than 24 hours after it was sent gives the 410 page."""
    case = make_request()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = new_link(client, case)
        traveller.shift(timedelta(hours=24, minutes=1))
        response = use(client, token)
    assert response.status_code == 410
    assert StatusLink.objects.get().used_at is None


def test_an_altered_link_does_not_work_and_does_not_spend_the_real_one(client) -> None:
    """Changing any one character of the token gives 410; the real link still works after."""
    case = make_request()
    token = new_link(client, case)

    for index in (0, 1, len(token) // 2, len(token) - 1):
        response = use(Client(), altered(token, index))
        assert response.status_code == 410, index

    assert use(client, token).status_code == 302


@pytest.mark.parametrize(
    "token", ["", "random", "x" * 80, "eyJpZCI6MSwicyI6InNlY3JldCJ9:1abc:def", "1"]
)
def test_a_made_up_token_does_not_work(client, token: str) -> None:
    """A random or forged token gives the 410 page and opens nothing."""
    make_request()
    response = use(client, token)
    assert response.status_code == 410
    assert client.get("/status/view/").status_code == 410


def test_the_token_in_the_query_string_alone_opens_nothing(client) -> None:
    """Posting to the link's own URL without the token in the body opens nothing: the
    token is read from the form the page posts, never from a URL."""
    case = make_request()
    token = new_link(client, case)
    assert client.post(f"/status/open/?t={token}").status_code == 410
    assert use(client, token).status_code == 302


def test_the_old_link_form_with_the_token_in_the_path_is_gone(client) -> None:
    """No status URL has a token in its path."""
    case = make_request()
    token = new_link(client, case)
    assert client.post(f"/status/open/{token}/").status_code == 404
    assert use(client, token).status_code == 302


def test_a_newer_link_works_alongside_an_older_one(client) -> None:
    """Each link asked for works once, independently of the others."""
    case = make_request()
    first, second = new_link(client, case), new_link(client, case)
    assert first != second
    assert use(Client(), second).status_code == 302
    assert use(Client(), first).status_code == 302
    assert use(Client(), first).status_code == 410


# --- The tracker -------------------------------------------------------------------------


@pytest.fixture
def tracked_case(supervisor, navigator_user) -> tuple[SecondOpinionRequest, datetime]:
    """A case with a navigator, records 2 of 3 received (1 unable), and a booked visit."""
    navigator_user.first_name = "Priya"
    navigator_user.save(update_fields=["first_name"])
    case = make_request(needs_records_help=True)
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    items = list(case.record_items.order_by("pk"))
    assert len(items) >= 3
    RecordItem.objects.filter(pk__in=[items[0].pk, items[1].pk]).update(
        status=RecordItem.State.RECEIVED
    )
    RecordItem.objects.filter(pk=items[2].pk).update(status=RecordItem.State.UNABLE)
    RecordItem.objects.filter(pk__in=[item.pk for item in items[3:]]).update(
        status=RecordItem.State.NOT_NEEDED
    )
    case_transition(case=case, to_status=Status.READY_TO_SCHEDULE, by=navigator_user)
    starts_at = (timezone.localtime() + timedelta(days=3)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    appointment_book(
        case=case,
        starts_at=starts_at,
        specialty="medical",
        clinician="Dr. Helen Park",
        modality="in_person",
        location="Yawkey Center, floor 9",
        by=navigator_user,
    )
    case.refresh_from_db()
    return case, starts_at


def test_the_tracker_shows_the_steps_in_plain_words(client, tracked_case) -> None:
    """Reference, navigator's first name, records, appointment date and place are shown."""
    case, starts_at = tracked_case
    open_tracker(client, case)

    response = client.get("/status/view/")

    page = response.content.decode()
    assert response.status_code == 200
    assert case.reference in page
    assert "Priya is your navigator." in page
    assert "Records 2 of 3 received (1 unable to obtain)" in page
    assert dateformat.format(starts_at, "l, F j, Y") in page
    assert "10:30 AM" in page
    assert "Yawkey Center, floor 9" in page
    assert "I no longer want a second opinion" in page


def test_the_tracker_shows_nothing_clinical_or_identifying(client, tracked_case) -> None:
    """The diagnosis, the birth date and the cancer type never appear on the tracker."""
    case, _starts_at = tracked_case
    open_tracker(client, case)

    page = client.get("/status/view/").content.decode()

    for private in (
        DIAGNOSIS_TEXT,
        "carcinoma",
        "Breast cancer",
        "breast",
        PATIENT_DOB.isoformat(),
        "03/28/1961",
        "March 28, 1961",
        "1961",
        "Lopez",
        "Dr. Helen Park",
    ):
        assert private not in page, private


def test_the_tracker_of_a_new_case_says_what_comes_next(client) -> None:
    """Unassigned and unbooked: the tracker says so, without a navigator name."""
    case = make_request()
    open_tracker(client, case)
    page = client.get("/status/view/").content.decode()
    assert "We are choosing the right navigator for you." in page
    assert "Not booked yet." in page


def test_the_tracker_ends_30_minutes_after_the_link_was_used(client) -> None:
    """Kept in use, the session opened by a link shows the tracker for 30 minutes, then 410."""
    case = make_request()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        open_tracker(client, case)
        for _visit in range(2):
            traveller.shift(timedelta(minutes=10))
            assert client.get("/status/view/").status_code == 200
        traveller.shift(timedelta(minutes=9))
        assert client.get("/status/view/").status_code == 200
        traveller.shift(timedelta(minutes=2))
        assert client.get("/status/view/").status_code == 410


def test_the_tracker_ends_when_the_session_sits_idle(client, settings) -> None:
    """Left idle longer than the session's idle time, the tracker is gone."""
    case = make_request()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        open_tracker(client, case)
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert client.get("/status/view/").status_code == 410


def test_without_a_session_the_tracker_and_withdraw_pages_are_gone(client) -> None:
    """A client that never used a link gets 410 on the tracker and on withdraw, GET or POST."""
    case = make_request()
    open_tracker(client, case)
    stranger = Client()

    assert stranger.get("/status/view/").status_code == 410
    assert stranger.get("/status/withdraw/").status_code == 410
    assert stranger.post("/status/withdraw/").status_code == 410
    case.refresh_from_db()
    assert case.status == Status.NEW


# --- Withdrawing -------------------------------------------------------------------------


@pytest.fixture
def assigned_case(supervisor, navigator_user) -> SecondOpinionRequest:
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    return case


def test_withdraw_asks_for_confirmation_first(client, assigned_case) -> None:
    """GET shows the confirmation with the reference, and changes nothing."""
    open_tracker(client, assigned_case)

    response = client.get("/status/withdraw/")

    page = response.content.decode()
    assert response.status_code == 200
    assert assigned_case.reference in page
    assert "Yes, withdraw my request" in page
    assigned_case.refresh_from_db()
    assert assigned_case.status == Status.ASSIGNED


def test_withdrawing_closes_the_case_and_tells_the_navigator(
    client, assigned_case, navigator_user
) -> None:
    """POST withdraws: a change by nobody on staff, noting the patient; the navigator told."""
    open_tracker(client, assigned_case)

    response = client.post("/status/withdraw/")

    assert response.status_code == 200
    assert "Your request is withdrawn" in response.content.decode()
    assigned_case.refresh_from_db()
    assert assigned_case.status == Status.WITHDRAWN
    assert assigned_case.closed_at is not None
    change = StatusChange.objects.get(case=assigned_case, to_status=Status.WITHDRAWN)
    assert change.changed_by is None
    assert "patient" in change.note.lower()
    told = Notification.objects.filter(case=assigned_case, kind=Notification.Kind.PATIENT_WITHDREW)
    assert [(row.recipient, row.context) for row in told] == [
        (navigator_user.email, {"staff_first_name": navigator_user.first_name})
    ]


def test_a_staff_member_using_a_patients_link_acts_as_themselves(
    client, assigned_case, navigator_user, supervisor
) -> None:
    """Signed in, a staff member who opens a patient's link and withdraws is recorded as
    themselves (status change, audit), never as the patient."""
    from requests.models import AuditEvent

    client.force_login(supervisor)
    open_tracker(client, assigned_case)
    assert client.post("/status/withdraw/").status_code == 200

    change = StatusChange.objects.get(case=assigned_case, to_status=Status.WITHDRAWN)
    assert change.changed_by == supervisor
    assert "staff member" in change.note
    events = AuditEvent.objects.filter(case=assigned_case, actor=supervisor)
    assert set(events.values_list("action", flat=True)) >= {"view_case", "change"}
    assert not AuditEvent.objects.filter(
        case=assigned_case, actor__isnull=True, detail__status=["assigned", "withdrawn"]
    ).exists()


def test_withdrawing_twice_changes_nothing_more(client, assigned_case) -> None:
    """A second POST finds the request closed: no second change, no second email."""
    open_tracker(client, assigned_case)
    client.post("/status/withdraw/")

    again = client.post("/status/withdraw/")

    assert again.status_code == 200
    assert "already closed" in again.content.decode()
    assert StatusChange.objects.filter(to_status=Status.WITHDRAWN).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.PATIENT_WITHDREW).count() == 1
    page = client.get("/status/view/").content.decode()
    assert "This request was withdrawn." in page
    assert "I no longer want a second opinion" not in page


def test_withdrawing_an_unassigned_case_tells_nobody(client) -> None:
    """With no navigator yet, the case is withdrawn and no email is owed about it."""
    case = make_request()
    open_tracker(client, case)
    client.post("/status/withdraw/")
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert not Notification.objects.filter(kind=Notification.Kind.PATIENT_WITHDREW).exists()


# --- Rate limits -------------------------------------------------------------------------


def test_past_the_limit_a_reference_gets_no_more_links_and_the_same_page(client, settings) -> None:
    """Past STATUS_LOOKUPS_PER_HOUR matched lookups for one reference, from any address, no
    link is sent; the page is the same "check your email" (it tells a guesser nothing)."""
    settings.STATUS_LOOKUPS_PER_HOUR = 2
    case = make_request()
    assert lookup(client, case.reference, address="198.51.100.1").status_code == 200
    typed = case.reference.lower().replace("-", " ")
    assert lookup(client, typed, address="198.51.100.2").status_code == 200

    refused = lookup(client, case.reference, address="198.51.100.3")

    assert refused.status_code == 200
    assert "Check your email" in refused.content.decode()
    assert PHONE in refused.content.decode()
    assert len(links_owed()) == 2
    other = make_request()
    assert lookup(client, other.reference, address="198.51.100.3").status_code == 200
    assert len(links_owed()) == 3


def test_wrong_lookups_for_a_reference_do_not_block_the_patient(client, settings) -> None:
    """Many lookups with the right reference but a wrong birth date or email, from many
    addresses, do not count: the patient's right lookup still gets a link."""
    settings.STATUS_LOOKUPS_PER_HOUR = 2
    case = make_request()
    for attempt in range(10):
        wrong = (
            {"date_of_birth": f"19{50 + attempt}-01-01"}
            if attempt % 2
            else {"email": f"attacker{attempt}@example.com"}
        )
        response = lookup(client, case.reference, address=f"203.0.113.{attempt}", **wrong)
        assert response.status_code == 200
    assert links_owed() == []

    assert lookup(client, case.reference, address="198.51.100.1").status_code == 200

    assert [row.case_id for row in links_owed()] == [case.pk]


def test_the_lookup_limit_resets_after_an_hour(client, settings) -> None:
    """The count is per hour: an hour later the reference gets a link again."""
    settings.STATUS_LOOKUPS_PER_HOUR = 1
    case = make_request()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert lookup(client, case.reference, address="198.51.100.1").status_code == 200
        assert lookup(client, case.reference, address="198.51.100.2").status_code == 200
        assert len(links_owed()) == 1
        traveller.shift(timedelta(hours=1, seconds=1))
        assert lookup(client, case.reference, address="198.51.100.3").status_code == 200
        assert len(links_owed()) == 2


@pytest.mark.parametrize("url", ["/status/", "/request/", "/refer/"])
def test_too_many_posts_from_one_address_are_refused(client, settings, url: str) -> None:
    """Past PUBLIC_POSTS_PER_HOUR posts from one address to a form: 429 with the phone."""
    settings.PUBLIC_POSTS_PER_HOUR = 2
    for _attempt in range(2):
        assert client.post(url, {}, REMOTE_ADDR="203.0.113.7").status_code == 400

    refused = client.post(url, {}, REMOTE_ADDR="203.0.113.7")

    assert refused.status_code == 429
    assert PHONE in refused.content.decode()
    assert client.post(url, {}, REMOTE_ADDR="203.0.113.8").status_code == 400
    assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_a_limited_request_form_saves_nothing(client, settings) -> None:
    """A valid request past the limit is refused before anything is saved."""
    settings.PUBLIC_POSTS_PER_HOUR = 1
    assert client.post("/request/", form_data(), REMOTE_ADDR="203.0.113.7").status_code == 302
    assert client.post("/request/", form_data(), REMOTE_ADDR="203.0.113.7").status_code == 429
    assert SecondOpinionRequest.objects.count() == 1


def test_each_form_counts_its_own_posts(client, settings) -> None:
    """Posts to /status/ do not use up the address's posts to /request/."""
    settings.PUBLIC_POSTS_PER_HOUR = 1
    client.post("/status/", {}, REMOTE_ADDR="203.0.113.7")
    assert client.post("/status/", {}, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.post("/request/", {}, REMOTE_ADDR="203.0.113.7").status_code == 400


def request_from(remote: str, forwarded: str | None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/status/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "192.0.2.9, 198.51.100.20", "198.51.100.20"),
        (1, "1.1.1.1, 2.2.2.2 ,198.51.100.20", "198.51.100.20"),
        (1, "198.51.100.20", "198.51.100.20"),
        (1, None, "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (2, "192.0.2.9, 198.51.100.20, 10.0.0.5", "198.51.100.20"),
        (2, "198.51.100.20", "10.0.0.2"),
        (0, "192.0.2.9, 198.51.100.20", "10.0.0.2"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    settings, proxies: int, forwarded: str | None, expected: str
) -> None:
    """With N trusted proxies the Nth X-Forwarded-For address from the right is the client's."""
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request_from("10.0.0.2", forwarded)) == expected


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(client, settings) -> None:
    """Behind one proxy, changing the left-hand X-Forwarded-For entries counts as one client."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.2"]
    settings.PUBLIC_POSTS_PER_HOUR = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    first = client.post("/status/", {}, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.20", **proxy)
    spoofed = client.post("/status/", {}, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.20", **proxy)
    other = client.post("/status/", {}, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.21", **proxy)

    assert (first.status_code, spoofed.status_code, other.status_code) == (400, 429, 400)


def test_a_mail_scanner_fetching_the_link_does_not_use_it_up(client) -> None:
    """GET shows a button that posts the token; only the patient's click uses the link."""
    case = make_request()
    token = new_link(client, case)
    preview = Client().get("/status/open/", {"t": token})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Open my request" in page
    assert 'action="/status/open/"' in page
    assert case.reference not in page
    assert preview["Referrer-Policy"] == "strict-origin"
    assert use(client, token).status_code == 302
