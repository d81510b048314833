"""The assessments and case-plan API through every persona, field allow-lists and writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.choices import Role
from cases.models import CasePlanGoal, ProgressNote, RiskAssessment
from cases.scoring import ensure_builtin_instruments
from cases.services.assessments import record_assessment
from protocols.models import Instrument
from sartcm.models import AuditEvent
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_assessments import (
    GoalFactory,
    acute_answers,
    mapping,
    share,
    stable_answers,
    staff,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
LIMITED = ["instrument", "assessed_on", "final_level"]


@pytest.fixture
def instruments() -> dict[str, Instrument]:
    ensure_builtin_instruments()
    return {i.code: i for i in Instrument.objects.filter(builtin=True)}


@pytest.fixture
def world(instruments):  # noqa: ANN001, ANN201
    """A lead agency's case with a STABLE assessment, and the people who look at it."""
    lead = AgencyFactory()
    case = CaseFactory(
        lead_agency=lead,
        offender=OffenderFactory(date_of_birth=dt.date(1990, 1, 1)),
        release_date=dt.date(2025, 1, 1),
    )
    manager = staff(lead, Role.CASE_MANAGER)
    assessment = record_assessment(
        case,
        instruments["stable2007"],
        stable_answers("0", sex_as_coping="2"),
        TODAY,
        manager,
        manager.user,
    )
    partner_agency = AgencyFactory()
    # partner with an assessments term limited to three fields
    partner = staff(partner_agency, Role.SUPERVISION_OFFICER)
    share(case, partner_agency, "assessments", LIMITED, actions=["view", "add"])
    # partner with standing on the case status only (no assessments term)
    status_agency = AgencyFactory()
    status_only = staff(status_agency, Role.SUPERVISION_OFFICER)
    share(case, status_agency, "status", ["status"])
    outsider = staff(AgencyFactory(), Role.CASE_MANAGER)
    return {
        "case": case,
        "assessment": assessment,
        "manager": manager,
        "partner": partner,
        "status_only": status_only,
        "outsider": outsider,
        "instruments": instruments,
    }


def client_for(member) -> APIClient:  # noqa: ANN001
    # A session login: every request loads its own user, so no per-user cache carries over.
    client = APIClient()
    otp_login(client, member.user)
    return client


def test_lead_case_manager_sees_every_field(world) -> None:  # noqa: ANN001
    response = client_for(world["manager"]).get(f"/api/v1/assessments/{world['assessment'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["total_score"] == 2
    assert body["computed_level"] == "low"
    assert body["answers"]["sex_as_coping"] == "2"
    assert body["item_scores"]["sex_as_coping"] == 2
    assert body["assessor_name"] == world["manager"].full_name


def test_partner_with_limited_term_sees_only_those_fields(world) -> None:  # noqa: ANN001
    client = client_for(world["partner"])
    detail = client.get(f"/api/v1/assessments/{world['assessment'].pk}/")
    assert detail.status_code == 200
    assert set(detail.json()) == {
        "id",
        "case",
        "status",
        "instrument",
        "instrument_name",
        "instrument_code",
        "assessed_on",
        "final_level",
    }
    listing = client.get(f"/api/v1/assessments/?case={world['case'].pk}")
    assert [
        set(row) - {"instrument_name", "instrument_code"} for row in listing.json()["results"]
    ] == [{"id", "case", "status", *LIMITED}]
    # the read is audited with the fields disclosed
    event = AuditEvent.objects.filter(action="view", object_id=str(world["assessment"].pk)).latest(
        "id"
    )
    assert "total_score" not in event.fields and "final_level" in event.fields


@pytest.mark.parametrize("who", ["status_only", "outsider"])
def test_partner_without_assessments_term_and_outsider_get_404(world, who) -> None:  # noqa: ANN001
    client = client_for(world[who])
    assert client.get(f"/api/v1/assessments/{world['assessment'].pk}/").status_code == 404
    assert client.get(f"/api/v1/assessments/?case={world['case'].pk}").json()["results"] == []
    assert (
        client.post(
            f"/api/v1/assessments/{world['assessment'].pk}/void/", {"void_reason": "x"}
        ).status_code
        == 404
    )


def test_anonymous_is_refused(world) -> None:  # noqa: ANN001
    assert APIClient().get("/api/v1/assessments/").status_code in (401, 403)


def test_post_computes_the_score(world) -> None:  # noqa: ANN001
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["acute2007"].pk,
        "assessed_on": TODAY.isoformat(),
        "answers": acute_answers("0", victim_access="3"),
    }
    response = client_for(world["manager"]).post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total_score"], body["computed_level"]) == (3, "high")
    assert body["assessor_name"] == world["manager"].full_name


def test_post_refuses_client_totals_naming_the_field(world) -> None:  # noqa: ANN001
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["acute2007"].pk,
        "assessed_on": TODAY.isoformat(),
        "answers": acute_answers(),
        "total_score": 21,
    }
    before = RiskAssessment.objects.count()
    response = client_for(world["manager"]).post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"total_score": ["Computed by the server; do not send it."]}
    assert RiskAssessment.objects.count() == before


def test_invalid_answers_are_400_naming_items_and_nothing_saved(world) -> None:  # noqa: ANN001
    answers = acute_answers()
    del answers["substance_abuse"]
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["acute2007"].pk,
        "assessed_on": TODAY.isoformat(),
        "answers": answers,
    }
    before = RiskAssessment.objects.count()
    response = client_for(world["manager"]).post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["answers"] == [
        "Item 7 'Substance abuse': an answer is required; allowed answers: "
        "0 (No problem, 0), 1 (Some concern, +1), 3 (Intervene now, +3)."
    ]
    assert RiskAssessment.objects.count() == before


def test_partner_posting_a_field_its_term_does_not_share_is_400_and_audited(world) -> None:  # noqa: ANN001
    # the partner's term allows add but shares only instrument, assessed_on, final_level
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["acute2007"].pk,
        "assessed_on": TODAY.isoformat(),
        "answers": acute_answers(),
    }
    response = client_for(world["partner"]).post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["answers"]
    assert "not shared with your agency" in response.json()["errors"]["answers"][0]
    assert AuditEvent.objects.filter(action="denied", fields=["answers"]).exists()


def test_outsider_cannot_post_to_an_invisible_case(world) -> None:  # noqa: ANN001
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["acute2007"].pk,
        "assessed_on": TODAY.isoformat(),
        "answers": acute_answers(),
    }
    response = client_for(world["outsider"]).post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 400
    assert "case" in response.json()["errors"]  # same answer as a case that does not exist


def test_preview_scores_without_saving(world) -> None:  # noqa: ANN001
    payload = {
        "case": world["case"].pk,
        "instrument": world["instruments"]["static99r"].pk,
        "answers": {"male_victims": "yes"},
    }
    response = client_for(world["manager"]).post(
        "/api/v1/assessments/preview/", payload, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    # age 35 at release (1990-01-01 -> 2025-01-01): 0, male victims +1
    assert (body["total_score"], body["computed_level"], body["complete"]) == (1, None, False)
    assert "ever_lived_with_partner" in body["errors"]
    assert RiskAssessment.objects.filter(instrument__code="static99r").count() == 0


def test_override_through_the_api(world) -> None:  # noqa: ANN001
    mapping("stable2007", {"low": "low", "moderate": "moderate", "high": "high"})
    url = f"/api/v1/assessments/{world['assessment'].pk}/override/"
    # the case manager is not a supervisor
    assert (
        client_for(world["manager"])
        .post(url, {"final_level": "high", "override_reason": "x"})
        .status_code
        == 403
    )
    supervisor = staff(world["case"].lead_agency, Role.SUPERVISOR)
    missing = client_for(supervisor).post(url, {"final_level": "high", "override_reason": ""})
    assert missing.status_code == 400 and "override_reason" in missing.json()["errors"]
    done = client_for(supervisor).post(
        url, {"final_level": "high", "override_reason": "Disclosures."}
    )
    assert done.status_code == 200
    assert (done.json()["computed_level"], done.json()["final_level"]) == ("low", "high")
    world["case"].refresh_from_db()
    assert world["case"].supervision_level == "high"


def test_goals_from_needs_and_progress_notes(world) -> None:  # noqa: ANN001
    client = client_for(world["manager"])
    url = f"/api/v1/assessments/{world['assessment'].pk}/goals-from-needs/"
    created = client.post(url)
    assert created.status_code == 201
    assert [g["need"] for g in created.json()] == ["stable2007.sex_as_coping"]
    # a second call adds nothing: the need already has an open goal
    assert client.post(url).json() == []
    goal_id = created.json()[0]["id"]
    note = client.post(
        f"/api/v1/case-plan-goals/{goal_id}/progress-notes/", {"note": "Attended coping group."}
    )
    assert note.status_code == 201
    goal = client.get(f"/api/v1/case-plan-goals/{goal_id}/").json()
    assert goal["status"] == "in_progress"
    assert goal["progress_notes"][0]["note"] == "Attended coping group."
    assert goal["responsible_agency_name"] == world["case"].lead_agency.name


def test_case_plan_personas_and_limited_fields(world) -> None:  # noqa: ANN001
    goal = GoalFactory(case=world["case"], need="stable2007.sex_as_coping", interventions="Group")
    partner_agency = AgencyFactory()
    partner = staff(partner_agency, Role.TREATMENT_PROVIDER)
    share(world["case"], partner_agency, "case_plan", ["goal", "status"])
    body = client_for(partner).get(f"/api/v1/case-plan-goals/{goal.pk}/").json()
    assert set(body) == {"id", "case", "goal", "status"}
    # the treatment provider's role may only view the case plan
    assert (
        client_for(partner)
        .patch(f"/api/v1/case-plan-goals/{goal.pk}/", {"status": "met"})
        .status_code
        == 404
    )
    for who in ("outsider", "status_only"):
        assert client_for(world[who]).get(f"/api/v1/case-plan-goals/{goal.pk}/").status_code == 404


def test_goal_create_and_update_refuse_unwritable_fields(world) -> None:  # noqa: ANN001
    client = client_for(world["manager"])
    created = client.post(
        "/api/v1/case-plan-goals/",
        {"case": world["case"].pk, "goal": "Keep a weekly schedule.", "target_date": "2027-01-31"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    goal_id = created.json()["id"]
    refused = client.patch(
        f"/api/v1/case-plan-goals/{goal_id}/", {"responsible_agency_name": "X"}, format="json"
    )
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["responsible_agency_name"]
    outsider_agency = AgencyFactory()
    wrong = client.patch(
        f"/api/v1/case-plan-goals/{goal_id}/",
        {"responsible_agency": outsider_agency.pk},
        format="json",
    )
    assert wrong.status_code == 400 and "responsible_agency" in wrong.json()["errors"]
    ok = client.patch(f"/api/v1/case-plan-goals/{goal_id}/", {"status": "met"}, format="json")
    assert ok.status_code == 200 and CasePlanGoal.objects.get(pk=goal_id).status == "met"


def _list_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["manager", "partner"])
def test_list_query_count_is_constant_in_page_size(
    world, who, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    # given one assessment and one goal on one case, count the queries of each list
    case, manager = world["case"], world["manager"]
    partner_agency = world["partner"].agency
    share(case, partner_agency, "case_plan", ["goal", "status", "progress_notes"])
    client = client_for(world[who])
    GoalFactory(case=case)
    few = _list_queries(client, "/api/v1/assessments/")
    few_goals = _list_queries(client, "/api/v1/case-plan-goals/")
    # when the pages hold twelve of each, spread over four cases shared the same way
    cases = [case]
    for _ in range(3):
        other = CaseFactory(lead_agency=case.lead_agency, release_date=dt.date(2025, 1, 1))
        share(other, partner_agency, "assessments", LIMITED)
        share(other, partner_agency, "case_plan", ["goal", "status", "progress_notes"])
        cases.append(other)
    for n in range(11):
        target = cases[n % 4]
        record_assessment(
            target,
            world["instruments"]["acute2007"],
            acute_answers(),
            TODAY - dt.timedelta(days=n + 1),
            manager,
            manager.user,
        )
        goal = GoalFactory(case=target)
        ProgressNote.objects.create(goal=goal, case=target, written_on=TODAY, note="Seen.")
    # then neither list needs more queries
    with django_assert_max_num_queries(few):
        assert len(client.get("/api/v1/assessments/").json()["results"]) == 12
    with django_assert_max_num_queries(few_goals):
        assert len(client.get("/api/v1/case-plan-goals/").json()["results"]) == 12


def test_instruments_are_listed_for_staff_and_defined_by_supervisors(world) -> None:  # noqa: ANN001
    listing = client_for(world["outsider"]).get("/api/v1/instruments/")
    assert {row["code"] for row in listing.json()["results"]} >= {
        "static99r",
        "stable2007",
        "acute2007",
    }
    definition = {
        "items": [{"code": "q1", "label": "Question", "answers": [{"value": "y", "points": 1}]}],
        "bands": [{"min": 0, "max": 0, "level": "low"}],
    }
    supervisor = staff(AgencyFactory(), Role.SUPERVISOR)
    bad = client_for(supervisor).post(
        "/api/v1/instruments/",
        {"code": "ps1", "name": "PS", "kind": "general", "definition": definition},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["definition"] == [
        "Bands leave a gap: no band covers 1 (possible totals are 1 to 1)."
    ]
    definition["bands"] = [{"min": 0, "max": 1, "level": "low"}]
    good = client_for(supervisor).post(
        "/api/v1/instruments/",
        {"code": "ps1", "name": "PS", "kind": "general", "definition": definition},
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert (
        client_for(world["manager"])
        .post(
            "/api/v1/instruments/",
            {"code": "ps2", "name": "PS", "kind": "general", "definition": definition},
            format="json",
        )
        .status_code
        == 403
    )


def test_a_retried_action_post_with_an_idempotency_key_adds_one_note(world) -> None:  # noqa: ANN001
    # given a goal (Idempotency-Key holds for POST actions that add records, not only create)
    client = client_for(world["manager"])
    created = client.post(f"/api/v1/assessments/{world['assessment'].pk}/goals-from-needs/")
    goal_id = created.json()[0]["id"]
    url = f"/api/v1/case-plan-goals/{goal_id}/progress-notes/"
    body = {"note": "Attended coping group."}
    # when a system retries the same POST with the same key
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="oms-note-77")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="oms-note-77")
    # then one note exists and the retry replays the first answer
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert ProgressNote.objects.filter(goal_id=goal_id).count() == 1
    # the same key with another body is refused, and adds nothing
    other = client.post(url, {"note": "Other."}, format="json", HTTP_IDEMPOTENCY_KEY="oms-note-77")
    assert other.status_code == 422
    assert ProgressNote.objects.filter(goal_id=goal_id).count() == 1
    # without a key, a second POST is a second note (nothing changes for callers without one)
    assert client.post(url, body, format="json").status_code == 201
    assert ProgressNote.objects.filter(goal_id=goal_id).count() == 2
