"""The target sweep: states moved on time, each alert once, even with two sweeps at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from navigators.services import case_assign
from requests.choices import Status, TargetState
from requests.emails import notification_message
from requests.models import (
    Appointment,
    Notification,
    RecordItem,
    SecondOpinionRequest,
    TargetAlert,
)
from requests.services import appointment_cancel, target_sweep
from requests.targets import target_date_for, target_deadline
from tests.factories import DIAGNOSIS_TEXT, book_appointment, make_request

pytestmark = pytest.mark.django_db


def submitted_days_ago(case: SecondOpinionRequest, days: float) -> SecondOpinionRequest:
    """Move a request's submission back, as the issue's acceptance check does."""
    submitted = timezone.now() - timedelta(days=days)
    SecondOpinionRequest.objects.filter(pk=case.pk).update(
        submitted_at=submitted, target_date=target_date_for(submitted)
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def assigned_case(navigator_user, supervisor) -> SecondOpinionRequest:
    case = make_request()
    case_assign(case=case, navigator=navigator_user.navigator, by=supervisor)
    case.refresh_from_db()
    return case


def alert_emails(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_six_days_old_is_at_risk_and_alerts_its_navigator_once(assigned_case, supervisor) -> None:
    """The 6-day-old case is at risk after one sweep; its navigator has exactly one alert."""
    submitted_days_ago(assigned_case, 6)
    target_sweep()
    target_sweep()
    assigned_case.refresh_from_db()
    assert assigned_case.target_state == TargetState.AT_RISK
    assert alert_emails("alert_at_risk") == ["navigator@example.org"]
    assert TargetAlert.objects.filter(case=assigned_case).count() == 1


def test_an_alert_email_is_owed_pending_with_what_its_message_needs(assigned_case) -> None:
    """The row the sweep writes: pending, in English, with the name, target and hours left."""
    submitted_days_ago(assigned_case, 6)
    with time_machine.travel(timezone.now(), tick=False):
        target_sweep()
        alert = Notification.objects.get(kind="alert_at_risk")
        deadline = target_deadline(assigned_case.target_date)
        hours_left = int((deadline - timezone.now()).total_seconds() // 3600)

    assert alert.case == assigned_case
    assert alert.dedupe_key.startswith("alert:")
    assert (alert.language, alert.attempts, alert.last_error) == ("en", 0, "")
    assert alert.context == {
        "staff_first_name": "Navigator",
        "target_date": assigned_case.target_date.isoformat(),
        "hours_left": hours_left,
    }
    assert alert.state == Notification.State.PENDING  # queued once the sweep commits


def test_eight_days_old_is_overdue_and_alerts_navigator_and_supervisors_once(
    assigned_case, supervisor
) -> None:
    submitted_days_ago(assigned_case, 8)
    for _sweep in range(3):
        target_sweep()
    assigned_case.refresh_from_db()
    assert assigned_case.target_state == TargetState.OVERDUE
    assert alert_emails("alert_overdue") == ["navigator@example.org", "supervisor@example.org"]


def test_at_risk_then_overdue_alerts_once_per_level(assigned_case, supervisor) -> None:
    submitted_days_ago(assigned_case, 6)
    target_sweep()
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        target_sweep()
        target_sweep()
    levels = sorted(TargetAlert.objects.values_list("level", flat=True))
    assert levels == ["at_risk", "overdue"]
    assert len(alert_emails("alert_at_risk")) == 1
    assert len(alert_emails("alert_overdue")) == 2


def test_unassigned_at_risk_goes_to_supervisors(supervisor) -> None:
    case = submitted_days_ago(make_request(), 6)
    target_sweep()
    case.refresh_from_db()
    assert case.target_state == TargetState.AT_RISK
    assert alert_emails("alert_at_risk") == ["supervisor@example.org"]


def test_fresh_case_is_on_track_and_quiet(assigned_case, supervisor) -> None:
    result = target_sweep()
    assigned_case.refresh_from_db()
    assert assigned_case.target_state == TargetState.ON_TRACK
    assert result.checked == 0, "a case far from its target is not even read"
    assert not Notification.objects.filter(kind__startswith="alert").exists()


def test_still_unassigned_after_four_hours_alerts_supervisors_once(supervisor) -> None:
    case = make_request()
    with time_machine.travel(case.submitted_at + timedelta(hours=3, minutes=59)):
        target_sweep()
    assert alert_emails("alert_unassigned") == []
    with time_machine.travel(case.submitted_at + timedelta(hours=4, minutes=1)):
        target_sweep()
        target_sweep()
    assert alert_emails("alert_unassigned") == ["supervisor@example.org"]


def test_met_and_closed_cases_are_left_alone(assigned_case, supervisor) -> None:
    submitted_days_ago(assigned_case, 9)
    SecondOpinionRequest.objects.filter(pk=assigned_case.pk).update(target_state=TargetState.MET)
    withdrawn = submitted_days_ago(make_request(), 9)
    SecondOpinionRequest.objects.filter(pk=withdrawn.pk).update(status=Status.WITHDRAWN)
    target_sweep()
    assigned_case.refresh_from_db()
    withdrawn.refresh_from_db()
    assert assigned_case.target_state == TargetState.MET
    assert withdrawn.target_state == TargetState.ON_TRACK
    assert not TargetAlert.objects.exists()


def test_appointment_after_the_target_becomes_missed(assigned_case, supervisor) -> None:
    case = submitted_days_ago(assigned_case, 6)
    late = timezone.now() + timedelta(days=5)
    Appointment.objects.create(
        case=case,
        starts_at=late,
        specialty="medical",
        clinician="Dr. Park",
        location="Building B",
    )
    SecondOpinionRequest.objects.filter(pk=case.pk).update(first_appointment_at=late)
    target_sweep()
    case.refresh_from_db()
    assert case.target_state == TargetState.AT_RISK
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        target_sweep()
    case.refresh_from_db()
    assert case.target_state == TargetState.MISSED


def test_plan_overdue_alerts_the_navigator_once(assigned_case) -> None:
    SecondOpinionRequest.objects.filter(pk=assigned_case.pk).update(
        status=Status.SEEN,
        seen_at=timezone.now() - timedelta(days=9),
        plan_target_date=timezone.localdate() - timedelta(days=2),
        plan_target_state=TargetState.ON_TRACK,
        target_state=TargetState.MET,
    )
    target_sweep()
    target_sweep()
    assigned_case.refresh_from_db()
    assert assigned_case.plan_target_state == TargetState.OVERDUE
    assert alert_emails("alert_plan_overdue") == ["navigator@example.org"]


def test_alert_emails_carry_reference_and_link_only(
    assigned_case, supervisor, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    submitted_days_ago(assigned_case, 8)
    with django_capture_on_commit_callbacks(execute=True):
        target_sweep()
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert assigned_case.reference in message.subject
        assert f"/admin/requests/secondopinionrequest/{assigned_case.pk}/change/" in message.body
        for private in ("Maria", "Lopez", "1961", "carcinoma", "Boston"):
            assert private not in message.body
            assert private not in message.subject


def test_the_command_runs_the_same_sweep(assigned_case, supervisor, capsys) -> None:
    submitted_days_ago(assigned_case, 6)
    call_command("sweep_targets")
    assert "at_risk" in capsys.readouterr().out
    assigned_case.refresh_from_db()
    assert assigned_case.target_state == TargetState.AT_RISK


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_alert_each_case_exactly_once(
    require_postgres, navigator_user, supervisor
) -> None:
    """Two beat processes by mistake: no duplicate alert and no missed one (PostgreSQL)."""
    for _ in range(60):
        submitted_days_ago(make_request(), 8)  # Some are assigned automatically on commit.
    with_navigator = SecondOpinionRequest.objects.filter(navigator__isnull=False).count()
    assert 0 < with_navigator < 60
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            target_sweep(batch_size=7)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TargetAlert.objects.filter(level="overdue").count() == 60
    # Each case alerts the supervisor, plus its navigator when it has one.
    assert Notification.objects.filter(kind="alert_overdue").count() == 60 + with_navigator
    assert set(SecondOpinionRequest.objects.values_list("target_state", flat=True)) == {"overdue"}


def test_the_sweep_reads_through_its_partial_index(require_postgres) -> None:
    """The candidate scan can use request_sweep_target_idx (cost grows with open cases only)."""
    make_request()
    horizon = timezone.localdate() + timedelta(days=2)
    from requests.models import OPEN_STATUSES, SWEPT_TARGET_STATES

    queryset = SecondOpinionRequest.objects.filter(
        status__in=OPEN_STATUSES, target_state__in=SWEPT_TARGET_STATES, target_date__lte=horizon
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "request_sweep_target_idx" in plan


# --- Records at risk: a visit soon with records still outstanding ----------------------


def visit_with_items(
    case: SecondOpinionRequest, navigator_user, *, visit_in: timedelta, item_states: list[str]
) -> Appointment:
    """Book the case's visit `visit_in` from now through the service, with record items."""
    for state in item_states:
        RecordItem.objects.create(
            case=case, kind=RecordItem.Kind.PATHOLOGY_REPORT, facility="Mercy General", status=state
        )
    return book_appointment(case, navigator_user, starts_at=timezone.now() + visit_in)


def test_a_visit_soon_with_records_outstanding_alerts_navigator_and_records_staff_once(
    assigned_case, navigator_user, records_user, supervisor
) -> None:
    """A booked visit within VISIT_RECORDS_WARNING_DAYS with an item still requested: one
    records-at-risk alert, to the navigator and each records staff member, never again."""
    visit_with_items(
        assigned_case,
        navigator_user,
        visit_in=timedelta(days=1),
        item_states=[RecordItem.State.REQUESTED, RecordItem.State.RECEIVED],
    )

    target_sweep()
    target_sweep()

    assert alert_emails("alert_records_at_risk") == [
        "navigator@example.org",
        "records@example.org",
    ]
    assert (
        TargetAlert.objects.filter(
            case=assigned_case, level=TargetAlert.Level.RECORDS_AT_RISK
        ).count()
        == 1
    )
    [alert] = Notification.objects.filter(
        kind="alert_records_at_risk", recipient="records@example.org"
    )
    assert alert.context["records_outstanding"] == 1
    assert alert.context["records_url"].endswith(f"?q={assigned_case.reference}")


def test_the_records_alert_names_the_visit_day_and_nothing_private(
    assigned_case, navigator_user, records_user
) -> None:
    visit = visit_with_items(
        assigned_case,
        navigator_user,
        visit_in=timedelta(hours=30),
        item_states=[RecordItem.State.NEEDED, RecordItem.State.NEEDED],
    )
    target_sweep()
    [alert] = Notification.objects.filter(
        kind="alert_records_at_risk", recipient="records@example.org"
    )
    message = notification_message(alert)
    assert assigned_case.reference in message.subject
    assert timezone.localdate(visit.starts_at).isoformat() in message.body
    assert "2 record item(s) still needed or requested" in message.body
    for text in (message.subject, message.body, message.alternatives[0][0]):
        for private in ("Maria", "Lopez", DIAGNOSIS_TEXT, "Mercy General", "Dr. Helen Park"):
            assert private not in text, private


@pytest.mark.parametrize(
    ("visit_in", "item_states", "cancelled"),
    [
        (timedelta(days=3), [RecordItem.State.NEEDED], False),  # further than the warning
        (timedelta(days=1), [RecordItem.State.RECEIVED, RecordItem.State.NOT_NEEDED], False),
        (timedelta(days=1), [RecordItem.State.UNABLE], False),
        (timedelta(days=1), [], False),
        (timedelta(days=1), [RecordItem.State.NEEDED], True),  # the visit was cancelled
    ],
)
def test_no_records_alert_for_a_visit_further_away_or_with_records_complete(
    assigned_case, navigator_user, records_user, visit_in, item_states, cancelled
) -> None:
    appointment = visit_with_items(
        assigned_case, navigator_user, visit_in=visit_in, item_states=item_states
    )
    if cancelled:
        appointment_cancel(appointment=appointment, by=navigator_user)
    target_sweep()
    assert alert_emails("alert_records_at_risk") == []
    assert not TargetAlert.objects.filter(level=TargetAlert.Level.RECORDS_AT_RISK).exists()


def test_the_records_alert_follows_the_warning_setting(
    assigned_case, navigator_user, records_user, settings
) -> None:
    settings.VISIT_RECORDS_WARNING_DAYS = 4
    visit_with_items(
        assigned_case,
        navigator_user,
        visit_in=timedelta(days=3),
        item_states=[RecordItem.State.NEEDED],
    )
    target_sweep()
    assert alert_emails("alert_records_at_risk") == [
        "navigator@example.org",
        "records@example.org",
    ]


def test_the_records_alert_skips_a_closed_case(assigned_case, navigator_user, records_user) -> None:
    visit_with_items(
        assigned_case, navigator_user, visit_in=timedelta(days=1), item_states=["needed"]
    )
    SecondOpinionRequest.objects.filter(pk=assigned_case.pk).update(status=Status.WITHDRAWN)
    target_sweep()
    assert alert_emails("alert_records_at_risk") == []
