"""Persona journeys in Chromium: every page visited is screenshotted and checked with axe-core."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agencies.choices import AgencyKind, RecordType, Role
from cases.models import CaseAssignment, PlanCondition, RiskAssessment, SupervisionContact
from tests.e2e.conftest import PHONE, login
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_assessments import CustomInstrumentFactory
from tests.factories_browser import build_search_world
from tests.factories_contacts import default_contact_standards, share, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for_focus(page: Any, name: str) -> None:
    """static/js/sartcm.js focuses the first invalid field once it has loaded: wait for that
    rather than race the script (the error text can render before the script runs)."""
    page.wait_for_function("name => document.activeElement?.name === name", arg=name)


def test_officer_logs_a_contact_on_a_phone(open_page, check) -> None:  # noqa: ANN001
    # given an officer's moderate case, supervised for 200 days and never seen
    default_contact_standards()
    lead = AgencyFactory(kind=AgencyKind.COMMUNITY_SUPERVISION)
    officer = staff_user(lead, Role.SUPERVISION_OFFICER)
    case = CaseFactory(
        lead_agency=lead,
        officer=officer.staff,
        supervision_start=timezone.localdate() - timedelta(days=200),
        offender=OffenderFactory(first_name="Dale", last_name="Marsh"),
    )
    page = open_page(viewport=PHONE)
    page.goto("/login/")
    check(page, "login")
    login(page, officer)
    # the dashboard puts the case first, behind
    check(page, "dashboard")
    panel = page.get_by_role("region", name="My caseload: due and overdue first")
    panel.get_by_role("link", name=case.case_number).click()
    # the contacts tab shows the face-to-face requirement not met
    face_to_face = page.locator(".card", has_text="Face-to-face contact")
    assert "Compliant" not in face_to_face.inner_text()
    check(page, "contacts-tab-behind")
    page.get_by_role("link", name="Log a contact").click()
    check(page, "contact-form")
    # a save without the type of contact is refused, the error next to it, focus on it
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("This field is required.").wait_for()
    wait_for_focus(page, "contact_type")
    check(page, "contact-form-error")
    # when the officer logs an office visit, face to face, now (the defaults), in a few taps
    page.get_by_text("Office", exact=True).click()
    page.get_by_label("Location").fill("District office")
    page.get_by_role("button", name="Save contact").click()
    # then the requirement turns compliant on the contacts tab
    page.wait_for_url(f"**/cases/{case.pk}/contacts/")
    assert "Contact logged." in page.inner_text("main")
    assert "Compliant" in page.locator(".card", has_text="Face-to-face contact").inner_text()
    check(page, "contacts-tab-compliant")
    assert SupervisionContact.objects.filter(case=case, contact_type="office").count() == 1


def test_case_manager_records_an_assessment_with_a_live_score(open_page, check) -> None:  # noqa: ANN001
    lead = AgencyFactory()
    manager = staff_user(lead, Role.CASE_MANAGER)
    case = CaseFactory(lead_agency=lead, case_manager=manager.staff)
    instrument = CustomInstrumentFactory(owner_agency=lead, name="Housing and work screen")
    page = open_page()
    login(page, manager)
    page.goto(f"/cases/{case.pk}/assessments/new/?instrument={instrument.pk}")
    check(page, "assessment-form")
    # saving with nothing answered is refused: errors next to the items, focus on the first
    page.get_by_role("button", name="Save assessment").click()
    page.get_by_text("Nothing was saved").wait_for()
    wait_for_focus(page, "item_unstable_housing")
    check(page, "assessment-form-errors")
    # answering the first item shows a running total, no level yet
    page.get_by_label("Yes (+1)").first.check()
    expect(page.locator('#score-preview [data-testid="total"]')).to_have_text("1")
    expect(page.locator("#score-preview")).to_contain_text("1 item to go")
    assert page.locator('[data-testid="level"]').count() == 0
    check(page, "score-so-far")
    # answering the last item shows the level
    page.get_by_role("group", name="2. Unemployed").get_by_label("No (0)").check()
    expect(page.locator('#score-preview [data-testid="level"]')).to_have_text("high")
    check(page, "score-complete")
    page.get_by_role("button", name="Save assessment").click()
    page.wait_for_url("**/cases/assessments/*/")
    check(page, "assessment-saved")
    saved = RiskAssessment.objects.get(case=case)
    assert (saved.total_score, saved.computed_level) == (1, "high")


SECRETS = (
    "1968-03-14",  # date of birth (identity, not shared)
    "PS-E2E-SECRET",  # state ID (identity, not shared)
    "555-0142",  # officer phone (not shared)
    "Polygraph disclosure marker",  # polygraph disclosures (no polygraph term)
    "Assessment override marker",  # risk assessment (no assessment term)
    "4417 Zinnia Hollow Road",  # proposed residence (release plan field, not shared)
    "Referral-Marker-Xylophone",  # treatment referral (release plan field, not shared)
    "Perpetua Quillfeather",  # a victim another agency (or none) advocates for
    "Maintenance polygraph",  # a special condition that does not protect a victim
)


def test_victim_advocate_sees_only_victim_safety_fields(open_page, check) -> None:  # noqa: ANN001
    # given a case whose lead agency shares with the victim service agency on its team only
    # status, release date and officer name; the name; the release plan's status and date;
    # and the plan's victim-safety fields — with secrets planted in everything else
    from tests.factories_contacts import PolygraphExamFactory
    from tests.factories_registration import assessment
    from tests.factories_release import ReleasePlanFactory, SpecialConditionFactory, VictimFactory

    lead = AgencyFactory()
    officer = staff_user(lead, Role.SUPERVISION_OFFICER)
    officer.staff.phone = "555-0142"
    officer.staff.save()
    case = CaseFactory(
        lead_agency=lead,
        officer=officer.staff,
        release_date=dt.date(2026, 10, 1),
        supervision_level="high",
        offender=OffenderFactory(
            first_name="Victor",
            last_name="Hale",
            date_of_birth=dt.date(1968, 3, 14),
            state_id="PS-E2E-SECRET",
        ),
    )
    PolygraphExamFactory(case=case, disclosures="Polygraph disclosure marker")
    assessment(
        case,
        assessed_on=dt.date(2026, 1, 10),
        next_due=None,
        override_reason="Assessment override marker",
    )
    services = AgencyFactory(kind=AgencyKind.VICTIM_SERVICES)
    plan = ReleasePlanFactory(
        case=case,
        release_date=dt.date(2026, 10, 1),
        residence_address="4417 Zinnia Hollow Road",
        treatment_referral="Referral-Marker-Xylophone",
        exclusion_zones="Riverside Park and the 200 block of Elm Street",
    )
    protecting = SpecialConditionFactory(title="No contact with the victim", protects_victim=True)
    for condition in (protecting, SpecialConditionFactory(title="Maintenance polygraph")):
        PlanCondition.objects.create(plan=plan, case=case, condition=condition)
    VictimFactory(case=case, name="Ottoline Vantablack", advocate_agency=services)
    VictimFactory(case=case, name="Perpetua Quillfeather", advocate_agency=None)
    CaseAssignment.objects.create(case=case, agency=services, role="victim_advocate")
    share(case, services, RecordType.STATUS, ["status", "release_date", "officer_name"])
    share(case, services, RecordType.IDENTITY, ["first_name", "last_name"])
    share(case, services, RecordType.RELEASE_PLANS, ["status", "release_date"])
    share(
        case,
        services,
        RecordType.VICTIM_SAFETY,
        ["no_contact_persons", "exclusion_zones", "victim_conditions"],
    )
    advocate = staff_user(services, Role.VICTIM_ADVOCATE)

    def assert_no_secrets(page: Any) -> None:
        html = page.content()
        for secret in SECRETS:
            assert secret not in html

    # when the advocate signs in, the dashboard lists the case with the shared fields only
    page = open_page()
    login(page, advocate)
    check(page, "advocate-dashboard")
    panel = page.get_by_role("region", name="My cases")
    text = panel.inner_text()
    assert "Victor Hale" in text and "2026-10-01" in text and "Supervised" in text
    assert officer.staff.full_name in text
    assert_no_secrets(page)

    # and the case workspace shows the shared status fields, and no tab they may not open
    panel.get_by_role("link", name=case.case_number).click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    status = page.get_by_role("region", name="Status and supervision").inner_text()
    assert "Release date" in status and officer.staff.full_name in status
    assert "Supervision level" not in status
    identity = page.get_by_role("region", name="Offender").inner_text()
    assert "Victor" in identity and "Hale" in identity and "Date of birth" not in identity
    expect(page.get_by_role("heading", name="Risk assessments")).to_have_count(0)
    assert_no_secrets(page)
    check(page, "advocate-case-workspace")

    # and the release plan shows its victim-safety fields, nothing else of the plan
    page.get_by_role("link", name="Release plans for this case").click()
    check(page, "advocate-release-plans")
    page.get_by_role("link", name=case.case_number).click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/")
    safety = page.get_by_role("region", name="Victim safety").inner_text()
    assert "Riverside Park and the 200 block of Elm Street" in safety
    assert "Ottoline Vantablack" in safety and "No contact with the victim" in safety
    assert page.get_by_role("region", name="Residence").count() == 0
    assert page.get_by_role("region", name="Release-planning checklist").count() == 0
    assert_no_secrets(page)
    check(page, "advocate-release-plan")

    # and the assessments of the case answer 404 (what a typed-in address gets)
    response = page.goto(f"/cases/{case.pk}/assessments/")
    assert response is not None and response.status == 404
    assert_no_secrets(page)
    check(page, "advocate-assessments-404")


def test_search_as_lead_and_as_outsider(open_page, check) -> None:  # noqa: ANN001
    world = build_search_world()
    page = open_page()
    login(page, world.lead_user)
    page.get_by_role("searchbox", name="Search offenders by name, date of birth or ID").fill(
        "Smith Jonh"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/search/?q=*")
    check(page, "lead-results")
    results = page.locator(".search-results")
    assert "John Quincy Smith" in results.inner_text()
    assert "PS7700123" in results.inner_text()
    # opening the result leads to the case workspace (which audits the view itself)
    results.get_by_role("link", name="John Quincy Smith").click()
    page.wait_for_url(f"**/cases/{world.case.pk}/")
    check(page, "case-workspace")
    # the outsider asks the same and learns nothing
    other = open_page()
    login(other, world.outsider)
    other.goto("/cases/search/?q=Smith+John")
    check(other, "outsider-results")
    assert "0 results" in other.inner_text("main")
    assert other.locator(".search-results").count() == 0
    html = other.content()
    for marker in ("Quincy", "PS7700123", world.case.case_number):
        assert marker not in html


def test_analyst_reads_a_report_and_supervisor_exports_case_rows(open_page, check) -> None:  # noqa: ANN001
    from sartcm.celery import app

    default_contact_standards()
    lead = AgencyFactory(short_name="DIST5")
    start = timezone.localdate() - timedelta(days=200)
    for name in ("Ames", "Baker", "Cole"):
        CaseFactory(
            lead_agency=lead, supervision_start=start, offender=OffenderFactory(last_name=name)
        )
    analyst = staff_user(AgencyFactory(kind=AgencyKind.COALITION), Role.ANALYST)
    page = open_page()
    login(page, analyst)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Reports"
    ).click()
    check(page, "reports-index")
    page.get_by_role("link", name="Contact-standard compliance").click()
    page.get_by_role("heading", name="Contact-standard compliance by agency").wait_for()
    # the chart is drawn by static/js/reports.js; the table holds the same figures, no names
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    table = page.get_by_role(
        "table", name="Contact-standard compliance by agency, month and requirement"
    )
    assert "DIST5" in table.inner_text()
    assert "Ames" not in page.content()
    assert page.get_by_role("button", name="Export case-level rows").count() == 0
    check(page, "analyst-report")
    # a supervisor of the agency exports the case-level rows in the background
    supervisor = staff_user(lead, Role.SUPERVISOR)
    other = open_page()
    login(other, supervisor)
    other.goto("/cases/reports/contact-compliance/")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # no worker in the test: run the task on commit
    try:
        other.get_by_role("button", name="Export case-level rows").click()
        other.wait_for_url("**/cases/reports/exports/*/")
    finally:
        app.conf.task_always_eager = eager
    link = other.get_by_role("link", name="Download CSV (3 rows)")
    link.wait_for()
    check(other, "export-ready")
    with other.expect_download() as download:
        link.click()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: PTH123
    assert text.startswith("Case,Name,Agency") and "Ames" in text and "Cole" in text
