"""The hand-off to supervision, and victim-safe notifications of the decision and the release."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.choices import CaseStatus, Decision, ReleasePlanStatus, TeamRole, Vote
from cases.models import Case, CaseAssignment, CaseCondition, ReleasePlan
from cases.services import release as svc
from sartcm.models import AuditAction, AuditEvent, OutboxMessage
from tests.factories_release import (
    OTHER_VICTIM,
    SECRET_ADDRESS,
    SECRET_TREATMENT,
    SECRET_VICTIM,
    add_victims,
    build_world,
    complete_plan,
    fresh,
    new_plan,
    sync_access,
    today,
)

pytestmark = pytest.mark.django_db
S = ReleasePlanStatus
RATIONALE = "Rationale-Marker-Quokka: assessment and treatment history reviewed."
FORBIDDEN = (SECRET_ADDRESS, SECRET_TREATMENT, OTHER_VICTIM, RATIONALE, "Rationale-Marker")


@pytest.fixture
def world():
    return build_world()


def approved_plan(world, *, release_in_days: int = 0) -> ReleasePlan:
    """Through the real workflow: complete → submit → refer → decide (approve)."""
    plan = complete_plan(world, new_plan(world))
    add_victims(world, plan.case)
    ReleasePlan.objects.filter(pk=plan.pk).update(
        release_date=today() + dt.timedelta(days=release_in_days)
    )
    plan.refresh_from_db()
    svc.submit_plan(plan, fresh(world.planner))
    review = svc.refer_to_board(plan, world.board, fresh(world.planner))
    sync_access()
    svc.record_decision(
        review,
        fresh(world.board_members[0]),
        decision=Decision.APPROVE_WITH_CONDITIONS,
        decided_on=today(),
        rationale=RATIONALE,
        conditions="No contact with the victim's family; curfew 22:00-06:00.",
        votes=[svc.VoteInput(m, Vote.APPROVE_WITH_CONDITIONS) for m in world.board_members],
        add_conditions=[(world.gps, "Curfew 22:00-06:00")],
    )
    plan.refresh_from_db()
    return plan


def notices(case: Case) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(kind="notification.email", payload__case_id=case.pk).order_by(
            "created_at"
        )
    )


def test_release_hands_the_case_to_supervision(world) -> None:
    # given an approved plan whose release date has arrived
    plan = approved_plan(world)
    case = plan.case
    version = case.version
    # when the case manager records the release
    svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="high")
    # then the case is supervised from today, at the chosen level, with the plan's officer
    case.refresh_from_db()
    plan.refresh_from_db()
    assert case.status == CaseStatus.SUPERVISED
    assert case.release_date == today()
    assert case.supervision_start == today()  # the contact-standard clock starts here
    assert case.supervision_level == "high"
    assert case.officer == world.officer
    assert case.version == version + 1
    assert plan.status == S.RELEASED
    # and the plan's conditions (incl. the board's) are the case's active conditions
    active = CaseCondition.objects.filter(case=case, end_date__isnull=True)
    assert {c.condition.code for c in active} == {"polygraph", "no-contact-victim", "gps"}
    assert all(c.start_date == today() for c in active)
    # and the supervision team from the plan is on the case team
    team = set(
        CaseAssignment.objects.filter(case=case, end_date__isnull=True).values_list(
            "agency_id", "role", "staff_id"
        )
    )
    assert (world.supervision.pk, TeamRole.SUPERVISION_OFFICER, world.officer.pk) in team
    assert (world.treatment.pk, TeamRole.TREATMENT_PROVIDER, None) in team
    # and it was audited
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_type="cases.case", object_id=str(case.pk)
    ).exists()


def test_new_team_gains_mou_scoped_standing_after_release(world) -> None:
    from cases.models import ReleasePlan as Plan

    plan = approved_plan(world)
    officer = fresh(world.officer)
    assert not Plan.objects.restrict(officer, "view").filter(pk=plan.pk).exists()
    svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="high")
    sync_access()  # what the case-team signal does on commit
    assert Plan.objects.restrict(fresh(world.officer), "view").filter(pk=plan.pk).exists()


def test_existing_level_is_kept(world) -> None:
    plan = approved_plan(world)
    Case.objects.filter(pk=plan.case_id).update(supervision_level="moderate")
    plan.refresh_from_db()
    svc.record_release(plan, today(), fresh(world.case_manager))
    assert Case.objects.get(pk=plan.case_id).supervision_level == "moderate"


@pytest.mark.parametrize(
    ("released_on", "level", "field"),
    [
        (lambda: today() + dt.timedelta(days=1), "high", "released_on"),
        (lambda: today() - dt.timedelta(days=1), "high", "released_on"),  # before the plan date
        (today, None, "supervision_level"),
    ],
)
def test_release_refused_and_nothing_changes(world, released_on, level, field) -> None:
    plan = approved_plan(world)
    status_before = plan.case.status
    with pytest.raises(ValidationError) as refused:
        svc.record_release(plan, released_on(), fresh(world.case_manager), supervision_level=level)
    assert field in refused.value.message_dict
    case = Case.objects.get(pk=plan.case_id)
    assert case.status == status_before != CaseStatus.SUPERVISED
    assert case.supervision_start is None
    assert not CaseCondition.objects.filter(case=case).exists()
    assert ReleasePlan.objects.get(pk=plan.pk).status == S.APPROVED_WITH_CONDITIONS


def test_release_before_the_plans_date_is_refused(world) -> None:
    plan = approved_plan(world, release_in_days=3)
    with pytest.raises(ValidationError, match="cannot be recorded before it"):
        svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="low")


def test_planner_may_not_change_case_status(world) -> None:
    from django.core.exceptions import PermissionDenied

    plan = approved_plan(world)
    with pytest.raises(PermissionDenied):
        svc.record_release(plan, today(), fresh(world.planner), supervision_level="low")


def test_release_is_all_or_nothing(world) -> None:
    # given a case someone already moved to supervision by another path
    plan = approved_plan(world)
    Case.objects.filter(pk=plan.case_id).update(
        status=CaseStatus.SUPERVISED, supervision_start=today(), supervision_level="low"
    )
    before = len(notices(plan.case))
    # when the release is recorded, it is refused and the plan is not released either
    with pytest.raises(ValidationError, match="only an incarcerated or pre-release case"):
        svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="high")
    assert ReleasePlan.objects.get(pk=plan.pk).status == S.APPROVED_WITH_CONDITIONS
    assert not CaseCondition.objects.filter(case_id=plan.case_id).exists()
    assert len(notices(plan.case)) == before


def test_victim_agency_is_notified_of_decision_and_release_with_victim_safe_fields(world) -> None:
    # given an approved plan (decision notice written) and then a recorded release
    plan = approved_plan(world)
    svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="high")
    messages = notices(plan.case)
    # then the victim service agency got two notices, in the outbox, addressed to it
    assert [m.payload["event"] for m in messages] == [
        "release_plan.decision",
        "release_plan.release",
    ]
    for message in messages:
        assert message.payload["to"] == ["notices@harbor-victims.example"]
        assert message.payload["agency_id"] == world.victim_agency.pk
        body = message.payload["body"]
        # only victim-safe fields: never the residence, treatment, rationale or other victims
        for marker in FORBIDDEN:
            assert marker not in body
            assert marker not in message.payload["subject"]
        assert SECRET_VICTIM in body  # the victim this agency advocates for
        assert "No contact with the victim" in body  # a victim-protecting condition
        assert "Maintenance polygraph" not in body  # a condition that does not protect victims
        assert "555-0142" in body  # the officer to call
    decision_body = messages[0].payload["body"]
    assert "Decision: Approve with conditions" in decision_body
    assert "Rationale" not in decision_body
    release_body = messages[1].payload["body"]
    assert f"Release date: {today().isoformat()}" in release_body
    assert "Status: Supervised" in release_body
    # and each notice is audited as a dissemination to that agency, naming the fields
    dissemination = AuditEvent.objects.filter(
        action=AuditAction.DISSEMINATE, recipient_agency_id=world.victim_agency.pk
    )
    assert dissemination.count() == 2
    assert "victim_safety.no_contact_persons" in dissemination.first().fields


def test_notice_follows_the_agencys_terms(world) -> None:
    # given the victim agency's victim-safety term shares only the release date
    from mou.models import DataSharingTerm

    DataSharingTerm.objects.filter(
        recipient=world.victim_agency, record_type="victim_safety"
    ).update(fields=["release_date"])
    plan = approved_plan(world)
    body = notices(plan.case)[-1].payload["body"]
    assert SECRET_VICTIM not in body
    assert "555-0142" not in body
    assert "Exclusion zones" not in body
    assert "Release date:" in body


def test_agency_without_terms_gets_only_the_case_number(world) -> None:
    from mou.models import DataSharingTerm

    DataSharingTerm.objects.filter(recipient=world.victim_agency).delete()
    plan = approved_plan(world)
    body = notices(plan.case)[-1].payload["body"]
    assert body == f"Case: {plan.case.case_number}\n"


def test_release_recorded_through_the_page(client, world) -> None:
    from django.urls import reverse

    from tests.factories_release import login

    plan = approved_plan(world)
    login(client, world.case_manager)
    detail = client.get(reverse("cases:release-plan-detail", args=[plan.pk])).content.decode()
    assert "Record release" in detail
    response = client.post(
        reverse("cases:release-plan-release", args=[plan.pk]),
        {"version": plan.version, "released_on": today().isoformat(), "supervision_level": "low"},
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=plan.case_id)
    assert case.status == CaseStatus.SUPERVISED and case.supervision_level == "low"
    # a second attempt on the same (now stale) version is a conflict, not a second release
    again = client.post(
        reverse("cases:release-plan-release", args=[plan.pk]),
        {"version": plan.version, "released_on": today().isoformat(), "supervision_level": "low"},
    )
    assert again.status_code == 409
    assert CaseCondition.objects.filter(case=case).count() == 3
