"""The release.decision webhook: queued (through the outbox, in the transaction of the change)
once per recorded board decision — also one that supersedes an earlier decision — to every
subscribed agency that may see board decisions on the case, with only the decision fields its
terms share; to no other; nothing when the decision is refused or rolled back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.choices import RecordType
from cases.choices import Decision, ReleasePlanStatus, TeamRole, Vote
from cases.models import BoardDecision, BoardReview, CaseAssignment, ReleasePlan
from cases.services import release as svc
from sartcm.models import WebhookEvent
from tests.factories_release import build_world, complete_plan, fresh, new_plan, sync_access
from tests.factories_release import today as release_today
from tests.factories_webhooks import assert_heard_once, forget_queued, heard, listeners, subscribe

pytestmark = pytest.mark.django_db

EVENT = WebhookEvent.RELEASE_DECISION
PARTNER_FIELDS = ["decision", "decided_on"]
VICTIM_FIELDS = ["decision", "decided_on", "conditions", "rationale"]  # its term in the world


@pytest.fixture
def w():
    """The release world with a plan under the board's review; the board (all decision fields,
    on the case team) and the victim agency (four fields) subscribed, the supervision agency
    (no decision term) too; plus every kind of agency of `listeners`."""
    w = build_world()
    plan = complete_plan(w, new_plan(w))
    ReleasePlan.objects.filter(pk=plan.pk).update(status=ReleasePlanStatus.UNDER_REVIEW)
    BoardReview.objects.create(plan=plan, case=plan.case, board=w.board)
    CaseAssignment.objects.create(case=plan.case, agency=w.board, role=TeamRole.BOARD)
    sync_access()
    w.plan = plan
    w.hooks = listeners(plan.case, RecordType.BOARD_DECISIONS, PARTNER_FIELDS, EVENT)
    for agency in (w.board, w.victim_agency, w.supervision):
        subscribe(agency, [EVENT])
    w.allowed = {**w.hooks.allowed, w.board.pk: None, w.victim_agency.pk: VICTIM_FIELDS}
    return w


def decide(w, decision: str = Decision.APPROVE, **kwargs) -> BoardDecision:
    review = w.plan.reviews.order_by("-pk").first()
    kwargs.setdefault("rationale", "Plan addresses risk and victim safety.")
    return svc.record_decision(
        review,
        fresh(w.board_members[0]),
        decision=decision,
        decided_on=release_today(),
        votes=[svc.VoteInput(m, Vote.APPROVE, "ok") for m in w.board_members],
        **kwargs,
    )


def assert_decided_once(w, record: BoardDecision, supersedes: BoardDecision | None) -> None:
    keys = {
        "board_decision": record.pk,
        "case": record.case_id,
        "plan": w.plan.pk,
        "review": record.review_id,
        "supersedes": supersedes.pk if supersedes else None,
        "recorded_at": record.recorded_at,
    }
    # every shareable field, read back from what was saved
    fields = {name: getattr(record, name) for name in ("decision", "decided_on", "conditions")}
    fields["rationale"] = record.rationale
    fields["hearing_date"] = record.review.hearing_date
    fields["votes"] = [
        {"member": v.member_id, "member_name": v.member.full_name, "vote": v.vote, "comment": "ok"}
        for v in record.votes.order_by("pk")
    ]
    assert_heard_once(EVENT, keys, fields, w.allowed)


def test_a_decision_is_heard_once_with_each_agencys_fields(w) -> None:
    record = decide(w)
    assert_decided_once(w, record, None)
    victim_body = next(body for agency, body in heard(EVENT) if agency == w.victim_agency.pk)
    assert "votes" not in victim_body


def test_a_superseding_decision_is_heard_once_naming_the_one_it_supersedes(w) -> None:
    first = decide(w)
    forget_queued()
    second = decide(w, Decision.DENY, rationale="New information at hearing.")
    assert_decided_once(w, second, first)


def test_a_refused_decision_queues_nothing(w) -> None:
    with pytest.raises(ValidationError):
        decide(w, rationale="")
    assert heard(EVENT) == []


def test_nothing_is_queued_when_the_decision_is_rolled_back(w) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        decide(w)
        assert len(heard(EVENT)) == len(w.allowed)  # queued in the transaction …
        raise RuntimeError("the request failed later")
    assert heard(EVENT) == []  # … and gone with it
    assert not BoardDecision.objects.exists()
