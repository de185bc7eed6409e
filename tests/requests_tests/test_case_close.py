"""Withdraw and decline, confirmed with a reason on their own page, and reopen by a supervisor
(services.closing, admin:case_close and admin:case_reopen)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from requests.choices import CloseReason, Status, TargetState
from requests.emails import notification_message
from requests.models import (
    Appointment,
    AuditEvent,
    Notification,
    ReferringProvider,
    SecondOpinionRequest,
    StatusChange,
)
from requests.services import case_close, case_reopen
from tests.factories import DIAGNOSIS_TEXT, PATIENT_DOB, book_appointment, client_for, make_request

pytestmark = pytest.mark.django_db


def case_in(status: str, navigator_user: Any, **fields: Any) -> SecondOpinionRequest:
    """Return a case of the navigator in `status`, set directly (arrangement only)."""
    case = make_request(**fields)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        status=status, navigator=navigator_user.navigator, assigned_at=timezone.now()
    )
    case.refresh_from_db()
    return case


def referred(case: SecondOpinionRequest) -> SecondOpinionRequest:
    provider = ReferringProvider.objects.create(
        npi="1234567893",
        name="Dr. Amelia Grant",
        practice="Grant Family Medicine",
        phone="617-555-0134",
        email="grant@example.org",
    )
    SecondOpinionRequest.objects.filter(pk=case.pk).update(referring_provider=provider)
    case.refresh_from_db()
    return case


def close_url(case: SecondOpinionRequest, move: str) -> str:
    return reverse("admin:case_close", args=[case.pk, move])


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def closing_emails(case: SecondOpinionRequest) -> list[Notification]:
    closing = Q(kind=Notification.Kind.CASE_CLOSED) | Q(
        kind=Notification.Kind.REFERRER_UPDATE, context__event="closed"
    )
    return list(Notification.objects.filter(closing, case=case).order_by("kind"))


# --- The close page says what will follow --------------------------------------------------


def test_the_close_page_lists_who_is_emailed_and_what_is_cancelled(navigator_user) -> None:
    """The patient by first name, the referring provider by role, and each booked visit."""
    case = referred(case_in(Status.GATHERING_RECORDS, navigator_user))
    book_appointment(case, navigator_user)
    Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=5),
        specialty=Appointment.Specialty.SURGICAL,
        clinician="Dr. Omar Haddad",
        location="Yawkey Center, floor 8",
    )

    response = client_for(navigator_user).get(close_url(case, "withdraw"))

    assert response.status_code == 200
    page = text_of(response)
    assert "What will follow" in page
    assert "An email to the patient (Maria)" in page
    assert "An email to the referring provider&#x27;s office, saying" in page
    assert "grant@example.org" not in page
    assert "maria.lopez@example.com" not in page
    assert "These 2 booked appointments are cancelled" in page
    assert "Dr. Helen Park" in page
    assert "Dr. Omar Haddad" in page


def test_the_close_page_says_when_nothing_is_cancelled_or_emailed(navigator_user) -> None:
    case = case_in(Status.ASSIGNED, navigator_user, email="")
    page = text_of(client_for(navigator_user).get(close_url(case, "decline")))
    assert "No booked appointment to cancel." in page
    assert "Nobody is emailed" in page
    assert str(CloseReason.NOT_APPROPRIATE.label) in page
    assert str(CloseReason.PATIENT_ASKED.label) not in page  # a withdrawal's, not a decline's


def test_an_unknown_move_is_not_found(navigator_user) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    response = client_for(navigator_user).get(close_url(case, "archive"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["other_navigator_user", "records_user", "advocate_user"])
def test_the_close_page_is_refused_to_those_who_do_not_move_the_case(
    staff: dict[str, Any], role: str
) -> None:
    case = case_in(Status.ASSIGNED, staff["navigator_user"])
    client = client_for(staff[role])
    assert client.get(close_url(case, "withdraw")).status_code == 403
    response = client.post(close_url(case, "withdraw"), {"reason": "", "note": ""})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED


def test_a_closed_case_sends_the_close_page_back_with_a_message(navigator_user) -> None:
    case = case_in(Status.WITHDRAWN, navigator_user)
    response = client_for(navigator_user).get(close_url(case, "decline"), follow=True)
    assert "The case is already withdrawn." in text_of(response)


def test_the_close_page_stays_within_its_queries(
    navigator_user, django_assert_max_num_queries
) -> None:
    """At most 15 queries, the same with one booked visit or six."""
    few = case_in(Status.ASSIGNED, navigator_user)
    book_appointment(few, navigator_user)
    many = case_in(Status.ASSIGNED, navigator_user)
    for day in range(6):
        Appointment.objects.create(
            case=many,
            starts_at=timezone.now() + timedelta(days=day + 1),
            specialty=Appointment.Specialty.MEDICAL,
            clinician="Dr. Helen Park",
        )
    client = client_for(navigator_user)
    client.get(close_url(few, "withdraw"))  # the session's first page reads the user once
    counts = []
    for case in (few, many):
        with django_assert_max_num_queries(15) as captured:
            assert client.get(close_url(case, "withdraw")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- Declining and withdrawing -----------------------------------------------------------


def test_declining_without_a_reason_is_refused_next_to_the_field(navigator_user) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)

    response = client_for(navigator_user).post(
        close_url(case, "decline"), {"reason": "", "note": "Not for us."}
    )

    assert response.status_code == 200
    page = text_of(response)
    error = re.search(r'<ul class="errorlist" id="id_reason_error">(.*?)</ul>', page)
    assert error is not None
    assert "Choose the reason for declining the case." in error[1]
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert closing_emails(case) == []


def test_the_service_refuses_a_decline_without_a_reason(navigator_user) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    with pytest.raises(ValidationError) as refused:
        case_close(case=case, move="decline", reason="", note="x", by=navigator_user)
    assert refused.value.code == "reason_needed"
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED


@pytest.mark.parametrize(
    ("move", "reason", "code"),
    [
        ("withdraw", CloseReason.OTHER, "note_needed"),
        ("withdraw", CloseReason.NOT_APPROPRIATE, "invalid_reason"),
        ("archive", "", "unknown_move"),
    ],
)
def test_the_service_refuses_a_reason_that_does_not_fit(
    navigator_user, move: str, reason: str, code: str
) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    with pytest.raises(ValidationError) as refused:
        case_close(case=case, move=move, reason=reason, note=" ", by=navigator_user)
    assert refused.value.code == code
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED


def test_withdrawing_cancels_the_visits_records_the_reason_and_emails_once(
    navigator_user,
) -> None:
    """Confirmed on the page: every booked visit cancelled, the change recorded with its
    reason, one email to the patient and one update to the referring provider, all audited;
    a second post changes and sends nothing more."""
    case = referred(case_in(Status.GATHERING_RECORDS, navigator_user))
    first = book_appointment(case, navigator_user)
    second = Appointment.objects.create(
        case=case,
        starts_at=timezone.now() + timedelta(days=5),
        specialty=Appointment.Specialty.SURGICAL,
        clinician="Dr. Omar Haddad",
    )
    client = client_for(navigator_user)
    data = {"reason": CloseReason.CARE_ELSEWHERE, "note": "Closer to home."}

    response = client.post(close_url(case, "withdraw"), data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert case.closed_at is not None
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.state, second.state} == {Appointment.State.CANCELLED}
    change = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert (change.to_status, change.reason) == (Status.WITHDRAWN, CloseReason.CARE_ELSEWHERE)
    assert change.note == "The patient chose care elsewhere. Closer to home."
    assert change.changed_by == navigator_user
    emails = closing_emails(case)
    assert [(e.kind, e.recipient) for e in emails] == [
        (Notification.Kind.CASE_CLOSED, "maria.lopez@example.com"),
        (Notification.Kind.REFERRER_UPDATE, "grant@example.org"),
    ]
    audited = AuditEvent.objects.filter(case=case, actor=navigator_user)
    assert audited.filter(detail__status=[Status.SCHEDULED, Status.READY_TO_SCHEDULE]).exists()
    assert audited.filter(
        detail__status=[Status.READY_TO_SCHEDULE, Status.WITHDRAWN],
        detail__reason=CloseReason.CARE_ELSEWHERE,
    ).exists()
    assert audited.filter(detail__state=["booked", "cancelled"]).count() == 2

    again = client.post(close_url(case, "withdraw"), data, follow=True)
    assert "The case is already withdrawn." in text_of(again)
    assert len(closing_emails(case)) == 2


def test_declining_keeps_the_reason_on_the_case(navigator_user) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    case_close(
        case=case,
        move="decline",
        reason=CloseReason.AGE,
        note="Referred to the pediatric program.",
        by=navigator_user,
    )
    case.refresh_from_db()
    assert case.status == Status.DECLINED
    assert case.decline_reason.startswith("The patient is under 18")
    assert not case.is_open


def test_the_patient_email_says_closed_and_nothing_private(navigator_user) -> None:
    """No name beyond the greeting, no reason, no note, no clinical detail."""
    case = case_in(Status.ASSIGNED, navigator_user)
    case_close(
        case=case,
        move="decline",
        reason=CloseReason.NOT_OFFERED,
        note="Needs proton therapy, not offered.",
        by=navigator_user,
    )
    [email] = Notification.objects.filter(case=case, kind=Notification.Kind.CASE_CLOSED)
    message = notification_message(email)
    html = message.alternatives[0][0]
    assert case.reference in message.subject
    assert "not able to offer a second opinion" in message.body
    for text in (message.subject, message.body, html):
        for private in (
            "Maria",
            "Lopez",
            "proton",
            str(CloseReason.NOT_OFFERED.label),
            DIAGNOSIS_TEXT,
            PATIENT_DOB.isoformat(),
        ):
            assert private not in text, private


# --- The generic move refuses the terminal ones -----------------------------------------


@pytest.mark.parametrize("to_status", [Status.WITHDRAWN, Status.DECLINED])
def test_the_transition_view_refuses_withdraw_and_decline(navigator_user, to_status: str) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    response = client_for(navigator_user).post(
        reverse("admin:case_transition", args=[case.pk]),
        {"to_status": to_status, "note": "One click."},
        follow=True,
    )
    assert "Withdraw or decline the case from its own page, with a reason." in text_of(response)
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED


# --- Reopening ----------------------------------------------------------------------------


def test_a_supervisor_reopens_a_case_to_its_earlier_status(navigator_user, supervisor) -> None:
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    case_close(case=case, move="withdraw", reason="", note="", by=navigator_user)

    response = client_for(supervisor).post(
        reverse("admin:case_reopen", args=[case.pk]), {"note": "The patient called back."}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.GATHERING_RECORDS
    assert case.closed_at is None
    change = StatusChange.objects.filter(case=case).latest("changed_at", "pk")
    assert (change.from_status, change.to_status) == (Status.WITHDRAWN, Status.GATHERING_RECORDS)
    assert change.note == "The patient called back."
    assert AuditEvent.objects.filter(
        case=case,
        actor=supervisor,
        detail__status=[Status.WITHDRAWN, Status.GATHERING_RECORDS],
        detail__reopened=True,
    ).exists()


def test_a_case_closed_while_scheduled_reopens_ready_to_be_booked(
    navigator_user, supervisor
) -> None:
    """Its visits stay cancelled, so it comes back to be booked again."""
    case = case_in(Status.ASSIGNED, navigator_user)
    book_appointment(case, navigator_user)
    case_close(case=case, move="decline", reason=CloseReason.DUPLICATE, note="", by=navigator_user)
    case_reopen(case=case, note="Not a duplicate after all.", by=supervisor)
    case.refresh_from_db()
    assert case.status == Status.READY_TO_SCHEDULE
    assert case.decline_reason == ""
    assert case.target_state in {TargetState.ON_TRACK, TargetState.AT_RISK}


def test_reopening_recomputes_the_target_state(navigator_user, supervisor) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    case_close(case=case, move="withdraw", reason="", note="", by=navigator_user)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        target_date=timezone.localdate() - timedelta(days=2)
    )
    case_reopen(case=case, note="Asked again.", by=supervisor)
    case.refresh_from_db()
    assert case.target_state == TargetState.OVERDUE


def test_a_navigator_cannot_reopen(navigator_user) -> None:
    case = case_in(Status.GATHERING_RECORDS, navigator_user)
    case_close(case=case, move="withdraw", reason="", note="", by=navigator_user)
    response = client_for(navigator_user).post(
        reverse("admin:case_reopen", args=[case.pk]), {"note": "Mine again."}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


def test_reopening_needs_a_note(navigator_user, supervisor) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    case_close(case=case, move="withdraw", reason="", note="", by=navigator_user)
    response = client_for(supervisor).post(
        reverse("admin:case_reopen", args=[case.pk]), {"note": " "}, follow=True
    )
    assert "Say why the case is reopened." in text_of(response)
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.CLOSED])
def test_only_a_withdrawn_or_declined_case_is_reopened(
    navigator_user, supervisor, status: str
) -> None:
    case = case_in(status, navigator_user)
    with pytest.raises(ValidationError) as refused:
        case_reopen(case=case, note="Why not.", by=supervisor)
    assert refused.value.code == "not_reopenable"


def test_the_case_page_offers_reopen_to_a_supervisor_only(navigator_user, supervisor) -> None:
    case = case_in(Status.ASSIGNED, navigator_user)
    case_close(case=case, move="withdraw", reason="", note="", by=navigator_user)
    url = reverse("admin:requests_secondopinionrequest_change", args=[case.pk])
    reopen = reverse("admin:case_reopen", args=[case.pk])
    assert reopen in client_for(supervisor).get(url).content.decode()
    assert reopen not in client_for(navigator_user).get(url).content.decode()
