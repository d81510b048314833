"""The suite's runners on a tiny dataset: personas are found and signed in (second factor
included) and removed again; the access, page and search runners produce figures and leave
the data as it was (their writes are rolled back). Timings are not asserted."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.choices import RecordType
from bench import measures, personas
from cases.models import Case, CaseAssignment, SupervisionContact
from mou.choices import TermScope
from mou.models import MOU
from sartcm.models import SyncTombstone
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    doc, vs = agency("BDOC"), agency("BVS", kind="victim_services")
    manager = staff(doc, "case_manager")
    advocate = staff(vs, "victim_advocate")
    cases = [CaseFactory(lead_agency=doc, case_manager=manager) for _ in range(3)]
    AssignmentFactory(case=cases[0], agency=vs, role="victim_advocate")
    mou_with_terms(
        doc, {vs: [term_spec(RecordType.STATUS, ["status"], ["view"], TermScope.ASSIGNED)]}
    )
    return {"manager": manager, "advocate": advocate, "cases": cases}


def test_personas_sign_in_with_a_second_factor_and_are_cleaned_up(world) -> None:
    found = personas.pick_personas()
    assert found["lead"].staff == world["manager"]
    assert found["limited"].staff == world["advocate"]
    client = personas.signed_in(Client(), found["lead"].user)
    assert client.get("/").status_code == 200  # not sent back to the logon
    assert client.get("/cases/caseload/").status_code == 200
    assert personas.cleanup() == 1
    assert not TOTPDevice.objects.filter(name=personas.BENCH_DEVICE).exists()
    assert not Session.objects.exists()


def test_the_case_team_persona_is_one_that_sees_people_through_its_teams(world) -> None:
    # given two treatment providers: one on every case team whose terms share no identity,
    # one on a single team that shares identity for its team's cases
    doc = world["cases"][0].lead_agency
    blind, seeing = agency("BTX1", kind="treatment"), agency("BTX2", kind="treatment")
    for case in world["cases"]:
        AssignmentFactory(case=case, agency=blind, role="treatment_provider")
    AssignmentFactory(case=world["cases"][1], agency=seeing, role="treatment_provider")
    mou_with_terms(
        doc,
        {
            blind: [term_spec(RecordType.STATUS, ["status"], ["view"], TermScope.ASSIGNED)],
            seeing: [term_spec(RecordType.IDENTITY, ["last_name"], ["view"], TermScope.ASSIGNED)],
        },
    )
    on_blind, on_seeing = staff(blind, "treatment_provider"), staff(seeing, "treatment_provider")
    assert on_blind.pk < on_seeing.pk
    # then the search measures the one whose search has people to find, not the agency on
    # the most teams (at 1,000,000 offenders that one's search was empty: 1.4 ms)
    assert personas.pick_personas()["team"].staff == on_seeing


def test_the_raw_sql_reference_fetches_the_rows_the_api_returns(world) -> None:
    # given the lead agency's case manager and the victim advocate
    from django.db import connection
    from rest_framework.test import APIClient

    found = personas.pick_personas()
    viewset = "cases.api.access.CaseViewSet"
    for key, conditions in (("lead", True), ("limited", False)):
        user = found[key].user
        with measures.read_only_request():
            visible = Case.objects.restrict(user, "view").order_by("-updated_at")
            columns = measures._row_columns(viewset, user)
        # when the bench builds its raw SQL for the list page
        (sql, params), _count = measures._page_sql(visible, columns=columns)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        # then it fetches the API page's rows, in its order, with the columns the rows show
        # (names, and the conditions only for a caller who may see them)
        page = personas.signed_in(APIClient(), user).get("/api/v1/cases/").json()["results"]
        assert [row[names.index("id")] for row in rows] == [r["id"] for r in page] != []
        assert {"_lead_agency_name", "_case_manager_names", "_officer_names"} <= set(names)
        assert ("_active_conditions" in names) is conditions
    personas.cleanup()


def test_runners_report_figures_and_roll_back_their_writes(world) -> None:
    found = personas.pick_personas()
    run = measures.Run(quick=True, personas=found, on=world["cases"][0].supervision_start)
    before = (
        MOU.objects.count(),
        CaseAssignment.objects.count(),
        SyncTombstone.objects.count(),
        SupervisionContact.objects.count(),
    )
    figures = measures.access(run) + measures.pages(run) + measures.search(run)
    after = (
        MOU.objects.count(),
        CaseAssignment.objects.count(),
        SyncTombstone.objects.count(),
        SupervisionContact.objects.count(),
    )
    assert after == before
    assert Case.objects.count() == 3
    groups = {f.group for f in figures}
    assert groups == {"access", "pages", "search"}
    for figure in figures:
        assert figure.measure and figure.target and figure.result
        assert figure.passed in (True, False, None)
    pages = [f for f in figures if f.group == "pages"]
    assert all("HTTP 200" in f.note for f in pages), [f.note for f in pages]
    personas.cleanup()


def test_the_sweep_cleanup_removes_only_synthetic_alerts_from_the_id_on() -> None:
    from django.utils import timezone

    from cases.models import Alert
    from tests.factories_browser import alert

    now = timezone.now()
    real_agency, synthetic_agency = agency("BREAL"), agency("SYN-9001")
    real_case = CaseFactory(lead_agency=real_agency, case_number="C-REAL-1")
    synthetic_case = CaseFactory(lead_agency=real_agency, case_number="SYN-C-1")
    kept = alert(real_case, real_agency, "contact_behind", now)
    early = alert(synthetic_case, real_agency, "registration_due", now)
    since = measures._next_alert_id()
    by_case = alert(synthetic_case, real_agency, "contact_behind", now)
    by_agency = alert(None, synthetic_agency, "training_expiring", now)
    late_real = alert(real_case, real_agency, "registration_due", now)
    # from `since` on: the synthetic case's and the synthetic agency's alerts only
    assert measures._remove_sweep_output(since) == 2
    left = set(Alert.objects.values_list("pk", flat=True))
    assert {kept.pk, early.pk, late_real.pk} <= left
    assert not {by_case.pk, by_agency.pk} & left
    # without an id (leftovers of an interrupted run): every synthetic one
    assert measures._remove_sweep_output(None) == 1
    assert early.pk not in set(Alert.objects.values_list("pk", flat=True))
