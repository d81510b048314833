"""The board learns of a referral: an alert in each member's inbox and an email through the
outbox, with only the release-plan fields the board's terms share; once per referral."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.choices import RecordType, Role
from cases.choices import AlertStatus, Decision, ReleasePlanStatus, Vote
from cases.models import Alert, ReleasePlan
from cases.services import release as svc
from cases.tasks import deliver_outbox
from mou.models import DataSharingTerm
from protocols.choices import AlertRuleCode
from sartcm.models import AuditAction, AuditEvent, OutboxMessage
from tests.factories_release import (
    build_world,
    complete_plan,
    fresh,
    new_plan,
    staff,
    sync_access,
    today,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
S = ReleasePlanStatus
RULE = AlertRuleCode.BOARD_REFERRAL


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def submitted(world) -> ReleasePlan:
    plan = complete_plan(world, new_plan(world))
    svc.submit_plan(plan, fresh(world.planner))
    plan.refresh_from_db()
    return plan


def board_alerts(**filters):
    return Alert.objects.unrestricted().filter(rule=RULE, **filters)


def referral_mails():
    return OutboxMessage.objects.filter(kind="alert_email", payload__reason="referred")


def refer_via_api(world, plan: ReleasePlan):
    client = APIClient()
    otp_login(client, world.planner.user)
    return client.post(
        f"/api/v1/release-plans/{plan.pk}/refer/",
        {"board": world.board.pk},
        format="json",
        HTTP_IF_MATCH=f'"{plan.version}"',
    )


def test_referral_alerts_every_active_member_of_that_board_only(world, submitted) -> None:
    # given an inactive member and a member of another agency with the board role
    gone = staff(world.board, Role.BOARD_MEMBER)
    gone.active = False
    gone.save(update_fields=["active"])
    staff(world.supervision, Role.BOARD_MEMBER)
    # when the planner refers the plan (API)
    response = refer_via_api(world, submitted)
    assert response.status_code == 200, response.content
    # then each active member of the board has one open alert, assigned to them
    alerts = list(board_alerts())
    assert sorted(a.assignee_id for a in alerts) == sorted(m.pk for m in world.board_members)
    review = submitted.reviews.get()
    for alert in alerts:
        assert alert.status == AlertStatus.OPEN
        assert alert.case_id == submitted.case_id and alert.agency_id == world.board.pk
        assert alert.record_type == RecordType.RELEASE_PLANS
        assert alert.subject_key == f"boardreview:{review.pk}:member:{alert.assignee_id}"
        assert alert.due_date == submitted.release_date
        assert submitted.case.case_number in alert.message
    # and one email per member waits in the outbox, naming that member's alert
    mails = {m.payload["staff_id"]: m.payload for m in referral_mails()}
    assert set(mails) == {m.pk for m in world.board_members}
    for member in world.board_members:
        (alert,) = [a for a in alerts if a.assignee_id == member.pk]
        assert mails[member.pk]["alert_ids"] == [alert.pk]
        assert mails[member.pk]["review_id"] == review.pk
    assert AuditEvent.objects.filter(
        action=AuditAction.DISSEMINATE, object_type="cases.boardreview", object_id=str(review.pk)
    ).count() == len(world.board_members)


def test_member_reads_the_alert_in_the_inbox_with_the_shared_facts(client, world, submitted):
    svc.refer_to_board(submitted, world.board, fresh(world.planner))
    sync_access()
    member = world.board_members[0]
    otp_login(client, member.user)
    page = client.get(reverse("cases:alert-inbox")).content.decode()
    assert "Release plan referred to" in page and submitted.case.case_number in page
    api = APIClient()
    otp_login(api, member.user)
    rows = api.get("/api/v1/alerts/", {"scope": "mine"}).json()["results"]
    (row,) = [r for r in rows if r["rule"] == RULE and r["assignee"] == member.pk]
    assert row["facts"]["release_date"] == submitted.release_date.isoformat()
    assert row["facts"]["planner_name"] == world.planner.full_name
    assert row["facts"]["status"] == S.UNDER_REVIEW.label


def test_email_carries_only_the_fields_the_boards_terms_share(world, submitted) -> None:
    # given the board's release-plan term shares the release date and status, not the planner
    DataSharingTerm.objects.filter(
        recipient=world.board, record_type=RecordType.RELEASE_PLANS
    ).update(fields=["status", "release_date"])
    for n, member in enumerate(world.board_members):
        member.user.email = f"member{n}@prairie-board.example"
        member.user.save(update_fields=["email"])
    svc.refer_to_board(submitted, world.board, fresh(world.planner))
    sync_access()
    # when the outbox delivers
    mail.outbox.clear()
    deliver_outbox()
    # then each member got one email with the release date, and no planner name
    sent = [m for m in mail.outbox if "referred to your board" in m.subject]
    assert sorted(m.to[0] for m in sent) == sorted(m.user.email for m in world.board_members)
    body = sent[0].body
    assert submitted.case.case_number in body
    assert f"Release date: {submitted.release_date.isoformat()}" in body
    assert world.planner.full_name not in body and "Planner" not in body
    # the address and the treatment referral are never in the notice
    assert submitted.residence_address not in body
    assert submitted.treatment_referral not in body


def test_a_retried_referral_does_not_notify_twice(world, submitted) -> None:
    opened = submitted.version
    first = refer_via_api(world, submitted)
    assert first.status_code == 200
    # the retry of the same request (same version) is a conflict and notifies nobody again
    client = APIClient()
    otp_login(client, world.planner.user)
    retry = client.post(
        f"/api/v1/release-plans/{submitted.pk}/refer/",
        {"board": world.board.pk},
        format="json",
        HTTP_IF_MATCH=f'"{opened}"',
    )
    assert retry.status_code == 412
    # and notifying the same review again (a retried job) queues nothing new
    svc.notify_board(submitted.reviews.get(), fresh(world.planner))
    assert board_alerts().count() == len(world.board_members)
    assert referral_mails().count() == len(world.board_members)


def test_decision_resolves_the_alerts_and_a_re_referral_notifies_again(world, submitted) -> None:
    # given a referral the board returns for revision
    svc.refer_to_board(submitted, world.board, fresh(world.planner))
    sync_access()
    first_review = submitted.reviews.get()
    svc.record_decision(
        first_review,
        fresh(world.board_members[0]),
        decision=Decision.RETURN,
        decided_on=today(),
        rationale="Needs a confirmed intake date.",
        votes=[svc.VoteInput(m, Vote.RETURN) for m in world.board_members],
    )
    # then the members' alerts resolve with the decision
    assert not board_alerts().exclude(status=AlertStatus.RESOLVED).exists()
    # when the planner revises, resubmits and refers again
    plan = ReleasePlan.objects.get(pk=submitted.pk)
    svc.update_plan(plan, fresh(world.planner), expected_version=plan.version, changes={})
    svc.submit_plan(plan, fresh(world.planner))
    second_review = svc.refer_to_board(plan, world.board, fresh(world.planner))
    # then every member is alerted and emailed again, for the new referral
    open_alerts = board_alerts(status=AlertStatus.OPEN)
    assert open_alerts.count() == len(world.board_members)
    assert all(a.subject_key.startswith(f"boardreview:{second_review.pk}:") for a in open_alerts)
    assert referral_mails().filter(payload__review_id=second_review.pk).count() == len(
        world.board_members
    )
    assert referral_mails().count() == 2 * len(world.board_members)


def test_the_sweep_keeps_the_referral_alerts_and_adds_none(world, submitted) -> None:
    from cases.alerts.engine import run_sweep

    svc.refer_to_board(submitted, world.board, fresh(world.planner))
    result = run_sweep(rule_codes=[RULE])
    assert result[RULE].raised == 0 and result[RULE].resolved == 0
    assert result[RULE].still_open == len(world.board_members)


def test_others_read_the_alert_only_through_their_own_allow_list(world, submitted) -> None:
    # case alerts follow standing on the case: the outsider and an officer of an agency not on
    # the team see none; the victim advocate (on the team) sees it with only the release-plan
    # facts its terms share (status and release date), never the planner
    svc.refer_to_board(submitted, world.board, fresh(world.planner))
    sync_access()

    def rows_for(person):
        client = APIClient()
        otp_login(client, person.user)
        rows = client.get("/api/v1/alerts/", {"status": "all", "scope": "all"}).json()["results"]
        return [r for r in rows if r["rule"] == RULE]

    assert rows_for(world.outsider) == [] and rows_for(world.officer) == []
    seen = rows_for(world.advocate)
    assert seen and all(set(r["facts"]) == {"status", "release_date"} for r in seen)
    assert all(world.planner.full_name not in r["message"] for r in seen)
