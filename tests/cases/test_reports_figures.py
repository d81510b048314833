"""The figures of each report: per agency and month, from known data."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import reports
from cases.models import AddressVerification, RegistrationEvent
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_browser import alert, board_decision, level_change, registration, release_plan
from tests.factories_contacts import SupervisionContactFactory, default_contact_standards, local_dt

pytestmark = pytest.mark.django_db


def rows(table_list: list[reports.Table], key: str) -> list[dict]:
    return next(t for t in table_list if t.key == key).rows


def filters(agencies, start: dt.date, end: dt.date) -> reports.Filters:  # noqa: ANN001
    return reports.Filters(tuple(a.pk for a in agencies), start, end)


# --- months ---------------------------------------------------------------------------------


def test_month_helpers() -> None:
    assert reports.month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert reports.add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert reports.add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert reports.months_between(dt.date(2025, 11, 1), dt.date(2026, 2, 1)) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


# --- contact compliance ---------------------------------------------------------------------


def test_contact_compliance_share_per_requirement_and_month() -> None:
    # given two moderate cases supervised for 200 days: one seen today for every requirement,
    # one never seen; and a case of another agency
    default_contact_standards()
    today = timezone.localdate()
    agency = AgencyFactory(short_name="DIST1")
    start = today - timedelta(days=200)
    seen = CaseFactory(lead_agency=agency, supervision_start=start)
    for kind in ("office", "home_visit", "treatment_collateral", "employment_verification"):
        SupervisionContactFactory(case=seen, contact_type=kind, contact_at=timezone.now())
    CaseFactory(lead_agency=agency, supervision_start=start)
    CaseFactory(supervision_start=start)  # another agency: not counted
    this_month = today.replace(day=1)
    last_month = reports.add_months(this_month, -1)
    # when the report covers last month and this month
    table = reports.contact_compliance(filters([agency], last_month, this_month))[0]
    got = {
        (r["month"], r["requirement"]): (r["cases"], r["compliant"], r["share"]) for r in table.rows
    }
    # then this month half the cases are compliant with each requirement; last month none was
    # (the contacts came later)
    this, last = this_month.strftime("%Y-%m"), last_month.strftime("%Y-%m")
    assert got[(this, "Face-to-face contact")] == (2, 1, 50.0)
    assert got[(this, "Home visit")] == (2, 1, 50.0)
    assert got[(last, "Face-to-face contact")] == (2, 0, 0.0)
    assert {r["agency"] for r in table.rows} == {"DIST1"}
    # and the chart has one series per requirement over both months
    chart = table.chart
    assert chart["labels"] == [last, this]
    assert chart["datasets"][0] == {"label": "Face-to-face contact", "data": [0.0, 50.0]}


def test_contact_compliance_of_a_future_month_is_empty() -> None:
    default_contact_standards()
    agency = AgencyFactory()
    CaseFactory(lead_agency=agency)
    future = reports.add_months(timezone.localdate().replace(day=1), 2)
    assert reports.contact_compliance(filters([agency], future, future))[0].rows == []


# --- registration ---------------------------------------------------------------------------


def test_registration_status_now_and_monthly_activity() -> None:
    registry = AgencyFactory(short_name="SHERIFF")
    statuses = ["compliant", "compliant", "due", "non_compliant", "absconder_review", "ended"]
    records = [
        registration(CaseFactory(), registry, dt.date(2026, 12, 1), status=s) for s in statuses
    ]
    registration(CaseFactory(), AgencyFactory(), None)  # another agency
    first = records[0]
    for day, result in ((dt.date(2026, 2, 3), "verified"), (dt.date(2026, 2, 9), "vacant")):
        AddressVerification.objects.create(
            registration=first,
            case=first.case,
            verified_on=day,
            address="1 Fictional Road",
            result=result,
        )
    RegistrationEvent.objects.create(
        registration=first,
        case=first.case,
        kind="residence",
        changed_on=dt.date(2026, 3, 1),
        reported_on=dt.date(2026, 3, 9),
        late=True,
    )
    tables = reports.registration_compliance(
        filters([registry], dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    )
    status = rows(tables, "registration-status")
    assert status == [
        {
            "agency": "SHERIFF",
            "total": 5,
            "compliant": 2,
            "due": 1,
            "non_compliant": 1,
            "absconder_review": 1,
            "absconded": 0,
            "share": 40.0,
        }
    ]
    activity = rows(tables, "registration-activity")
    assert activity == [
        {
            "month": "2026-02",
            "agency": "SHERIFF",
            "verifications": 2,
            "failed": 1,
            "late_updates": 0,
            "failed_share": 50.0,
        },
        {
            "month": "2026-03",
            "agency": "SHERIFF",
            "verifications": 0,
            "failed": 0,
            "late_updates": 1,
            "failed_share": None,
        },
    ]


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_by_rule_with_median_hours_to_resolve() -> None:
    agency = AgencyFactory(short_name="DOC")
    case = CaseFactory(lead_agency=agency)
    raised = local_dt(dt.date(2026, 4, 6), 9)
    alert(case, agency, "contact_behind", raised, resolved_at=raised + timedelta(hours=2))
    alert(case, agency, "contact_behind", raised + timedelta(minutes=1),
          resolved_at=raised + timedelta(hours=4, minutes=1))  # fmt: skip
    alert(case, agency, "contact_behind", raised + timedelta(minutes=2))  # still open
    alert(case, agency, "registration_overdue", local_dt(dt.date(2026, 5, 2)))
    alert(case, AgencyFactory(), "contact_behind", raised)  # another agency
    alert(case, agency, "contact_behind", local_dt(dt.date(2026, 7, 1)))  # outside the months
    table = reports.alerts_by_rule(filters([agency], dt.date(2026, 4, 1), dt.date(2026, 5, 1)))[0]
    assert table.rows == [
        {
            "month": "2026-04",
            "agency": "DOC",
            "rule": "Contact standard behind",
            "raised": 3,
            "resolved": 2,
            "open": 1,
            "median_hours": 3.0,
        },
        {
            "month": "2026-05",
            "agency": "DOC",
            "rule": "Registration verification overdue",
            "raised": 1,
            "resolved": 0,
            "open": 1,
            "median_hours": None,
        },
    ]
    assert table.chart["labels"] == ["Contact standard behind", "Registration verification overdue"]
    assert table.chart["datasets"][0]["data"] == [3.0, None]


# --- release plans --------------------------------------------------------------------------


def test_release_plans_decided_before_the_release_date() -> None:
    agency = AgencyFactory(short_name="DOC")
    board = AgencyFactory()
    in_time = release_plan(CaseFactory(lead_agency=agency), "approved", dt.date(2026, 6, 20))
    board_decision(in_time, board, dt.date(2026, 6, 1))
    late = release_plan(CaseFactory(lead_agency=agency), "approved", dt.date(2026, 6, 10))
    board_decision(late, board, dt.date(2026, 6, 10))  # on the day: not before
    release_plan(CaseFactory(lead_agency=agency), "submitted", dt.date(2026, 6, 25))  # undecided
    release_plan(CaseFactory(lead_agency=agency), "draft", dt.date(2026, 6, 25))  # not counted
    release_plan(CaseFactory(), "submitted", dt.date(2026, 6, 25))  # another agency
    table = reports.release_decisions(filters([agency], dt.date(2026, 6, 1), dt.date(2026, 6, 1)))[
        0
    ]
    assert table.rows == [
        {
            "month": "2026-06",
            "agency": "DOC",
            "plans": 3,
            "before": 1,
            "late": 1,
            "undecided": 1,
            "share": 33.3,
        }
    ]


# --- caseload by level ----------------------------------------------------------------------


def test_caseload_by_level_uses_the_level_in_force_at_month_end() -> None:
    agency = AgencyFactory(short_name="DIST2")
    changed = CaseFactory(
        lead_agency=agency, supervision_level="high", supervision_start=dt.date(2026, 1, 5)
    )
    level_change(changed, "low", local_dt(dt.date(2026, 1, 5)))
    level_change(changed, "high", local_dt(dt.date(2026, 2, 14)), from_level="low")
    CaseFactory(
        lead_agency=agency, supervision_level="moderate", supervision_start=dt.date(2026, 2, 1)
    )
    CaseFactory(  # supervision ended in January
        lead_agency=agency,
        supervision_level="low",
        supervision_start=dt.date(2025, 6, 1),
        supervision_end=dt.date(2026, 1, 20),
        status="discharged",
    )
    table = reports.caseload_by_level(filters([agency], dt.date(2026, 1, 1), dt.date(2026, 2, 1)))[
        0
    ]
    got = {(r["month"], r["level"]): r["cases"] for r in table.rows}
    assert got == {("2026-01", "Low"): 1, ("2026-02", "Moderate"): 1, ("2026-02", "High"): 1}
    assert table.chart["datasets"] == [
        {"label": "Low", "data": [1, 0]},
        {"label": "Moderate", "data": [0, 1]},
        {"label": "High", "data": [0, 1]},
    ]


def test_no_report_row_names_a_person() -> None:
    # every column of every report is a month, an agency, a category or a number
    default_contact_standards()
    agency = AgencyFactory()
    case = CaseFactory(lead_agency=agency, supervision_start=dt.date(2026, 1, 5))
    f = filters([agency], dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    for definition in reports.REPORTS.values():
        for table in definition.build(f):
            text = repr(table.rows) + repr(table.chart)
            assert case.offender.last_name not in text and case.case_number not in text
