"""Report pages and CSV: who may report on which agencies (the one rule), filters with errors
next to the field, charts through json_script, formula-safe CSV, audited exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.choices import AgencyKind, Role
from cases import reports
from sartcm.models import AuditAction, AuditEvent
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_browser import alert, release_plan
from tests.factories_contacts import default_contact_standards, local_dt, staff_user
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies():  # noqa: ANN201
    return AgencyFactory(short_name="NORTH"), AgencyFactory(short_name="SOUTH")


def url(report: str = "alerts", **params) -> str:  # noqa: ANN003
    from urllib.parse import urlencode

    base = reverse("cases:report", kwargs={"report": report})
    return f"{base}?{urlencode(params)}" if params else base


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "kind", "may", "statewide", "rows"),
    [
        ([Role.ANALYST], AgencyKind.COALITION, True, True, False),
        ([Role.ANALYST], AgencyKind.CORRECTIONS, True, False, False),
        ([Role.SUPERVISOR], AgencyKind.CORRECTIONS, True, False, True),
        ([Role.SUPERVISOR], AgencyKind.COALITION, True, False, True),  # statewide is analysts'
        ([Role.AGENCY_ADMIN], AgencyKind.CORRECTIONS, True, False, True),
        ([Role.CASE_MANAGER], AgencyKind.CORRECTIONS, False, False, False),
        ([Role.VICTIM_ADVOCATE], AgencyKind.COALITION, False, False, False),
    ],
)
def test_who_may_report_on_what(agencies, roles, kind, may, statewide, rows) -> None:  # noqa: ANN001
    agency = AgencyFactory(kind=kind)
    user = staff_user(agency, *roles)
    assert reports.may_report(user) is may
    assert reports.may_export_rows(user) is rows
    expected = set()
    if may:
        expected = {a.pk for a in (*agencies, agency)} if statewide else {agency.pk}
    assert set(reports.reportable_agencies(user).values_list("pk", flat=True)) == expected


def test_deactivated_and_agencyless_users_may_not_report() -> None:
    user = staff_user(AgencyFactory(kind=AgencyKind.COALITION), Role.ANALYST)
    user.is_active = False
    user.save()
    assert not reports.may_report(user)
    loner = get_user_model().objects.create_user("loner")
    assert not reports.may_report(loner) and not reports.reportable_agencies(loner).exists()


# --- pages ------------------------------------------------------------------------------------


def test_reports_are_404_for_roles_without_reports(client, agencies) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.CASE_MANAGER))
    assert client.get(reverse("cases:report-index")).status_code == 404
    assert client.get(url()).status_code == 404
    csv_url = reverse("cases:report-csv", kwargs={"report": "alerts", "table": "alerts"})
    assert client.get(csv_url).status_code == 404


def test_anonymous_is_sent_to_log_in(client) -> None:  # noqa: ANN001
    assert client.get(reverse("cases:report-index")).status_code == 302


def test_unknown_report_is_404(client, agencies) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    assert client.get(url("nothing-here")).status_code == 404


def test_nav_shows_reports_only_to_report_roles(client, agencies) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    assert reverse("cases:report-index") in client.get("/").content.decode()
    otp_login(client, staff_user(agencies[0], Role.CASE_MANAGER))
    assert reverse("cases:report-index") not in client.get("/").content.decode()


def test_index_lists_every_report(client, agencies) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.SUPERVISOR))
    page = client.get(reverse("cases:report-index")).content.decode()
    for definition in reports.REPORTS.values():
        assert reverse("cases:report", kwargs={"report": definition.key}) in page


def test_every_report_renders_with_default_filters(client, agencies) -> None:  # noqa: ANN001
    default_contact_standards()
    CaseFactory(lead_agency=agencies[0])
    otp_login(client, staff_user(agencies[0], Role.SUPERVISOR))
    for key in reports.REPORTS:
        response = client.get(url(key))
        assert response.status_code == 200, key
        assert response.context["form"].is_valid()


def test_agency_analyst_sees_only_own_agency_figures(client, agencies) -> None:  # noqa: ANN001
    north, south = agencies
    for agency in agencies:
        alert(
            CaseFactory(lead_agency=agency), agency, "contact_behind", local_dt(dt.date(2026, 4, 6))
        )
    otp_login(client, staff_user(north, Role.ANALYST))
    response = client.get(url(start="2026-04", end="2026-04"))
    assert [r["agency"] for r in response.context["tables"][0].rows] == ["NORTH"]
    # and asking for the other agency is refused next to the field
    response = client.get(url(agency=south.pk, start="2026-04", end="2026-04"))
    assert response.context["tables"] == []
    form = response.context["form"]
    assert "agency" in form.errors
    page = response.content.decode()
    assert 'aria-invalid="true"' in page and 'id="id_agency-error"' in page


def test_statewide_analyst_sees_every_agency_and_can_pick_one(client, agencies) -> None:  # noqa: ANN001
    north, south = agencies
    for agency in agencies:
        alert(
            CaseFactory(lead_agency=agency), agency, "contact_behind", local_dt(dt.date(2026, 4, 6))
        )
    otp_login(client, staff_user(AgencyFactory(kind=AgencyKind.COALITION), Role.ANALYST))
    both = client.get(url(start="2026-04", end="2026-04")).context["tables"][0].rows
    assert sorted(r["agency"] for r in both) == ["NORTH", "SOUTH"]
    one = client.get(url(agency=south.pk, start="2026-04", end="2026-04")).context["tables"][0]
    assert [r["agency"] for r in one.rows] == ["SOUTH"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-05", "2026-04", "end"), ("2023-01", "2026-04", "end"), ("April", "2026-04", "start")],
)
def test_bad_month_ranges_are_errors_next_to_the_field(client, agencies, start, end, field) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    response = client.get(url(start=start, end=end))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}-error"' in response.content.decode()


def test_charts_come_as_json_script_and_static_js_with_no_inline_script(client, agencies) -> None:  # noqa: ANN001
    alert(
        CaseFactory(lead_agency=agencies[0]),
        agencies[0],
        "contact_behind",
        local_dt(dt.date(2026, 4, 6)),
    )
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    page = client.get(url(start="2026-04", end="2026-04")).content.decode()
    assert '<script id="chart-alerts" type="application/json">' in page
    assert 'data-chart="chart-alerts"' in page and 'role="img"' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/js/reports.js" in page
    # every <script> either loads a file or carries JSON data: nothing inline to execute
    for tag in page.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head
    # the table is the accessible alternative to the chart
    assert "<caption" in page and 'scope="col"' in page


def test_analyst_report_pages_never_show_names_or_case_numbers(client, agencies) -> None:  # noqa: ANN001
    default_contact_standards()
    case = CaseFactory(lead_agency=agencies[0])
    release_plan(case, release_date=dt.date(2026, 4, 20))
    alert(case, agencies[0], "contact_behind", local_dt(dt.date(2026, 4, 6)))
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    for key in reports.REPORTS:
        page = client.get(url(key, start="2026-03", end="2026-04")).content.decode()
        assert case.offender.last_name not in page and case.case_number not in page
        assert "Export case-level rows" not in page  # no row export for analysts


def test_report_page_query_count_does_not_grow_with_cases(client, agencies) -> None:  # noqa: ANN001
    default_contact_standards()
    otp_login(client, staff_user(agencies[0], Role.SUPERVISOR))

    def count_for(n: int) -> int:
        for _ in range(n):
            case = CaseFactory(lead_agency=agencies[0])
            alert(case, agencies[0], "contact_behind", local_dt(dt.date(2026, 4, 6)))
            release_plan(case, release_date=dt.date(2026, 4, 20))
        total = 0
        for key in reports.REPORTS:
            client.get(url(key, start="2026-03", end="2026-04"))
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url(key, start="2026-03", end="2026-04")).status_code == 200
            total += len(ctx)
        return total

    assert count_for(2) == count_for(10)


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("NORTH", "NORTH"),
        ("a=b", "a=b"),
        (-3, -3),  # numbers we computed pass unchanged
        (12.5, 12.5),
        (None, ""),
        (True, "yes"),
    ],
)
def test_csv_cells_are_safe_against_formula_injection(value, expected) -> None:  # noqa: ANN001
    assert reports.csv_safe(value) == expected


def test_table_csv_download_is_safe_and_audited(client) -> None:  # noqa: ANN001
    # given an agency whose short name is a formula (the kind of text a user can type)
    agency = AgencyFactory(short_name="=cmd|' /C calc'!A0")
    alert(CaseFactory(lead_agency=agency), agency, "contact_behind", local_dt(dt.date(2026, 4, 6)))
    user = staff_user(agency, Role.ANALYST)
    otp_login(client, user)
    csv_url = reverse("cases:report-csv", kwargs={"report": "alerts", "table": "alerts"})
    response = client.get(csv_url, {"start": "2026-04", "end": "2026-04"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Month raised", "Agency", "Rule"]
    assert rows[1][:4] == ["2026-04", "'=cmd|' /C calc'!A0", "Contact standard behind", "1"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, user=user)
    assert event.object_type == "cases.report" and "1 row" in event.detail


def test_csv_of_an_unknown_table_is_404(client, agencies) -> None:  # noqa: ANN001
    otp_login(client, staff_user(agencies[0], Role.ANALYST))
    csv_url = reverse("cases:report-csv", kwargs={"report": "alerts", "table": "nope"})
    assert client.get(csv_url).status_code == 404
