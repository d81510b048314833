"""Bugs the end-to-end journeys found, pinned without a browser (the e2e tests skip where
Chromium is missing; these always run)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from agencies.choices import AgencyKind, RecordType, Role
from cases.models import Alert, ReleasePlan
from cases.services import registration as registration_svc
from cases.services import release as release_svc
from protocols.choices import AlertRuleCode
from tests.factories import AgencyFactory, CaseFactory, StaffFactory
from tests.factories_registration import RegistrationFactory, on_team, share
from tests.factories_release import IncarceratedCaseFactory, ReleasePlanFactory
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


def page_client(member) -> Client:  # noqa: ANN001
    client = Client()
    otp_login(client, member.user)
    return client


def test_default_checklist_needs_the_home_investigation_not_just_an_address() -> None:
    # given the default release-planning checklist and a plan with a proposed address
    call_command("load_standards", stdout=io.StringIO())
    plan = ReleasePlanFactory(case=IncarceratedCaseFactory(), residence_address="18 Larkspur Court")
    # then the home investigation is still missing (it was met by the address alone)
    assert "home_investigation" in {e.code for e in release_svc.missing_items(plan)}
    # when a supervision officer approves the residence, it is met
    ReleasePlan.objects.filter(pk=plan.pk).update(residence_approved=True)
    plan.refresh_from_db()
    assert "home_investigation" not in {e.code for e in release_svc.missing_items(plan)}


def test_registration_alert_facts_carry_the_status_label() -> None:
    # given a registry officer on the team of a registrant
    call_command("load_standards", stdout=io.StringIO())
    sheriff = AgencyFactory(kind=AgencyKind.LAW_ENFORCEMENT)
    deputy = StaffFactory(agency=sheriff, roles=[Role.REGISTRY_OFFICER])
    case = CaseFactory()
    on_team(case, deputy, "registry")
    share(case, sheriff, RecordType.REGISTRATION, ["status", "verifications"], ["view", "add"])
    record = RegistrationFactory(case=case, registering_agency=sheriff)
    # when a check fails
    registration_svc.record_verification(
        deputy.user,
        record,
        verified_on=timezone.localdate(),
        address="7 Sod House Road",
        result="not_at_address",
    )
    # then the alert says "Absconder review", not the stored code
    alert = Alert.objects.get(case=case, rule=AlertRuleCode.VERIFICATION_FAILED)
    assert alert.facts["status"] == "Absconder review"


def test_the_workspace_shows_only_tabs_the_viewer_may_open() -> None:
    # given a lead case manager, and a partner officer who may see only the case status
    lead = AgencyFactory()
    partner = AgencyFactory(kind=AgencyKind.COMMUNITY_SUPERVISION)
    case = CaseFactory(lead_agency=lead)
    share(case, partner, RecordType.STATUS, ["status"])
    manager = StaffFactory(agency=lead, roles=[Role.CASE_MANAGER])
    officer = StaffFactory(agency=partner, roles=[Role.SUPERVISION_OFFICER])
    headings = ("Risk assessments", "Case plan", "Release planning", "Registration")
    # then the lead sees every tab, the partner none of those (their pages would be 404)
    lead_page = page_client(manager).get(f"/cases/{case.pk}/").content.decode()
    partner_page = page_client(officer).get(f"/cases/{case.pk}/").content.decode()
    for heading in headings:
        assert f">{heading}</h2>" in lead_page
        assert f">{heading}</h2>" not in partner_page
    assert page_client(officer).get(f"/cases/{case.pk}/assessments/").status_code == 404


def test_not_found_is_the_sites_own_page_and_the_same_for_hidden_and_missing() -> None:
    # given a case of another agency
    case = CaseFactory(expected_release_date=dt.date(2027, 1, 1))
    outsider = StaffFactory(agency=AgencyFactory(), roles=[Role.CASE_MANAGER])
    client = page_client(outsider)
    # when the outsider opens it, and a case that does not exist
    hidden = client.get(f"/cases/{case.pk}/")
    missing = client.get("/cases/999999/")
    # then both are the same 404 page, with the site's navigation and no trace of the case
    assert hidden.status_code == missing.status_code == 404

    def without_csrf(body: bytes) -> str:  # the logout form's token is masked per response
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())

    assert without_csrf(hidden.content) == without_csrf(missing.content)
    html = hidden.content.decode()
    assert "Page not found" in html and 'aria-label="Main navigation"' in html
    assert case.case_number not in html
