"""REST actions of the release plan that pages had first: the home investigation, re-running the
residence-restriction check, and scheduling the board hearing.

Each: allowed for the right role, refused for the others (403 where the caller has standing but
not the role, 404 where the plan or the review is not theirs to act on), bad input named by
field, a stale version refused (412 for If-Match, 409 for a body `version`) changing nothing,
and the change audited.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.choices import Decision, ReleasePlanStatus, TeamRole, Vote
from cases.models import BoardReview, CaseAssignment, ReleasePlan
from cases.services import release as svc
from sartcm.models import AuditAction, AuditEvent
from tests.factories import AgencyFactory
from tests.factories_release import (
    build_world,
    complete_plan,
    fresh,
    new_plan,
    site_at_feet,
    staff,
    sync_access,
    today,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
S = ReleasePlanStatus


@pytest.fixture
def world():
    return build_world()


def api(staff_member) -> APIClient:
    client = APIClient()
    otp_login(client, staff_member.user)
    return client


def url(plan: ReleasePlan, action: str) -> str:
    return f"/api/v1/release-plans/{plan.pk}/{action}/"


def etag(plan: ReleasePlan) -> str:
    return f'"{ReleasePlan.objects.get(pk=plan.pk).version}"'


@pytest.fixture
def draft(world) -> ReleasePlan:
    """A draft plan with a proposed residence, not yet investigated."""
    plan = new_plan(world)
    ReleasePlan.objects.filter(pk=plan.pk).update(
        residence_address="12 Fictional Lane", residence_city="Wheatfield"
    )
    plan.refresh_from_db()
    return plan


@pytest.fixture
def referred(world) -> ReleasePlan:
    plan = complete_plan(world, new_plan(world))
    svc.submit_plan(plan, fresh(world.planner))
    svc.refer_to_board(plan, world.board, fresh(world.planner))
    sync_access()
    plan.refresh_from_db()
    return plan


# ---------------------------------------------------------------- home investigation

INVESTIGATION = {"residence_approved": True, "home_investigated_on": None}


def investigation(**overrides) -> dict:
    return {**INVESTIGATION, "home_investigated_on": today().isoformat(), **overrides}


def test_lead_officer_records_the_home_investigation(world, draft) -> None:
    response = api(world.lead_officer).post(
        url(draft, "home-investigation"),
        investigation(),
        format="json",
        HTTP_IF_MATCH=etag(draft),
    )
    assert response.status_code == 200, response.content
    plan = ReleasePlan.objects.get(pk=draft.pk)
    assert plan.residence_approved is True
    assert plan.home_investigated_by == world.lead_officer
    assert plan.home_investigated_on == today()
    assert plan.version == draft.version + 1
    assert response["ETag"] == f'"{plan.version}"'
    assert response.json()["residence_approved"] is True
    assert response.json()["home_investigated_by_name"] == world.lead_officer.full_name
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE,
        object_type="cases.releaseplan",
        object_id=str(draft.pk),
        detail="home investigation",
        username=world.lead_officer.user.username,
    ).exists()


def test_partner_officer_on_the_team_records_a_refusal_with_a_body_version(world, draft) -> None:
    # given the supervision agency on the case team (its MOU term: view and change plans)
    CaseAssignment.objects.create(
        case=draft.case, agency=world.supervision, role=TeamRole.SUPERVISION_OFFICER
    )
    sync_access()
    # when its officer records "not approved", sending the version in the body
    response = api(world.officer).post(
        url(draft, "home-investigation"),
        investigation(residence_approved=False, version=draft.version),
        format="json",
    )
    # then it is recorded under the officer's name
    assert response.status_code == 200, response.content
    plan = ReleasePlan.objects.get(pk=draft.pk)
    assert plan.residence_approved is False and plan.home_investigated_by == world.officer


@pytest.mark.parametrize(("who", "code"), [("planner", 403), ("case_manager", 403)])
def test_home_investigation_refused_for_other_lead_roles(world, draft, who, code) -> None:
    # the planner and the case manager may change the plan, but only an officer investigates
    response = api(getattr(world, who)).post(
        url(draft, "home-investigation"), investigation(), format="json", HTTP_IF_MATCH=etag(draft)
    )
    assert response.status_code == code
    assert response["Content-Type"] == "application/problem+json"
    assert "supervision officer" in response.json()["detail"]
    assert ReleasePlan.objects.get(pk=draft.pk).residence_approved is None


def test_board_member_may_not_investigate_a_referred_plan(world, referred) -> None:
    # the board sees the plan but may not change it: a write it may not make is a 404
    response = api(world.board_members[0]).post(
        url(referred, "home-investigation"),
        investigation(residence_approved=False),
        format="json",
        HTTP_IF_MATCH=etag(referred),
    )
    assert response.status_code == 404
    assert ReleasePlan.objects.get(pk=referred.pk).residence_approved is True


@pytest.mark.parametrize("who", ["advocate", "outsider", "board_member", "unassigned_officer"])
def test_home_investigation_is_not_found_for_those_without_change_standing(
    world, draft, who
) -> None:
    # the advocate sees the plan (victim-safety fields) but may not change it; the board is not
    # on this case's team; the outsider and an officer whose agency is not on the team see nothing
    person = {
        "advocate": world.advocate,
        "outsider": world.outsider,
        "board_member": world.board_members[0],
        "unassigned_officer": world.officer,
    }[who]
    sync_access()
    response = api(person).post(
        url(draft, "home-investigation"), investigation(), format="json", HTTP_IF_MATCH=etag(draft)
    )
    assert response.status_code == 404
    assert ReleasePlan.objects.get(pk=draft.pk).residence_approved is None


def test_home_investigation_anonymous_is_refused(draft) -> None:
    response = APIClient().post(url(draft, "home-investigation"), investigation(), format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"home_investigated_on": "2026-01-01"}, "residence_approved"),
        (
            {"residence_approved": "maybe", "home_investigated_on": "2026-01-01"},
            "residence_approved",
        ),
        ({"residence_approved": True}, "home_investigated_on"),
        ({"residence_approved": True, "home_investigated_on": "soon"}, "home_investigated_on"),
        ({"residence_approved": True, "home_investigated_on": "FUTURE"}, "home_investigated_on"),
    ],
)
def test_home_investigation_bad_input_names_the_field(world, draft, body, field) -> None:
    if body.get("home_investigated_on") == "FUTURE":
        body = {**body, "home_investigated_on": (today() + dt.timedelta(days=1)).isoformat()}
    response = api(world.lead_officer).post(
        url(draft, "home-investigation"), body, format="json", HTTP_IF_MATCH=etag(draft)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    plan = ReleasePlan.objects.get(pk=draft.pk)
    assert plan.residence_approved is None and plan.version == draft.version


def test_home_investigation_without_a_residence_is_refused(world) -> None:
    plan = new_plan(world)  # no address yet
    response = api(world.lead_officer).post(
        url(plan, "home-investigation"), investigation(), format="json", HTTP_IF_MATCH=etag(plan)
    )
    assert response.status_code == 400
    assert "no proposed residence" in response.json()["errors"]["residence_approved"][0]


def test_home_investigation_needs_the_version(world, draft) -> None:
    response = api(world.lead_officer).post(
        url(draft, "home-investigation"), investigation(), format="json"
    )
    assert response.status_code == 428
    assert ReleasePlan.objects.get(pk=draft.pk).residence_approved is None


@pytest.mark.parametrize(("via", "code"), [("header", 412), ("body", 409)])
def test_stale_home_investigation_changes_nothing(world, draft, via, code) -> None:
    # given the officer opened version N, and the planner saved since
    opened = draft.version
    svc.update_plan(draft, fresh(world.planner), expected_version=opened, changes={"landlord": "L"})
    # when the officer records the investigation on version N
    extra = {"HTTP_IF_MATCH": f'"{opened}"'} if via == "header" else {}
    body = investigation(**({"version": opened} if via == "body" else {}))
    response = api(world.lead_officer).post(
        url(draft, "home-investigation"), body, format="json", **extra
    )
    # then it is a conflict that says who saved, and nothing was recorded
    assert response.status_code == code
    assert "Someone else" in response.json()["detail"]
    plan = ReleasePlan.objects.get(pk=draft.pk)
    assert plan.residence_approved is None and plan.version == opened + 1


# ---------------------------------------------------------------- restriction check


def test_planner_reruns_the_restriction_check_after_a_new_school(world) -> None:
    # given a complete plan whose check passed, then a school opens 900 ft from the residence
    plan = complete_plan(world, new_plan(world))
    assert plan.restriction_check["status"] == "compliant"
    site_at_feet(900, name="New Prairie Academy")
    # when the planner re-runs the check
    response = api(world.planner).post(
        url(plan, "restriction-check"), {}, format="json", HTTP_IF_MATCH=etag(plan)
    )
    # then the violation is stored and shown; the version is unchanged (derived data); audited
    assert response.status_code == 200, response.content
    check = ReleasePlan.objects.get(pk=plan.pk).restriction_check
    assert check["status"] == "violation" and "New Prairie Academy" in check["message"]
    assert response.json()["restriction_check"]["status"] == "violation"
    assert response.json()["version"] == plan.version
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_id=str(plan.pk), detail="restriction check"
    ).exists()


def test_stale_restriction_check_is_a_conflict(world) -> None:
    plan = complete_plan(world, new_plan(world))
    before = plan.restriction_check
    opened = plan.version
    svc.update_plan(plan, fresh(world.planner), expected_version=opened, changes={"landlord": "L"})
    site_at_feet(900)
    response = api(world.planner).post(
        url(plan, "restriction-check"), {"version": opened}, format="json"
    )
    assert response.status_code == 409
    assert ReleasePlan.objects.get(pk=plan.pk).restriction_check["status"] == before["status"]


@pytest.mark.parametrize("who", ["advocate", "outsider"])
def test_restriction_check_is_not_found_without_change_standing(world, referred, who) -> None:
    response = api(getattr(world, who)).post(url(referred, "restriction-check"), {}, format="json")
    assert response.status_code == 404


def test_restriction_check_bad_version_names_the_field(world, draft) -> None:
    response = api(world.planner).post(
        url(draft, "restriction-check"), {"version": "three"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


# ---------------------------------------------------------------- hearing


def hearing(**overrides) -> dict:
    when = timezone.localtime() + dt.timedelta(days=10)
    return {
        "hearing_date": when.replace(microsecond=0).isoformat(),
        "hearing_location": "Hearing room B",
        "public_comment": "Two letters of support.",
        **overrides,
    }


def test_board_member_schedules_the_hearing_via_api(world, referred) -> None:
    response = api(world.board_members[1]).post(
        url(referred, "hearing"), hearing(), format="json", HTTP_IF_MATCH=etag(referred)
    )
    assert response.status_code == 200, response.content
    review = referred.reviews.get()
    assert review.hearing_location == "Hearing room B"
    assert review.public_comment == "Two letters of support."
    assert review.hearing_date is not None
    plan = ReleasePlan.objects.get(pk=referred.pk)
    assert plan.version == referred.version + 1 and plan.status == S.UNDER_REVIEW
    body = response.json()
    assert body["id"] == review.pk and body["plan"] == referred.pk
    assert body["board"] == world.board.pk and body["version"] == plan.version
    assert body["hearing_location"] == "Hearing room B"
    assert response["ETag"] == f'"{plan.version}"'
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE,
        object_type="cases.boardreview",
        object_id=str(review.pk),
        username=world.board_members[1].user.username,
    ).exists()


@pytest.mark.parametrize(("via", "code"), [("header", 412), ("body", 409)])
def test_two_members_rescheduling_at_once_do_not_overwrite(world, referred, via, code) -> None:
    # given two members opened the same version; the first saves room A
    opened = referred.version
    first = api(world.board_members[0]).post(
        url(referred, "hearing"),
        hearing(hearing_location="Room A"),
        format="json",
        HTTP_IF_MATCH=f'"{opened}"',
    )
    assert first.status_code == 200
    # when the second saves room C on the version they opened
    extra = {"HTTP_IF_MATCH": f'"{opened}"'} if via == "header" else {}
    body = hearing(hearing_location="Room C", **({"version": opened} if via == "body" else {}))
    second = api(world.board_members[1]).post(
        url(referred, "hearing"), body, format="json", **extra
    )
    # then the second is refused and room A stands
    assert second.status_code == code
    assert referred.reviews.get().hearing_location == "Room A"


def test_lead_case_manager_may_not_schedule_the_boards_hearing(world, referred) -> None:
    # standing on the review (lead agency, case manager role) but not a member of the board
    response = api(world.case_manager).post(url(referred, "hearing"), hearing(), format="json")
    assert response.status_code == 403
    assert referred.reviews.get().hearing_location == ""


@pytest.mark.parametrize("who", ["planner", "advocate", "outsider", "other_board", "officer"])
def test_hearing_is_not_found_for_those_who_may_not_act_for_the_board(world, referred, who) -> None:
    # the planner and the advocate see the plan but may not add to the board's review; a member
    # of another board, the outsider and an officer of an agency not on the team see nothing
    other_board_member = staff(AgencyFactory(kind="parole_board"), "board_member")
    person = {
        "planner": world.planner,
        "advocate": world.advocate,
        "outsider": world.outsider,
        "other_board": other_board_member,
        "officer": world.officer,
    }[who]
    response = api(person).post(url(referred, "hearing"), hearing(), format="json")
    assert response.status_code == 404
    assert referred.reviews.get().hearing_location == ""


def test_hearing_of_a_plan_not_referred_is_not_found(world) -> None:
    # the board is on another case's team only: this submitted plan is not theirs
    plan = complete_plan(world, new_plan(world))
    svc.submit_plan(plan, fresh(world.planner))
    sync_access()
    response = api(world.board_members[0]).post(url(plan, "hearing"), hearing(), format="json")
    assert response.status_code == 404
    assert not BoardReview.objects.filter(plan=plan).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hearing_location": "Room"}, "hearing_date"),
        ({"hearing_date": "next tuesday"}, "hearing_date"),
        ({"hearing_date": "2001-01-01T09:00:00Z"}, "hearing_date"),
        ({"hearing_date": None, "hearing_location": "x" * 201}, "hearing_location"),
        ({"hearing_date": None, "version": 0}, "version"),
    ],
)
def test_hearing_bad_input_names_the_field(world, referred, body, field) -> None:
    response = api(world.board_members[0]).post(url(referred, "hearing"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    review = referred.reviews.get()
    assert review.hearing_date is None and review.hearing_location == ""
    assert ReleasePlan.objects.get(pk=referred.pk).version == referred.version


def test_hearing_refused_once_the_board_decided(world, referred) -> None:
    member = world.board_members[0]
    svc.record_decision(
        referred.reviews.get(),
        fresh(member),
        decision=Decision.DENY,
        decided_on=today(),
        rationale="Residence unsuitable.",
        votes=[svc.VoteInput(m, Vote.DENY) for m in world.board_members],
    )
    response = api(member).post(url(referred, "hearing"), hearing(), format="json")
    assert response.status_code == 400
    assert "cannot be scheduled" in response.json()["errors"]["status"][0]


def test_hearing_page_conflict_is_shown_not_saved(client, world, referred) -> None:
    # the page sends the plan's version too: a stale form is refused with the conflict message
    from django.urls import reverse

    review = referred.reviews.get()
    opened = referred.version
    svc.schedule_hearing(
        review, fresh(world.board_members[0]), hearing_date=None, hearing_location="Room A"
    )
    otp_login(client, world.board_members[1].user)
    response = client.post(
        reverse("cases:release-review-hearing", args=[review.pk]),
        {"version": opened, "hearing_date": "", "hearing_location": "Room C"},
    )
    assert response.status_code == 409
    assert "Someone else" in response.content.decode()
    assert BoardReview.objects.get(pk=review.pk).hearing_location == "Room A"


@pytest.mark.parametrize("action", ["withdraw", "refer", "restriction-check"])
def test_board_member_may_not_drive_the_plan_workflow(world, referred, action) -> None:
    # the board reviews a plan it was referred; editing and moving it are the planners' work
    before = ReleasePlan.objects.get(pk=referred.pk)
    response = api(world.board_members[0]).post(
        url(referred, action), {"version": before.version}, format="json"
    )
    assert response.status_code == 404
    after = ReleasePlan.objects.get(pk=referred.pk)
    assert (after.status, after.version) == (before.status, before.version)


def test_board_member_may_not_edit_a_referred_plan(world, referred) -> None:
    response = api(world.board_members[0]).patch(
        f"/api/v1/release-plans/{referred.pk}/",
        {"employment": "Changed by the board"},
        format="json",
        HTTP_IF_MATCH=etag(referred),
    )
    assert response.status_code == 404
    assert ReleasePlan.objects.get(pk=referred.pk).employment != "Changed by the board"
