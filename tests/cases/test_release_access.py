"""Who sees which release plans, and which of their fields: pages, API, queue and PDF packet.

Personas: lead planner; board member of a referred case vs a non-referred case; victim
advocate (victim-safety fields only); supervision officer of a partner (field-limited writes);
outsider agency; anonymous.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.choices import CaseStatus, Decision, ReleasePlanStatus, TeamRole, Vote
from cases.models import BoardDecision, Case, CaseAssignment, ReleasePlan
from cases.services import release as svc
from sartcm.models import AuditAction, AuditEvent
from tests.factories_release import (
    OTHER_VICTIM,
    SECRET_ADDRESS,
    SECRET_TREATMENT,
    SECRET_VICTIM,
    add_victims,
    build_world,
    complete_plan,
    fresh,
    login,
    new_plan,
    sync_access,
    today,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
S = ReleasePlanStatus


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def referred(world) -> ReleasePlan:
    """A complete plan, submitted and referred to the board (the board is on the case team)."""
    plan = complete_plan(world, new_plan(world))
    add_victims(world, plan.case)
    svc.submit_plan(plan, fresh(world.planner))
    svc.refer_to_board(plan, world.board, fresh(world.planner))
    sync_access()
    plan.refresh_from_db()
    return plan


@pytest.fixture
def not_referred(world) -> ReleasePlan:
    """Another complete plan, submitted but not referred to any board."""
    plan = complete_plan(world, new_plan(world))
    svc.submit_plan(plan, fresh(world.planner))
    sync_access()
    plan.refresh_from_db()
    return plan


def detail(plan: ReleasePlan) -> str:
    return reverse("cases:release-plan-detail", args=[plan.pk])


def api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def pdf_text(content: bytes) -> str:
    """The PDF's bytes with every Flate stream inflated, for marker searches.

    A stream's data runs to its end-of-line before `endstream`; the data itself may end in
    a CR or LF byte, so the end-of-line is not cut off by pattern (which, about once in 256
    packets, cut a compressed page short and lost its text): the inflater stops at the end of
    the compressed data and ignores what follows."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts).decode("latin-1")


# ---------------------------------------------------------------- lead planner


def test_lead_planner_sees_every_component(client, world, referred) -> None:
    login(client, world.planner)
    response = client.get(detail(referred))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in (SECRET_ADDRESS, SECRET_TREATMENT, SECRET_VICTIM, OTHER_VICTIM):
        assert marker in html
    assert "Supervision team" in html and "Release-planning checklist" in html
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="cases.releaseplan", object_id=str(referred.pk)
    ).exists()


def test_lead_planner_lists_and_starts_plans(client, world) -> None:
    from tests.factories_release import new_case

    case = new_case(world)
    login(client, world.planner)
    form = client.get(reverse("cases:release-plan-create") + f"?case={case.pk}")
    assert form.status_code == 200
    response = client.post(
        reverse("cases:release-plan-create"),
        {"case": case.pk, "release_date": (today() + dt.timedelta(days=60)).isoformat()},
    )
    assert response.status_code == 302
    plan = ReleasePlan.objects.get(case=case)
    assert plan.status == S.DRAFT and plan.planner == world.planner
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PRE_RELEASE
    listing = client.get(reverse("cases:release-plan-list"))
    assert case.case_number in listing.content.decode()


def test_second_open_plan_is_refused(world) -> None:
    from django.core.exceptions import ValidationError

    plan = new_plan(world)
    with pytest.raises(ValidationError, match="already has an open release plan"):
        svc.create_plan(plan.case, fresh(world.planner), release_date=today())


def test_lead_planner_creates_via_api(world) -> None:
    from tests.factories_release import new_case

    case = new_case(world)
    response = api(world.planner).post(
        "/api/v1/release-plans/",
        {
            "case": case.pk,
            "release_date": (today() + dt.timedelta(days=45)).isoformat(),
            "landlord": "API landlord",
            "household_members": [{"name": "Kid Fictitious", "relationship": "son", "age": 7}],
            "special_conditions": [{"condition": world.polygraph.pk, "details": ""}],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    plan = ReleasePlan.objects.get(case=case)
    assert plan.landlord == "API landlord"
    assert plan.household_members.get().is_minor is True
    assert response.data["special_conditions"][0]["code"] == "polygraph"
    assert response["ETag"] == f'"{plan.version}"'


# ---------------------------------------------------------------- board member


def test_board_member_sees_the_referred_plan_but_not_the_other(
    client, world, referred, not_referred
) -> None:
    member = world.board_members[0]
    login(client, member)
    # the referred plan: visible, with the material the board's terms permit
    html = client.get(detail(referred)).content.decode()
    assert SECRET_ADDRESS in html  # the board's term shares the residence
    assert SECRET_VICTIM not in html and OTHER_VICTIM not in html  # but not victims' identity
    assert "Supervision team" not in html  # lead-only fields
    # the plan not referred to the board: 404 on every channel
    assert client.get(detail(not_referred)).status_code == 404
    assert (
        client.get(reverse("cases:release-plan-packet", args=[not_referred.pk])).status_code == 404
    )
    assert api(member).get(f"/api/v1/release-plans/{not_referred.pk}/").status_code == 404


def test_board_queue_lists_referred_plans_by_release_date(
    client, world, referred, not_referred, django_assert_max_num_queries
) -> None:
    # given a second referred plan releasing sooner
    sooner = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=sooner.pk).update(release_date=today() + dt.timedelta(days=5))
    sooner.refresh_from_db()
    svc.submit_plan(sooner, fresh(world.planner))
    svc.refer_to_board(sooner, world.board, fresh(world.planner))
    sync_access()
    login(client, world.board_members[1])
    # when a board member opens the queue (a bounded number of queries)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("cases:release-board-queue"))
    # then both referred plans appear, soonest first, and the other plan does not
    html = response.content.decode()
    assert html.index(sooner.case.case_number) < html.index(referred.case.case_number)
    assert not_referred.case.case_number not in html
    assert "Barnaby" in html  # identity fields the board's term shares


def test_board_member_records_a_decision_via_api_and_cannot_change_it(world, referred) -> None:
    member = world.board_members[0]
    response = api(member).post(
        "/api/v1/board-decisions/",
        {
            "plan": referred.pk,
            "decision": Decision.APPROVE,
            "decided_on": today().isoformat(),
            "rationale": "Suitable plan.",
            "votes": [{"member": m.pk, "vote": Vote.APPROVE} for m in world.board_members],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert len(response.data["votes"]) == 3
    decision_id = response.data["id"]
    assert ReleasePlan.objects.get(pk=referred.pk).status == S.APPROVED
    patch = api(member).patch(
        f"/api/v1/board-decisions/{decision_id}/", {"rationale": "edited"}, format="json"
    )
    assert patch.status_code == 405
    assert BoardDecision.objects.get(pk=decision_id).rationale == "Suitable plan."


def test_board_member_hearing_and_decision_pages(client, world, referred) -> None:
    member = world.board_members[0]
    login(client, member)
    review = referred.reviews.get()
    page = client.get(reverse("cases:release-review-detail", args=[review.pk]))
    assert page.status_code == 200
    hearing = client.post(
        reverse("cases:release-review-hearing", args=[review.pk]),
        {
            "hearing_date": (dt.datetime.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "hearing_location": "Hearing room A",
            "public_comment": "",
        },
    )
    assert hearing.status_code == 302
    form = client.get(reverse("cases:release-review-decide", args=[review.pk]))
    assert form.status_code == 200
    data = {
        "decision": Decision.RETURN,
        "decided_on": today().isoformat(),
        "rationale": "Needs a confirmed intake date.",
        "conditions": "",
    }
    for m in world.board_members:
        data[f"vote_{m.pk}"] = Vote.RETURN
    decided = client.post(reverse("cases:release-review-decide", args=[review.pk]), data)
    assert decided.status_code == 302
    assert ReleasePlan.objects.get(pk=referred.pk).status == S.RETURNED


def test_case_manager_of_lead_cannot_use_the_decision_page(client, world, referred) -> None:
    login(client, world.case_manager)
    review = referred.reviews.get()
    data = {"decision": Decision.APPROVE, "decided_on": today().isoformat(), "rationale": "x"}
    response = client.post(reverse("cases:release-review-decide", args=[review.pk]), data)
    assert response.status_code == 403
    assert ReleasePlan.objects.get(pk=referred.pk).status == S.UNDER_REVIEW


# ---------------------------------------------------------------- victim advocate


def test_victim_advocate_sees_only_victim_safety_fields(client, world, referred) -> None:
    sync_access()
    login(client, world.advocate)
    response = client.get(detail(referred))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Victim safety" in html
    assert SECRET_VICTIM in html  # the victim this agency advocates for
    assert "No contact with the victim" in html  # a victim-protecting condition
    for marker in (
        SECRET_ADDRESS,
        SECRET_TREATMENT,
        OTHER_VICTIM,
        "Household",
        "Maintenance polygraph",
    ):
        assert marker not in html
    assert "Edit plan" not in html


def test_victim_advocate_api_is_field_limited_and_read_only(world, referred) -> None:
    client = api(world.advocate)
    response = client.get(f"/api/v1/release-plans/{referred.pk}/")
    assert response.status_code == 200
    assert set(response.data) == {
        "id",
        "case",
        "version",
        "status",
        "submitted_at",
        "release_date",
        "exclusion_zones",
        "notification_wishes",
        "no_contact_persons",
    }
    assert response.data["no_contact_persons"] == [SECRET_VICTIM]
    patch = client.patch(
        f"/api/v1/release-plans/{referred.pk}/",
        {"exclusion_zones": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{referred.version}"',
    )
    assert patch.status_code == 404


# ---------------------------------------------------------------- partner writes (BOPLA)


def test_partner_write_to_an_unshared_field_is_refused_and_audited(world) -> None:
    # given the supervision agency on the team of a draft plan's case
    plan = new_plan(world)
    CaseAssignment.objects.create(
        case=plan.case, agency=world.supervision, role=TeamRole.SUPERVISION_OFFICER
    )
    sync_access()
    client = api(world.officer)
    # when its officer writes a shared field and a lead-only field
    response = client.patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"transportation": "Bus", "supervision_agency": world.supervision.pk},
        format="json",
        HTTP_IF_MATCH=f'"{plan.version}"',
    )
    # then the write is refused naming the field, audited, and nothing changed
    assert response.status_code == 400
    assert "supervision_agency" in response.data["errors"]
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, case_id=plan.case_id).exists()
    assert ReleasePlan.objects.get(pk=plan.pk).transportation == ""
    # and a write of shared fields only succeeds
    ok = client.patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"transportation": "Bus"},
        format="json",
        HTTP_IF_MATCH=f'"{plan.version}"',
    )
    assert ok.status_code == 200, ok.data
    assert "supervision_agency" not in ok.data


def test_officer_records_the_home_investigation(client, world) -> None:
    plan = new_plan(world)
    ReleasePlan.objects.filter(pk=plan.pk).update(residence_address="1 Fictional Row")
    plan.refresh_from_db()
    login(client, world.lead_officer)
    response = client.post(
        reverse("cases:release-plan-investigate", args=[plan.pk]),
        {"version": plan.version, "approved": "yes", "investigated_on": today().isoformat()},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.residence_approved is True
    assert plan.home_investigated_by == world.lead_officer
    # a planner (not a supervision officer) cannot
    otp_login(client, world.planner.user)
    refused = client.post(
        reverse("cases:release-plan-investigate", args=[plan.pk]),
        {"version": plan.version, "approved": "no", "investigated_on": today().isoformat()},
    )
    assert refused.status_code == 403
    assert ReleasePlan.objects.get(pk=plan.pk).residence_approved is True


# ---------------------------------------------------------------- outsider & anonymous


def test_outsider_gets_404_everywhere(client, world, referred) -> None:
    login(client, world.outsider)
    for url in (
        detail(referred),
        reverse("cases:release-plan-edit", args=[referred.pk]),
        reverse("cases:release-plan-submit", args=[referred.pk]),
        reverse("cases:release-plan-packet", args=[referred.pk]),
        reverse("cases:release-review-detail", args=[referred.reviews.get().pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        referred.case.case_number
        not in client.get(reverse("cases:release-board-queue")).content.decode()
    )
    assert (
        referred.case.case_number
        not in client.get(reverse("cases:release-plan-list")).content.decode()
    )
    outsider_api = api(world.outsider)
    assert outsider_api.get(f"/api/v1/release-plans/{referred.pk}/").status_code == 404
    assert outsider_api.get("/api/v1/release-plans/").data["results"] == []
    assert outsider_api.post(f"/api/v1/release-plans/{referred.pk}/submit/", {}).status_code == 404


def test_anonymous_is_sent_to_login(client, referred) -> None:
    response = client.get(detail(referred))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert APIClient().get(f"/api/v1/release-plans/{referred.pk}/").status_code in (401, 403)


# ---------------------------------------------------------------- PDF packet


def test_packet_for_the_lead_has_everything(client, world, referred) -> None:
    login(client, world.planner)
    response = client.get(reverse("cases:release-plan-packet", args=[referred.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert SECRET_ADDRESS in text and SECRET_TREATMENT in text


def test_packet_contains_only_what_the_viewer_may_see(client, world, referred) -> None:
    # the board's packet: the plan, but no victim identity and no lead-only team fields
    login(client, world.board_members[0])
    board_pdf = pdf_text(
        client.get(reverse("cases:release-plan-packet", args=[referred.pk])).content
    )
    assert SECRET_ADDRESS in board_pdf
    for marker in (SECRET_VICTIM, OTHER_VICTIM, "Supervision team"):
        assert marker not in board_pdf
    # the advocate's packet: victim-safety fields only
    otp_login(client, world.advocate.user)
    response = client.get(reverse("cases:release-plan-packet", args=[referred.pk]))
    advocate_pdf = pdf_text(response.content)
    assert SECRET_VICTIM in advocate_pdf
    for marker in (SECRET_ADDRESS, SECRET_TREATMENT, OTHER_VICTIM, "Household", "polygraph"):
        assert marker not in advocate_pdf
    # and each packet is audited as an export naming the fields, to the recipient agency
    export = AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(referred.pk), agency_id=world.victim_agency.pk
    ).get()
    assert export.recipient_agency_id == world.victim_agency.pk
    assert "no_contact_persons" in export.fields
    assert "residence_address" not in export.fields


def test_api_list_is_field_limited_with_a_bounded_number_of_queries(
    world, referred, django_assert_max_num_queries
) -> None:
    # given several referred plans with victims
    for _ in range(3):
        plan = complete_plan(world, new_plan(world))
        add_victims(world, plan.case)
        svc.submit_plan(plan, fresh(world.planner))
        svc.refer_to_board(plan, world.board, fresh(world.planner))
    sync_access()
    # when the victim advocate lists plans (queries do not grow with the rows)
    with django_assert_max_num_queries(20):
        response = api(world.advocate).get("/api/v1/release-plans/")
    # then every row carries only victim-safe fields
    rows = response.data["results"]
    assert len(rows) == 4
    for row in rows:
        assert "residence_address" not in row and "treatment_referral" not in row
        assert row["no_contact_persons"] == [SECRET_VICTIM]


def test_planner_records_victims_on_the_plan_page(client, world) -> None:
    plan = new_plan(world)
    login(client, world.planner)
    response = client.post(
        reverse("cases:release-plan-edit", args=[plan.pk]),
        {
            "version": plan.version,
            "release_date": plan.release_date.isoformat(),
            "notification_wishes": "Phone call before release.",
            "household-TOTAL_FORMS": "0",
            "household-INITIAL_FORMS": "0",
            "victims-TOTAL_FORMS": "1",
            "victims-INITIAL_FORMS": "0",
            "victims-0-name": "Wilhelmina Fictional",
            "victims-0-no_contact": "on",
            "victims-0-notify": "on",
            "victims-0-notification_channel": "phone",
            "victims-0-advocate_agency": world.victim_agency.pk,
        },
    )
    assert response.status_code == 302
    victim = plan.case.victims.get()
    assert victim.name == "Wilhelmina Fictional" and victim.no_contact
    assert victim.advocate_agency == world.victim_agency
    assert ReleasePlan.objects.get(pk=plan.pk).notification_wishes == "Phone call before release."


def test_case_tab_links_to_the_cases_plans(world) -> None:
    from django.template.loader import render_to_string

    from tests.factories_release import new_case

    case = new_case(world)
    html = render_to_string("cases/tabs/release.html", {"case": case})
    assert f"{reverse('cases:release-plan-list')}?case={case.pk}" in html


def test_board_sees_the_plans_referred_to_it_not_the_case_s_next_plan(
    client, world, referred
) -> None:
    # The board stays on the case team after deciding; a later plan for the same case is the
    # planners' draft, not referred to the board, and stays out of its sight on every channel.
    member = world.board_members[0]
    svc.record_decision(
        referred.reviews.get(),
        fresh(member),
        decision=Decision.DENY,
        decided_on=today(),
        rationale="Residence unsuitable.",
        votes=[svc.VoteInput(m, Vote.DENY) for m in world.board_members],
    )
    sync_access()
    assert CaseAssignment.objects.filter(
        case=referred.case, agency=world.board, end_date__isnull=True
    ).exists()
    next_plan = new_plan(world, case=referred.case)
    login(client, member)
    assert client.get(detail(referred)).status_code == 200
    assert client.get(detail(next_plan)).status_code == 404
    assert api(member).get(f"/api/v1/release-plans/{next_plan.pk}/").status_code == 404
    listed = {p["id"] for p in api(member).get("/api/v1/release-plans/").data["results"]}
    assert referred.pk in listed and next_plan.pk not in listed
    # the lead's planner sees both
    assert set(ReleasePlan.objects.restrict(fresh(world.planner)).values_list("pk", flat=True)) >= {
        referred.pk,
        next_plan.pk,
    }
    # once it is referred to the board, the board sees it
    complete_plan(world, next_plan)
    svc.submit_plan(next_plan, fresh(world.planner))
    svc.refer_to_board(next_plan, world.board, fresh(world.planner))
    assert api(member).get(f"/api/v1/release-plans/{next_plan.pk}/").status_code == 200
