"""The dashboard: one panel per role (several roles, several panels), each restricted, showing
only permitted fields, with a query count that does not grow with the number of cases."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import AgencyKind, RecordType, Role
from agencies.models import TrainingCourse, TrainingRecord, TrainingRequirement
from mou.choices import MOUStatus
from tests.factories import AgencyFactory, CaseFactory, MOUFactory, MOUPartyFactory, OffenderFactory
from tests.factories_browser import board_decision, level_change, registration, release_plan
from tests.factories_contacts import (
    SupervisionContactFactory,
    default_contact_standards,
    local_dt,
    share,
    staff_user,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
DASHBOARD = "/"


def panels(client, user) -> dict:  # noqa: ANN001
    otp_login(client, user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return {item["panel"].key: item["data"] for item in response.context["panels"]}


def body(client, user) -> str:  # noqa: ANN001
    otp_login(client, user)
    return client.get(DASHBOARD).content.decode()


def queries(client, user) -> int:  # noqa: ANN001
    otp_login(client, user)
    client.get(DASHBOARD)  # warm per-process caches (permission ids) so only the page counts
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(DASHBOARD).status_code == 200
    return len(ctx)


def test_dashboard_is_the_home_page_and_needs_login(client) -> None:  # noqa: ANN001
    assert reverse("dashboard") == DASHBOARD
    assert client.get(DASHBOARD).status_code == 302


def test_user_without_an_agency_sees_no_panels(client) -> None:  # noqa: ANN001
    user = get_user_model().objects.create_user("loner", password="x")  # noqa: S106
    otp_login(client, user)
    response = client.get(DASHBOARD)
    assert response.context["panels"] == []
    assert "not linked to an agency" in response.content.decode()


def test_a_person_with_several_roles_sees_each_panel(client) -> None:  # noqa: ANN001
    user = staff_user(
        AgencyFactory(), Role.SUPERVISION_OFFICER, Role.REGISTRY_OFFICER, Role.ANALYST
    )
    assert set(panels(client, user)) == {"caseload", "verification", "aggregates"}


def test_a_treatment_provider_gets_no_panel_but_a_pointer_to_search(client) -> None:  # noqa: ANN001
    user = staff_user(AgencyFactory(), Role.TREATMENT_PROVIDER)
    assert panels(client, user) == {}
    assert "Use the search box" in body(client, user)


# --- caseload -----------------------------------------------------------------------------------


@pytest.fixture
def caseload():  # noqa: ANN201
    default_contact_standards()
    lead = AgencyFactory(kind=AgencyKind.COMMUNITY_SUPERVISION)
    officer = staff_user(lead, Role.SUPERVISION_OFFICER)
    return lead, officer


def test_caseload_panel_lists_behind_first(client, caseload) -> None:  # noqa: ANN001
    lead, officer = caseload
    today = timezone.localdate()
    fine = CaseFactory(
        lead_agency=lead, officer=officer.staff, supervision_start=today - timedelta(days=10)
    )
    for kind in ("home_visit", "treatment_collateral", "employment_verification", "office"):
        SupervisionContactFactory(case=fine, contact_type=kind, contact_at=timezone.now())
    behind = CaseFactory(
        lead_agency=lead, officer=officer.staff, supervision_start=today - timedelta(days=300)
    )
    CaseFactory(lead_agency=lead, supervision_start=today - timedelta(days=300))  # not mine
    data = panels(client, officer)["caseload"]
    assert [r["case"].pk for r in data["rows"]] == [behind.pk, fine.pk]
    assert data["rows"][0]["overdue"] and not data["rows"][1]["overdue"]
    assert data["total"] == 2 and data["overdue"] == 1
    assert behind.offender.last_name in body(client, officer)


def test_caseload_panel_of_an_outsider_is_empty(client, caseload) -> None:  # noqa: ANN001
    lead, officer = caseload
    CaseFactory(lead_agency=lead, officer=officer.staff)
    outsider = staff_user(AgencyFactory(), Role.SUPERVISION_OFFICER)
    assert panels(client, outsider)["caseload"]["rows"] == []


def test_caseload_panel_queries_do_not_grow(client, caseload) -> None:  # noqa: ANN001
    lead, officer = caseload

    def count_for(n: int) -> int:
        for _ in range(n):
            case = CaseFactory(lead_agency=lead, officer=officer.staff)
            SupervisionContactFactory(case=case)
        return queries(client, officer)

    assert count_for(2) == count_for(12)


# --- board member -------------------------------------------------------------------------------


@pytest.fixture
def board():  # noqa: ANN201
    lead = AgencyFactory()
    board_agency = AgencyFactory(kind=AgencyKind.PAROLE_BOARD)
    member = staff_user(board_agency, Role.BOARD_MEMBER)
    return lead, board_agency, member


def refer(plan, board_agency) -> None:  # noqa: ANN001
    """The plan referred to the board (a board sees only plans referred to it), with the
    terms sharing its status, release date and the offender's name."""
    from cases.models import BoardReview

    BoardReview.objects.create(plan=plan, case=plan.case, board=board_agency)
    share(plan.case, board_agency, RecordType.RELEASE_PLANS, ["status", "release_date"])
    share(plan.case, board_agency, RecordType.IDENTITY, ["first_name", "last_name"])


def test_board_queue_lists_referred_plans_by_release_date(client, board) -> None:  # noqa: ANN001
    lead, board_agency, member = board
    later = release_plan(CaseFactory(lead_agency=lead), release_date=dt.date(2027, 3, 1))
    sooner = release_plan(
        CaseFactory(lead_agency=lead), status="under_review", release_date=dt.date(2027, 1, 5)
    )
    draft = release_plan(CaseFactory(lead_agency=lead), status="draft")
    not_referred = release_plan(CaseFactory(lead_agency=lead))
    for plan in (later, sooner, draft):
        refer(plan, board_agency)
    data = panels(client, member)["board-queue"]
    assert [r["plan"].pk for r in data["rows"]] == [sooner.pk, later.pk]
    assert data["total"] == 2
    assert data["rows"][0]["release_date"] == dt.date(2027, 1, 5)
    assert not_referred.pk not in [r["plan"].pk for r in data["rows"]]


def test_board_queue_of_another_board_is_empty(client, board) -> None:  # noqa: ANN001
    lead, board_agency, _ = board
    refer(release_plan(CaseFactory(lead_agency=lead)), board_agency)
    other = staff_user(AgencyFactory(kind=AgencyKind.PAROLE_BOARD), Role.BOARD_MEMBER)
    assert panels(client, other)["board-queue"] == {"rows": [], "total": 0}


def test_board_queue_queries_do_not_grow(client, board) -> None:  # noqa: ANN001
    lead, board_agency, member = board

    def count_for(n: int) -> int:
        for _ in range(n):
            refer(release_plan(CaseFactory(lead_agency=lead)), board_agency)
        return queries(client, member)

    assert count_for(2) == count_for(10)


# --- registry officer ---------------------------------------------------------------------------


def test_verification_list_is_soonest_due_first_with_overdue_flagged(client) -> None:  # noqa: ANN001
    registry = AgencyFactory(kind=AgencyKind.LAW_ENFORCEMENT)
    officer = staff_user(registry, Role.REGISTRY_OFFICER)
    today = timezone.localdate()
    later = registration(CaseFactory(lead_agency=registry), registry, today + timedelta(days=40))
    overdue = registration(CaseFactory(lead_agency=registry), registry, today - timedelta(days=3))
    registration(CaseFactory(lead_agency=registry), registry, today, status="ended")
    registration(CaseFactory(), AgencyFactory(), today)  # another agency's, no MOU
    data = panels(client, officer)["verification"]
    assert [r["record"].pk for r in data["rows"]] == [overdue.pk, later.pk]
    assert data["rows"][0]["overdue"] and not data["rows"][1]["overdue"]
    assert data["total"] == 2 and data["overdue"] == 1


def test_verification_list_queries_do_not_grow(client) -> None:  # noqa: ANN001
    registry = AgencyFactory(kind=AgencyKind.LAW_ENFORCEMENT)
    officer = staff_user(registry, Role.REGISTRY_OFFICER)

    def count_for(n: int) -> int:
        for i in range(n):
            case = CaseFactory(lead_agency=registry)
            registration(case, registry, dt.date(2027, 1, 1) + timedelta(days=i))
        return queries(client, officer)

    assert count_for(2) == count_for(10)


# --- victim advocate ----------------------------------------------------------------------------

SENSITIVE = {
    "date_of_birth": "1971-09-30",
    "state_id": "PS-SECRET-1",
    "officer_phone": "555-0199",
    "case_manager": "Casemanager Hiddenname",
    "residence": "99 Secret Street",
}


@pytest.fixture
def advocacy():  # noqa: ANN201
    """A case whose victim is advocated by a victim-services agency that sees, by its terms,
    status, release date and officer name, and the offender's names — nothing else."""
    from cases.models import CaseAssignment

    lead = AgencyFactory()
    officer = staff_user(lead, Role.SUPERVISION_OFFICER)
    officer.staff.phone = SENSITIVE["officer_phone"]
    officer.staff.save()
    manager = staff_user(lead, Role.CASE_MANAGER)
    manager.first_name, manager.last_name = SENSITIVE["case_manager"].split()
    manager.save()
    case = CaseFactory(
        lead_agency=lead,
        officer=officer.staff,
        case_manager=manager.staff,
        release_date=dt.date(2026, 10, 1),
        offender=OffenderFactory(
            first_name="Ronald",
            last_name="Kessler",
            date_of_birth=dt.date.fromisoformat(SENSITIVE["date_of_birth"]),
            state_id=SENSITIVE["state_id"],
        ),
    )
    agency = AgencyFactory(kind=AgencyKind.VICTIM_SERVICES)
    CaseAssignment.objects.create(case=case, agency=agency, role="victim_advocate")
    share(case, agency, RecordType.STATUS, ["status", "release_date", "officer_name"])
    share(case, agency, RecordType.IDENTITY, ["first_name", "last_name"])
    share(case, agency, RecordType.RELEASE_PLANS, ["status"])
    advocate = staff_user(agency, Role.VICTIM_ADVOCATE)
    return case, agency, advocate


def test_advocate_sees_my_cases_with_only_permitted_fields(client, advocacy) -> None:  # noqa: ANN001
    case, _, advocate = advocacy
    data = panels(client, advocate)["advocate"]
    row = data["rows"][0]
    assert row["case"].pk == case.pk and row["name"] == "Ronald Kessler"
    assert row["status"] == "Supervised" and row["release_date"] == dt.date(2026, 10, 1)
    assert row["officer_phone"] is None
    page = body(client, advocate)
    for marker in SENSITIVE.values():
        assert marker not in page


def test_advocate_sees_latest_changes_only_where_shared(client, advocacy) -> None:  # noqa: ANN001
    case, agency, advocate = advocacy
    plan = release_plan(case, status="approved", release_date=dt.date(2026, 10, 1))
    board_decision(plan, AgencyFactory(kind=AgencyKind.PAROLE_BOARD), dt.date(2026, 9, 1))
    level_change(case, "high", timezone.now())
    texts = [c["text"] for c in panels(client, advocate)["advocate"]["changes"]]
    # release plan status is shared (its date is not); level and board decisions are not
    assert texts == ["Release plan approved"]


def test_advocate_of_another_agency_sees_nothing(client, advocacy) -> None:  # noqa: ANN001
    other = staff_user(AgencyFactory(kind=AgencyKind.VICTIM_SERVICES), Role.VICTIM_ADVOCATE)
    assert panels(client, other)["advocate"] == {"rows": [], "changes": []}


def test_advocate_panel_queries_do_not_grow(client, advocacy) -> None:  # noqa: ANN001
    from cases.models import CaseAssignment

    case, agency, advocate = advocacy

    def count_for(n: int) -> int:
        for _ in range(n):
            other = CaseFactory(lead_agency=case.lead_agency)
            CaseAssignment.objects.create(case=other, agency=agency, role="victim_advocate")
            share(other, agency, RecordType.STATUS, ["status"])
            share(other, agency, RecordType.IDENTITY, ["last_name"])
            release_plan(other, status="submitted")
        return queries(client, advocate)

    assert count_for(2) == count_for(8)


# --- agency administrator -----------------------------------------------------------------------


def test_admin_overview_counts_mous_staff_training_and_access(client) -> None:  # noqa: ANN001
    agency = AgencyFactory()
    admin = staff_user(agency, Role.AGENCY_ADMIN)
    officer = staff_user(agency, Role.SUPERVISION_OFFICER)
    staff_user(agency, Role.SUPERVISION_OFFICER)  # no training at all
    partner = AgencyFactory()
    active = MOUFactory(drafted_by=agency, status=MOUStatus.ACTIVE, title="Supervision data MOU")
    MOUPartyFactory(mou=active, agency=agency)
    draft = MOUFactory(drafted_by=agency, status=MOUStatus.DRAFT)
    MOUPartyFactory(mou=draft, agency=agency)
    elsewhere = MOUFactory(status=MOUStatus.ACTIVE)  # not a party
    MOUPartyFactory(mou=elsewhere, agency=partner)
    course = TrainingCourse.objects.create(title="Containment model for officers")
    TrainingRequirement.objects.create(role=Role.SUPERVISION_OFFICER, course=course)
    TrainingRecord.objects.create(
        staff=officer.staff,
        course=course,
        completed_on=timezone.localdate() - timedelta(days=300),
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    case = CaseFactory(lead_agency=agency)
    share(case, partner, RecordType.STATUS, ["status"])
    data = panels(client, admin)["agency-admin"]
    counts = dict(data["mou_counts"])
    assert counts["Active"] == 1 and counts["Draft"] == 1
    assert [m.pk for m in data["mous"]] == [active.pk]
    assert data["staff_count"] == 3
    assert data["training"] == {"not_required": 1, "current": 1, "missing": 1, "expiring": 1}
    assert data["access"] == {"lead_cases": 1, "shared_out": 1, "shared_in": 0}
    assert "Supervision data MOU" in body(client, admin)


def test_admin_overview_queries_do_not_grow(client) -> None:  # noqa: ANN001
    agency = AgencyFactory()
    admin = staff_user(agency, Role.AGENCY_ADMIN)

    def count_for(n: int) -> int:
        for _ in range(n):
            CaseFactory(lead_agency=agency)
            staff_user(agency, Role.CASE_MANAGER)
        return queries(client, admin)

    assert count_for(2) == count_for(10)


# --- analyst ------------------------------------------------------------------------------------


def test_analyst_sees_counts_never_names_or_case_numbers(client) -> None:  # noqa: ANN001
    agency = AgencyFactory()
    analyst = staff_user(agency, Role.ANALYST)
    cases = [CaseFactory(lead_agency=agency, supervision_level=lv) for lv in ("low", "high")]
    CaseFactory(lead_agency=agency, status="incarcerated", supervision_start=None)
    CaseFactory()  # another agency's
    data = panels(client, analyst)["aggregates"]
    assert data["total"] == 3 and not data["statewide"]
    assert dict(data["by_status"])["Supervised"] == 2
    assert dict(data["by_level"]) == {"Low": 1, "Moderate": 0, "High": 1}
    page = body(client, analyst)
    for case in cases:
        assert case.case_number not in page and case.offender.last_name not in page


def test_statewide_analyst_counts_every_agency(client) -> None:  # noqa: ANN001
    analyst = staff_user(AgencyFactory(kind=AgencyKind.COALITION), Role.ANALYST)
    CaseFactory()
    CaseFactory()
    data = panels(client, analyst)["aggregates"]
    assert data["statewide"] and data["total"] == 2


def test_analyst_panel_queries_do_not_grow(client) -> None:  # noqa: ANN001
    agency = AgencyFactory()
    analyst = staff_user(agency, Role.ANALYST)

    def count_for(n: int) -> int:
        for _ in range(n):
            CaseFactory(lead_agency=agency)
        return queries(client, analyst)

    assert count_for(2) == count_for(10)


def test_all_panels_together_keep_a_constant_query_count(client, caseload) -> None:  # noqa: ANN001
    lead, _ = caseload
    everyone = staff_user(
        lead,
        Role.SUPERVISION_OFFICER,
        Role.BOARD_MEMBER,
        Role.REGISTRY_OFFICER,
        Role.AGENCY_ADMIN,
        Role.ANALYST,
    )

    def count_for(n: int) -> int:
        for i in range(n):
            case = CaseFactory(lead_agency=lead, officer=everyone.staff)
            SupervisionContactFactory(case=case, contact_at=local_dt(dt.date(2026, 2, 2)))
            release_plan(case)
            registration(case, lead, dt.date(2027, 1, 1) + timedelta(days=i))
        return queries(client, everyone)

    assert count_for(2) == count_for(8)
