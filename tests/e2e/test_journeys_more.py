"""More persona journeys in Chromium (issue 9): release planning to the board's decision,
address verification with a failed check, and an MOU activation changing what a partner sees.

Factories only set the scene; every step after that is a person using the pages. Every page
visited is screenshotted and checked with axe-core (`check`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from agencies.choices import AgencyKind, RecordType, Role
from agencies.vocabulary import SHAREABLE_FIELDS
from cases.choices import CaseStatus, ReleasePlanStatus
from cases.models import ReleasePlan
from mou.choices import MOUStatus, TermScope
from protocols.models import ChecklistItem
from tests.e2e.conftest import login
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    MOUFactory,
    MOUPartyFactory,
    OffenderFactory,
    StaffFactory,
    TermFactory,
)
from tests.factories_registration import RegistrationFactory, on_team, share

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def today() -> dt.date:
    return timezone.localdate()


def member(agency: Any, *roles: str, **kwargs: Any) -> Any:
    """A staff member of `agency` holding `roles` (their user signs in)."""
    return StaffFactory(agency=agency, roles=list(roles), **kwargs)


def main_text(page: Any) -> str:
    return page.inner_text("main")


# --- 1. release planning: build, refused submit, complete, submit, refer, decide ----------------


def release_scene() -> dict[str, Any]:
    """A corrections agency with a release planner and an officer, a three-member parole board
    whose `assigned`-scope terms let it review plans referred to it, an incarcerated case, and
    the default protocols (checklist, special-conditions catalogue) from load_standards."""
    call_command("load_standards", stdout=io.StringIO())
    lead = AgencyFactory(
        kind=AgencyKind.CORRECTIONS, name="Prairie State Department of Corrections"
    )
    board = AgencyFactory(kind=AgencyKind.PAROLE_BOARD, name="Prairie State Review Board")
    mou = MOUFactory(
        drafted_by=lead,
        status=MOUStatus.ACTIVE,
        effective_date=today() - dt.timedelta(days=30),
        expiration_date=today() + dt.timedelta(days=700),
    )
    for agency in (lead, board):
        MOUPartyFactory(mou=mou, agency=agency)
    rt = RecordType
    for record_type, fields, actions in (
        (rt.RELEASE_PLANS, SHAREABLE_FIELDS[rt.RELEASE_PLANS], ["view", "change"]),
        (rt.BOARD_DECISIONS, SHAREABLE_FIELDS[rt.BOARD_DECISIONS], ["view", "add"]),
        (rt.IDENTITY, ["first_name", "last_name"], ["view"]),
        (rt.STATUS, ["status", "expected_release_date"], ["view"]),
        (rt.VICTIM_SAFETY, ["exclusion_zones", "victim_conditions"], ["view"]),
    ):
        TermFactory(
            mou=mou,
            provider=lead,
            recipient=board,
            record_type=record_type,
            fields=list(fields),
            actions=actions,
            scope=TermScope.ASSIGNED,
        )
    case = CaseFactory(
        lead_agency=lead,
        status=CaseStatus.INCARCERATED,
        supervision_start=None,
        supervision_level="",
        expected_release_date=today() + dt.timedelta(days=45),
        offender=OffenderFactory(first_name="Barnaby", last_name="Quillon"),
    )
    return {
        "case": case,
        "board": board,
        "planner": member(lead, Role.RELEASE_PLANNER),
        "officer": member(lead, Role.SUPERVISION_OFFICER),
        "members": [member(board, Role.BOARD_MEMBER) for _ in range(3)],
    }


def checklist_missing(page: Any) -> set[str]:
    """The items the plan page's checklist panel lists as missing (without the 'needs' hint)."""
    panel = page.get_by_role("region", name="Release-planning checklist")
    items = panel.locator("ul.text-danger > li").all_inner_texts()
    return {re.sub(r"\s*\(needs .*\)$", "", item).strip() for item in items}


def checklist_text(*codes: str) -> set[str]:
    return set(ChecklistItem.objects.filter(code__in=codes).values_list("text", flat=True))


def test_release_plan_is_built_refused_completed_submitted_and_decided(open_page, check) -> None:  # noqa: ANN001
    scene = release_scene()
    case, planner = scene["case"], scene["planner"]
    release_on = today() + dt.timedelta(days=45)

    # given the planner on the case workspace, when they start a plan from its release tab
    page = open_page()
    login(page, planner.user)
    page.goto(f"/cases/{case.pk}/")
    check(page, "case-workspace")
    page.get_by_role("link", name="Start a release plan").click()
    page.wait_for_url("**/release/plans/new/?case=*")
    check(page, "start-plan")
    page.get_by_label("Expected release date").fill(release_on.isoformat())
    page.get_by_role("button", name="Start plan").click()
    page.wait_for_url("**/release/plans/*/edit/")
    plan = ReleasePlan.objects.get(case=case)
    check(page, "plan-form-empty")

    # and fills residence, treatment, employment and support, then saves
    page.get_by_label("Proposed address", exact=True).fill("18 Larkspur Court")
    page.get_by_label("City", exact=True).fill("Wheatfield")
    page.get_by_label("Housing status").select_option(label="With family")
    page.get_by_label("Landlord").fill("Sister (owner-occupied)")
    page.get_by_label("Treatment referral").fill("Outpatient group, Wheatfield Counseling")
    page.get_by_label("Intake appointment").fill((release_on + dt.timedelta(days=5)).isoformat())
    page.get_by_label("Employment", exact=True).fill("Grain elevator, day shift")
    page.get_by_label("Support network").fill("Sister; circle of support volunteers")
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/")
    expect(page.get_by_role("status").filter(has_text="Release plan saved.")).to_be_visible()
    check(page, "plan-partly-done")

    # then the checklist lists exactly what is still missing
    still_missing = checklist_text(
        "home_investigation",
        "transportation",
        "victim_safety",
        "special_conditions",
        "transition_services",
        "pre_registration",
    )
    assert len(still_missing) == 6
    assert checklist_missing(page) == still_missing

    # when the planner submits anyway, the submit is refused and names every missing item
    page.get_by_role("link", name="Submit for review").click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/submit/")
    check(page, "submit-page-warns")
    page.get_by_role("button", name="Submit plan").click()
    errors = page.locator("#form-errors")
    errors.wait_for()
    refused = errors.inner_text()
    for text in still_missing:
        assert text in refused
    check(page, "submit-refused")
    plan.refresh_from_db()
    assert plan.status == ReleasePlanStatus.DRAFT

    # when the planner completes the rest of the plan
    page.goto(f"/cases/release/plans/{plan.pk}/edit/")
    page.get_by_label("Transportation").fill("Bus pass; sister drives to treatment")
    page.get_by_role("textbox", name="Exclusion zones", exact=True).fill(
        "The 400 block of Elm Street"
    )
    page.get_by_label("Notification wishes").fill(
        "The victim asked to be told of release by phone."
    )
    page.get_by_role("checkbox", name="No contact with named victims").check()
    page.get_by_role("checkbox", name="Polygraph examinations").check()
    page.get_by_label("Identification (state ID / birth certificate)").fill("State ID ordered")
    page.get_by_label("Benefits (SNAP, Medicaid, SSI)").fill("SNAP application filed")
    page.get_by_label("Medication supply and prescriptions").fill("30-day supply")
    page.get_by_label("First appointments", exact=True).fill("Officer day 1, intake day 5")
    page.get_by_label("Pre-registered with the registry").check()
    check(page, "plan-form-completing")
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/")
    # only the home investigation is left, and that is the officer's to record
    assert checklist_missing(page) == checklist_text("home_investigation")
    check(page, "plan-awaits-home-visit")

    officer_page = open_page()
    login(officer_page, scene["officer"].user)
    officer_page.goto(f"/cases/release/plans/{plan.pk}/")
    officer_page.get_by_role("link", name="Home investigation").click()
    check(officer_page, "home-investigation-form")
    officer_page.get_by_label("Approved", exact=True).check()
    officer_page.get_by_role("button", name="Record investigation").click()
    officer_page.wait_for_url(f"**/release/plans/{plan.pk}/")
    check(officer_page, "home-investigation-recorded")

    # then the planner sees nothing missing, submits and refers the plan to the board
    page.reload()
    panel = page.get_by_role("region", name="Release-planning checklist")
    expect(panel).to_contain_text("Every required item is complete.")
    check(page, "checklist-complete")
    page.get_by_role("link", name="Submit for review").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Submit plan").click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/")
    expect(page.get_by_role("status").filter(has_text="Plan submitted")).to_be_visible()
    page.get_by_role("link", name="Refer to board").click()
    check(page, "refer-form")
    page.get_by_label("Parole board").select_option(label=str(scene["board"]))
    page.get_by_role("button", name="Refer to board").click()
    page.wait_for_url(f"**/release/plans/{plan.pk}/")
    expect(page.locator('[data-field="status"]')).to_have_text("Under board review")
    check(page, "referred")

    # when a board member opens the queue and records the decision with votes and rationale
    chair, second, third = scene["members"]
    board_page = open_page()
    login(board_page, chair.user)
    board_page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Board queue"
    ).click()
    check(board_page, "board-queue")
    queue = board_page.get_by_role("table", name="Board review queue")
    assert case.case_number in queue.inner_text()
    queue.get_by_role("link", name="Review").click()
    check(board_page, "board-review")
    board_page.get_by_role("link", name="Record a decision").click()
    check(board_page, "decision-form")
    board_page.get_by_role("combobox", name="Decision").select_option(
        label="Approve with conditions"
    )
    board_page.get_by_label("GPS monitoring with curfew").check()
    rationale = "Stable residence with family, treatment in place; GPS for the first months."
    board_page.get_by_label("Rationale").fill(rationale)
    for person, vote, comment in (
        (chair, "Approve with conditions", "Agree with GPS."),
        (second, "Approve with conditions", ""),
        (third, "Deny", "Too soon."),
    ):
        board_page.get_by_label(f"Vote of {person.full_name}").select_option(label=vote)
        if comment:
            board_page.get_by_label(f"Comment of {person.full_name}").fill(comment)
    board_page.get_by_role("button", name="Record decision").click()
    board_page.wait_for_url("**/release/reviews/*/")
    expect(board_page.get_by_role("status").filter(has_text="Decision recorded.")).to_be_visible()
    votes = board_page.get_by_role("table", name="Votes").inner_text()
    assert f"{third.full_name}\tDeny\tToo soon." in votes
    check(board_page, "decision-recorded")

    # then the planner sees the decision and the final status on the plan
    page.reload()
    expect(page.locator('[data-field="status"]')).to_have_text("Approved with conditions")
    text = main_text(page)
    assert "Approve with conditions" in text and rationale in text
    assert f"{third.full_name}: Deny — Too soon." in text
    check(page, "planner-sees-decision")
    plan.refresh_from_db()
    assert plan.status == ReleasePlanStatus.APPROVED_WITH_CONDITIONS


# --- 2. address verification: one verified, one not at the address --------------------------


def registration_scene() -> dict[str, Any]:
    """A sheriff's registry officer on the team of two corrections cases whose registrations
    (with the sheriff) are due for verification this week; an MOU term shares registration
    records with the sheriff. Default protocols (schedules, alert settings) are loaded."""
    call_command("load_standards", stdout=io.StringIO())
    doc = AgencyFactory(name="Prairie State Department of Corrections", short_name="PSDOC")
    sheriff = AgencyFactory(
        name="Meadow County Sheriff", short_name="MCSO", kind=AgencyKind.LAW_ENFORCEMENT
    )
    deputy = member(sheriff, Role.REGISTRY_OFFICER)
    due = today() + dt.timedelta(days=3)
    registrations = []
    for first, last in (("Ansel", "Verity"), ("Corwin", "Absent")):
        case = CaseFactory(
            lead_agency=doc, offender=OffenderFactory(first_name=first, last_name=last)
        )
        on_team(case, deputy, "registry")
        share(
            case,
            sheriff,
            RecordType.REGISTRATION,
            SHAREABLE_FIELDS[RecordType.REGISTRATION],
            ["view", "add", "change"],
            scope=TermScope.ASSIGNED,
        )
        share(case, sheriff, RecordType.IDENTITY, ["first_name", "last_name"])
        share(case, sheriff, RecordType.STATUS, ["status"])
        registrations.append(
            RegistrationFactory(
                case=case,
                registering_agency=sheriff,
                start_date=today() - dt.timedelta(days=200),
                next_verification_due=due,
            )
        )
    return {"deputy": deputy, "verified": registrations[0], "failed": registrations[1]}


def test_registry_officer_verifies_one_address_and_fails_another(open_page, check) -> None:  # noqa: ANN001
    scene = registration_scene()
    verified, failed = scene["verified"], scene["failed"]

    # given the registry officer's dashboard, when they open the full work list
    page = open_page()
    login(page, scene["deputy"].user)
    check(page, "dashboard")
    page.get_by_role("link", name="Open the full work list").click()
    page.wait_for_url("**/cases/registration/")
    check(page, "work-list")
    due = page.get_by_role("table", name="Due this week")
    for record in (verified, failed):
        assert record.case.case_number in due.inner_text()
    failed_table = page.get_by_role("table", name="Failed address checks and absconder review")
    expect(failed_table).to_contain_text("Nothing here.")

    # when they record a verified check on the first registrant
    due.get_by_role("link", name=verified.case.case_number).click()
    check(page, "first-registration")
    page.get_by_role("link", name="Record an address check").click()
    check(page, "check-form")
    page.get_by_label("Address").fill("12 Prairie Lane, Meadowton")
    page.get_by_label("Result").select_option(label="Verified")
    page.get_by_role("button", name="Record check").click()
    page.wait_for_url(f"**/cases/registration/{verified.pk}/")
    expect(page.get_by_role("status")).to_have_text("Address verified.")
    checks = page.get_by_role("table", name=re.compile("Visits by registry officers"))
    expect(checks).to_contain_text("Verified")
    check(page, "first-verified")

    # and a failed check ("not at address") on the second
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Registration"
    ).click()
    page.get_by_role("table", name="Due this week").get_by_role(
        "link", name=failed.case.case_number
    ).click()
    page.get_by_role("link", name="Record an address check").click()
    page.get_by_label("Address").fill("7 Sod House Road, Meadowton")
    page.get_by_label("Result").select_option(label="Not at address")
    page.get_by_label("Notes").fill("Neighbour says he moved out two weeks ago.")
    page.get_by_role("button", name="Record check").click()
    page.wait_for_url(f"**/cases/registration/{failed.pk}/")

    # then the failed registration shows absconder review
    expect(page.get_by_role("status")).to_have_text("Check failed: absconder review has started.")
    expect(page.locator("main p .badge")).to_have_text("Absconder review")
    check(page, "second-absconder-review")

    # and the work list puts it (only it) under failed checks
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Registration"
    ).click()
    failed_table = page.get_by_role("table", name="Failed address checks and absconder review")
    assert failed.case.case_number in failed_table.inner_text()
    assert verified.case.case_number not in failed_table.inner_text()
    check(page, "work-list-after")

    # and the officer's alert inbox has the failed-verification alert at once: recording the
    # check refreshes the case's alerts in the same transaction (no alert sweep is run here)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Alerts"
    ).click()
    page.wait_for_url("**/cases/alerts/")
    check(page, "alert-inbox")
    rows = page.get_by_role("table", name=re.compile("Alerts, earliest due first")).locator(
        "tbody tr", has_text="Address verification failed"
    )
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Not at address at 7 Sod House Road")
    expect(rows).to_contain_text("Status: Absconder review")  # the label, not the code
    expect(rows).to_contain_text(scene["deputy"].full_name)


# --- 3. an MOU activation changes what a partner sees ---------------------------------------


def mou_scene() -> dict[str, Any]:
    """A corrections agency (its administrator is also its authorized signatory) with one
    supervised case, and a community supervision agency with an officer and a signatory; no
    MOU between them yet."""
    lead = AgencyFactory(name="Prairie State Department of Corrections", short_name="PSDOC")
    partner = AgencyFactory(
        name="Meadow County Community Corrections",
        short_name="MCCC",
        kind=AgencyKind.COMMUNITY_SUPERVISION,
    )
    lead_officer = member(lead, Role.SUPERVISION_OFFICER)
    case = CaseFactory(
        lead_agency=lead,
        officer=lead_officer,
        supervision_level="high",
        offender=OffenderFactory(first_name="Osric", last_name="Pellworth"),
    )
    return {
        "case": case,
        "lead_officer": lead_officer,
        "partner": partner,
        "lead_admin": member(lead, Role.AGENCY_ADMIN, is_signatory=True),
        "partner_signer": member(partner, Role.AGENCY_ADMIN, is_signatory=True),
        "partner_officer": member(partner, Role.SUPERVISION_OFFICER),
    }


def partner_cannot_see(page: Any, check: Any, case: Any, step: str) -> None:
    """The case is absent from the partner's case list and its page answers 404."""
    page.goto("/cases/")
    table = page.get_by_role("table", name=re.compile("visible to you"))
    expect(table).to_contain_text("No cases are visible to you.")
    assert case.case_number not in page.content()
    check(page, f"{step}-case-list")
    response = page.goto(f"/cases/{case.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert case.case_number not in page.content()
    check(page, f"{step}-case-404")


def test_mou_activation_shares_a_case_with_a_partner_and_termination_takes_it_back(
    open_page,  # noqa: ANN001
    check,  # noqa: ANN001
) -> None:
    scene = mou_scene()
    case, partner = scene["case"], scene["partner"]

    # given a partner officer whose agency has no MOU with the lead agency
    officer = open_page()
    login(officer, scene["partner_officer"].user)
    partner_cannot_see(officer, check, case, "before")

    # when the lead agency's administrator drafts an MOU sharing status and supervision level
    admin = open_page()
    login(admin, scene["lead_admin"].user)
    admin.get_by_role("navigation", name="Main navigation").get_by_role("link", name="MOUs").click()
    check(admin, "mou-list")
    admin.get_by_role("link", name="Draft an MOU").click()
    check(admin, "mou-draft-form")
    admin.get_by_label("Title").fill("Community supervision information sharing")
    admin.get_by_label("Purpose").fill(
        "Share supervision status with county community corrections."
    )
    admin.get_by_label("Effective date").fill(today().isoformat())
    admin.get_by_label("Expiration date").fill((today() + dt.timedelta(days=365)).isoformat())
    admin.get_by_label("Parties").select_option(label=partner.name)
    admin.get_by_role("button", name="Save draft").click()
    admin.wait_for_url("**/mous/*/terms/")
    check(admin, "mou-terms-form")
    admin.get_by_label("Provider").select_option(label=str(case.lead_agency))
    admin.get_by_label("Recipient").select_option(label=partner.name)
    admin.get_by_label("Record type").select_option(value=RecordType.STATUS)
    admin.get_by_label("Fields shared").fill("status, supervision_level")
    admin.get_by_label("Scope").select_option(value=TermScope.ALL)
    admin.get_by_role("button", name="Add term").click()
    expect(admin.get_by_role("status")).to_have_text("Term added.")
    terms = admin.get_by_role("table", name="Terms being edited")
    expect(terms).to_contain_text("status, supervision_level")
    check(admin, "mou-term-added")

    # and sends it for signature and signs for the lead agency
    admin.get_by_role("link", name="Back to the MOU").click()
    admin.get_by_role("button", name="Send for signature").click()
    expect(admin.get_by_role("status")).to_have_text("Sent for signature.")
    check(admin, "mou-awaiting-signatures")
    admin.get_by_role("link", name="Review and sign version 1").click()
    check(admin, "mou-sign-lead")
    admin.get_by_role("button", name="Sign for my agency").click()
    expect(admin.get_by_role("status")).to_contain_text("Signed for PSDOC.")
    mou_url = admin.url

    # and the partner's signatory signs too
    signer = open_page()
    login(signer, scene["partner_signer"].user)
    signer.goto(mou_url)
    check(signer, "mou-partner-sees-draft")
    signer.get_by_role("link", name="Review and sign version 1").click()
    signer.get_by_role("button", name="Sign for my agency").click()
    expect(signer.get_by_role("status")).to_have_text("Signed for MCCC. The MOU is in force.")
    check(signer, "mou-active")

    # then the partner officer's case list shows the case with only the term's fields
    officer.goto("/cases/")
    row = officer.get_by_role("row", name=re.compile(case.case_number))
    expect(row).to_contain_text("Supervised")
    expect(row).to_contain_text("High")
    check(officer, "shared-case-list")
    page_text = officer.content()
    for outside in ("Osric", "Pellworth", scene["lead_officer"].full_name):
        assert outside not in page_text  # identity and officer_name are not in the term
    officer.get_by_role("link", name=case.case_number).click()
    status = officer.get_by_role("region", name="Status and supervision").inner_text()
    assert "Supervision level" in status and "Supervision start" not in status
    expect(officer.get_by_role("region", name="Offender")).to_contain_text(
        "The offender's identity is not shared with you."
    )
    # no tab links to pages the terms do not open (they would answer 404)
    for tab in ("Risk assessments", "Case plan", "Release planning", "Registration"):
        expect(officer.get_by_role("heading", name=tab, exact=True)).to_have_count(0)
    check(officer, "shared-case-workspace")

    # when the lead administrator terminates the MOU
    admin.get_by_role("link", name="Terminate").click()
    check(admin, "mou-terminate-form")
    admin.get_by_label("Reason").fill("Replaced by the statewide agreement.")
    admin.get_by_role("button", name="Terminate").click()
    expect(admin.get_by_role("status")).to_contain_text("MOU terminated")
    check(admin, "mou-terminated")

    # then the partner loses the case again
    partner_cannot_see(officer, check, case, "after")
