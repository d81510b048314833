"""Every workflow transition, allowed and refused; board hearings, votes and decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InternalError, transaction
from django.utils import timezone

from cases.choices import Decision, ReleasePlanStatus, TeamRole, Vote
from cases.models import BoardDecision, BoardReview, BoardVote, CaseAssignment, ReleasePlan
from cases.services import release as svc
from sartcm.models import AuditAction, AuditEvent
from tests.factories_release import (
    build_world,
    complete_plan,
    fresh,
    new_plan,
    staff,
    sync_access,
    today,
)

pytestmark = pytest.mark.django_db
S = ReleasePlanStatus
ALL = list(S)


@pytest.fixture
def world():
    return build_world()


def plan_in(world, status: str) -> ReleasePlan:
    """A complete plan put directly into `status` (with a board review where one exists)."""
    plan = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(
        status=status, release_date=today() - dt.timedelta(days=1)
    )
    plan.refresh_from_db()
    if status not in (S.DRAFT, S.SUBMITTED):
        BoardReview.objects.create(plan=plan, case=plan.case, board=world.board)
        CaseAssignment.objects.create(case=plan.case, agency=world.board, role=TeamRole.BOARD)
        sync_access()
    return plan


def votes(world, vote: str = Vote.APPROVE) -> list[svc.VoteInput]:
    return [svc.VoteInput(m, vote) for m in world.board_members]


def decide(world, plan: ReleasePlan, decision: str = Decision.APPROVE, **kwargs) -> BoardDecision:
    review = plan.reviews.order_by("-pk").first()
    kwargs.setdefault("rationale", "Plan addresses risk and victim safety.")
    kwargs.setdefault("decided_on", today())
    kwargs.setdefault("votes", votes(world))
    return svc.record_decision(review, fresh(world.board_members[0]), decision=decision, **kwargs)


# ---------------------------------------------------------------- submit / withdraw / edit


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_submit_allowed(world, status) -> None:
    plan = plan_in(world, status)
    svc.submit_plan(plan, fresh(world.planner))
    assert ReleasePlan.objects.get(pk=plan.pk).status == S.SUBMITTED


@pytest.mark.parametrize("status", [s for s in ALL if s not in (S.DRAFT, S.RETURNED)])
def test_submit_refused(world, status) -> None:
    plan = plan_in(world, status)
    with pytest.raises(ValidationError) as refused:
        svc.submit_plan(plan, fresh(world.planner))
    assert (
        f"cannot be submitted: it is “{S(status).label}”" in refused.value.message_dict["status"][0]
    )
    assert ReleasePlan.objects.get(pk=plan.pk).status == status


def test_withdraw_allowed_from_submitted(world) -> None:
    plan = plan_in(world, S.SUBMITTED)
    svc.withdraw_plan(plan, fresh(world.planner))
    plan.refresh_from_db()
    assert plan.status == S.DRAFT and plan.submitted_at is None


@pytest.mark.parametrize("status", [s for s in ALL if s != S.SUBMITTED])
def test_withdraw_refused(world, status) -> None:
    plan = plan_in(world, status)
    with pytest.raises(ValidationError, match="cannot be withdrawn"):
        svc.withdraw_plan(plan, fresh(world.planner))
    assert ReleasePlan.objects.get(pk=plan.pk).status == status


@pytest.mark.parametrize("status", ALL)
def test_edit_allowed_only_in_draft_or_returned(world, status) -> None:
    plan = plan_in(world, status)
    edit = lambda: svc.update_plan(  # noqa: E731
        plan, fresh(world.planner), expected_version=plan.version, changes={"landlord": "New"}
    )
    if status in (S.DRAFT, S.RETURNED):
        edit()
        assert ReleasePlan.objects.get(pk=plan.pk).landlord == "New"
    else:
        with pytest.raises(ValidationError, match="cannot be edited"):
            edit()
        assert ReleasePlan.objects.get(pk=plan.pk).landlord != "New"


def test_edit_refuses_workflow_fields(world) -> None:
    plan = plan_in(world, S.DRAFT)
    with pytest.raises(ValidationError) as refused:
        svc.update_plan(
            plan,
            fresh(world.planner),
            expected_version=plan.version,
            changes={"status": S.APPROVED},
        )
    assert "set by the workflow" in refused.value.message_dict["status"][0]


# ---------------------------------------------------------------- referral


def test_refer_puts_the_board_on_the_case_team(world) -> None:
    # given a submitted plan
    plan = plan_in(world, S.SUBMITTED)
    # when the planner refers it to the board
    review = svc.refer_to_board(plan, world.board, fresh(world.planner))
    # then it is under review, with a review row and the board assigned to the case
    plan.refresh_from_db()
    assert plan.status == S.UNDER_REVIEW
    assert review.board == world.board
    assert CaseAssignment.objects.filter(
        case=plan.case, agency=world.board, role=TeamRole.BOARD, end_date__isnull=True
    ).exists()


@pytest.mark.parametrize("status", [s for s in ALL if s != S.SUBMITTED])
def test_refer_refused(world, status) -> None:
    plan = plan_in(world, status)
    with pytest.raises(ValidationError, match="cannot be referred to the board"):
        svc.refer_to_board(plan, world.board, fresh(world.planner))


def test_refer_only_to_a_parole_board(world) -> None:
    plan = plan_in(world, S.SUBMITTED)
    with pytest.raises(ValidationError, match="active parole board"):
        svc.refer_to_board(plan, world.supervision, fresh(world.planner))


# ---------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (Decision.APPROVE, S.APPROVED),
        (Decision.APPROVE_WITH_CONDITIONS, S.APPROVED_WITH_CONDITIONS),
        (Decision.RETURN, S.RETURNED),
        (Decision.DENY, S.DENIED),
    ],
)
def test_decision_moves_the_plan(world, decision, status) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    record = decide(world, plan, decision, conditions="Curfew 22:00-06:00")
    plan.refresh_from_db()
    assert plan.status == status
    assert record.votes.count() == 3
    assert record.recorded_by == world.board_members[0]


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED, S.RELEASED])
def test_decision_refused(world, status) -> None:
    plan = plan_in(world, status)
    if status in (S.DRAFT, S.SUBMITTED):
        BoardReview.objects.create(plan=plan, case=plan.case, board=world.board)
        CaseAssignment.objects.create(case=plan.case, agency=world.board, role=TeamRole.BOARD)
        sync_access()
    with pytest.raises(ValidationError, match="cannot be decided"):
        decide(world, plan)
    assert not BoardDecision.objects.filter(case=plan.case).exists()


def test_new_decision_supersedes_the_current_one(world) -> None:
    # given an approved plan
    plan = plan_in(world, S.UNDER_REVIEW)
    first = decide(world, plan, Decision.APPROVE)
    # when the board reconsiders and denies
    second = decide(world, plan, Decision.DENY, rationale="New information at hearing.")
    # then the denial supersedes the approval, which is unchanged
    plan.refresh_from_db()
    assert plan.status == S.DENIED
    assert second.supersedes == first
    assert svc.current_decision(plan) == second
    first.refresh_from_db()
    assert first.decision == Decision.APPROVE


def test_decision_validation(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    with pytest.raises(ValidationError) as refused:
        decide(
            world,
            plan,
            Decision.APPROVE_WITH_CONDITIONS,
            rationale=" ",
            decided_on=today() + dt.timedelta(days=1),
            votes=[],
        )
    errors = refused.value.message_dict
    assert set(errors) == {"rationale", "decided_on", "conditions", "votes"}


def test_votes_only_from_members_of_that_board(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    outsider_member = staff(world.supervision, "board_member")
    with pytest.raises(ValidationError, match="is not an active member"):
        decide(world, plan, votes=[svc.VoteInput(outsider_member, Vote.APPROVE)])


def test_only_a_member_of_the_board_records_the_decision(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    review = plan.reviews.get()
    with pytest.raises(PermissionDenied):
        svc.record_decision(
            review,
            fresh(world.case_manager),
            decision=Decision.APPROVE,
            decided_on=today(),
            rationale="x",
            votes=votes(world),
        )


def test_board_conditions_join_the_plan(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    decide(world, plan, Decision.APPROVE_WITH_CONDITIONS, add_conditions=[(world.gps, "")])
    assert plan.conditions.filter(condition=world.gps).exists()


# ---------------------------------------------------------------- immutability


def test_recorded_decision_cannot_be_amended_through_the_service(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    record = decide(world, plan)
    with pytest.raises(ValidationError, match="cannot be changed"):
        svc.amend_decision(record, fresh(world.board_members[0]), rationale="edited")
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_type="cases.boarddecision", object_id=str(record.pk)
    ).exists()


def test_database_refuses_to_change_or_delete_decisions_and_votes(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    record = decide(world, plan)
    with pytest.raises(InternalError), transaction.atomic():
        BoardDecision.objects.filter(pk=record.pk).update(rationale="tampered")
    with pytest.raises(InternalError), transaction.atomic():
        BoardDecision.objects.filter(pk=record.pk).delete()
    with pytest.raises(InternalError), transaction.atomic():
        BoardVote.objects.filter(decision=record).update(vote=Vote.DENY)
    with pytest.raises(InternalError), transaction.atomic():
        BoardVote.objects.filter(decision=record).delete()
    record.refresh_from_db()
    assert record.rationale == "Plan addresses risk and victim safety."
    assert set(record.votes.values_list("vote", flat=True)) == {Vote.APPROVE}


# ---------------------------------------------------------------- hearings


def test_board_member_schedules_a_hearing(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    review = plan.reviews.get()
    when = timezone.now() + dt.timedelta(days=10)
    svc.schedule_hearing(
        review,
        fresh(world.board_members[1]),
        hearing_date=when,
        hearing_location="Hearing room B",
        public_comment="Two letters of support.",
    )
    review.refresh_from_db()
    assert review.hearing_date == when
    assert review.hearing_location == "Hearing room B"


@pytest.mark.parametrize("status", [S.APPROVED, S.DENIED, S.RETURNED])
def test_hearing_refused_once_decided(world, status) -> None:
    plan = plan_in(world, status)
    with pytest.raises(ValidationError, match="cannot be scheduled"):
        svc.schedule_hearing(
            plan.reviews.get(), fresh(world.board_members[0]), hearing_date=timezone.now()
        )


def test_lead_case_manager_cannot_schedule_the_boards_hearing(world) -> None:
    plan = plan_in(world, S.UNDER_REVIEW)
    with pytest.raises(PermissionDenied):
        svc.schedule_hearing(
            plan.reviews.get(), fresh(world.case_manager), hearing_date=timezone.now()
        )


# ---------------------------------------------------------------- release (transition refusals)


@pytest.mark.parametrize("status", [s for s in ALL if s not in svc.RELEASABLE])
def test_release_refused_unless_approved(world, status) -> None:
    plan = plan_in(world, status)
    with pytest.raises(ValidationError, match="cannot be released"):
        svc.record_release(plan, today(), fresh(world.case_manager), supervision_level="high")
    assert ReleasePlan.objects.get(pk=plan.pk).status == status
