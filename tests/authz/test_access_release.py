"""Release planning beyond the generic matrix rows: the workflow actions of the plan, the plans
the board may see (only those referred to it), and the board-referral email, each persona × each
action with the expected outcome written out.

The generic rows (tests/authz/resources.py: release_plan, board_decision, alert) cover reading,
listing, exporting and PATCH; these cover the POST actions, whose answer depends on role as
well as standing: 404 where the caller may not act on the plan or review at all, 403 where it
has standing but not the role, 400 where the action is allowed but the plan's state refuses it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RecordType, Role
from cases.alerts.notify import deliver_alert_email
from cases.choices import ReleasePlanStatus
from cases.models import BoardReview, ReleasePlan
from tests.authz.conftest import client_for
from tests.authz.personas import BY_NAME, PERSONA_NAMES, Every
from tests.authz.world import World
from tests.factories_access import staff
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

REFUSED = "refused"  # anonymous / deactivated: 401 or 403 from the API, nothing done

# persona -> status code of POST .../hearing/ on a plan under review by PPRB
HEARING = {
    "lead_case_manager": 403,  # standing on the review, but not a member of the board
    "lead_release_planner": 404,  # sees the plan, may not add to the board's review
    "partner_assigned": 404,
    "partner_unassigned": 404,
    "partner_expired": 404,
    "agency_without_mou": 404,
    "victim_advocate": 404,  # sees the plan's victim-safe fields only
    "board_member": 200,
    "treatment_provider": 404,
    "registry_officer": 404,
    "analyst": 404,
    "deactivated_user": REFUSED,
    "anonymous": REFUSED,
}
# persona -> status code of POST .../home-investigation/ on the returned (editable) plan
HOME_INVESTIGATION = {
    "lead_case_manager": 403,  # may change the plan, but only an officer investigates
    "lead_release_planner": 403,
    "partner_assigned": 404,  # its terms share no release plans
    "partner_unassigned": 404,
    "partner_expired": 404,
    "agency_without_mou": 404,
    "victim_advocate": 404,
    "board_member": 404,  # the board reads plans; it does not change them
    "treatment_provider": 404,
    "registry_officer": 404,
    "analyst": 404,
    "deactivated_user": REFUSED,
    "anonymous": REFUSED,
}
# persona -> status code of POST .../restriction-check/
RESTRICTION_CHECK = {
    **{name: 404 for name in PERSONA_NAMES},
    "lead_case_manager": 200,
    "lead_release_planner": 200,
    "deactivated_user": REFUSED,
    "anonymous": REFUSED,
}


def test_the_tables_cover_every_persona() -> None:
    for table in (HEARING, HOME_INVESTIGATION, RESTRICTION_CHECK):
        assert set(table) == set(PERSONA_NAMES)


def plan_of(world: World) -> ReleasePlan:
    return world.samples["release_plan"]


def post(world: World, persona_name: str, url: str, body: dict, *, version: bool = True):
    plan = ReleasePlan.objects.unrestricted().get(pk=plan_of(world).pk)
    headers = {"HTTP_IF_MATCH": f'"{plan.version}"'} if version else {}
    client = client_for(world, BY_NAME[persona_name])
    return client.post(url, body, content_type="application/json", **headers)


def assert_answer(response, expected) -> None:
    if expected == REFUSED:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == expected, response.content


@pytest.mark.parametrize("persona_name", PERSONA_NAMES)
def test_hearing(world: World, persona_name: str) -> None:
    # given the sample plan back under review by PPRB (this test's savepoint only)
    plan = plan_of(world)
    ReleasePlan.objects.filter(pk=plan.pk).update(status=ReleasePlanStatus.UNDER_REVIEW)
    review = world.samples["board_review"]
    when = (timezone.localtime() + dt.timedelta(days=14)).replace(microsecond=0)
    before = BoardReview.objects.get(pk=review.pk).hearing_location
    # when the persona schedules the hearing
    response = post(
        world,
        persona_name,
        f"/api/v1/release-plans/{plan.pk}/hearing/",
        {"hearing_date": when.isoformat(), "hearing_location": "Annex hearing room"},
    )
    # then only a member of the board it is referred to succeeds
    assert_answer(response, HEARING[persona_name])
    after = BoardReview.objects.get(pk=review.pk).hearing_location
    assert after == ("Annex hearing room" if response.status_code == 200 else before)


def test_hearing_once_returned_is_refused_by_state_not_by_access(world: World) -> None:
    # the board member may act on the review, but the returned plan is no longer under review
    plan = plan_of(world)
    response = post(
        world, "board_member", f"/api/v1/release-plans/{plan.pk}/hearing/", {"hearing_date": None}
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


@pytest.mark.parametrize("persona_name", PERSONA_NAMES)
def test_home_investigation(world: World, persona_name: str) -> None:
    plan = plan_of(world)
    response = post(
        world,
        persona_name,
        f"/api/v1/release-plans/{plan.pk}/home-investigation/",
        {"residence_approved": False, "home_investigated_on": dt.date.today().isoformat()},
    )
    assert_answer(response, HOME_INVESTIGATION[persona_name])
    assert ReleasePlan.objects.unrestricted().get(pk=plan.pk).residence_approved is None


def test_home_investigation_by_a_lead_supervision_officer(world: World) -> None:
    # the role the action is for (not a persona of its own: the lead agency's officer)
    from django.test import Client

    officer = staff(world.agencies["PDOC"], Role.SUPERVISION_OFFICER)
    client = Client()
    otp_login(client, officer.user)
    plan = plan_of(world)
    response = client.post(
        f"/api/v1/release-plans/{plan.pk}/home-investigation/",
        {"residence_approved": True, "home_investigated_on": dt.date.today().isoformat()},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{plan.version}"',
    )
    assert response.status_code == 200, response.content
    assert ReleasePlan.objects.unrestricted().get(pk=plan.pk).home_investigated_by == officer


@pytest.mark.parametrize("persona_name", PERSONA_NAMES)
def test_restriction_check(world: World, persona_name: str) -> None:
    plan = plan_of(world)
    response = post(world, persona_name, f"/api/v1/release-plans/{plan.pk}/restriction-check/", {})
    assert_answer(response, RESTRICTION_CHECK[persona_name])
    if response.status_code == 200:
        assert response.json()["restriction_check"]["status"]


# ---------------------------------------------------------------- only plans referred to the board


@pytest.fixture
def unreferred(world: World) -> ReleasePlan:
    """A plan on the other case of the lead agency: the board is not on its team."""
    return ReleasePlan.objects.create(
        case=world.other_case,
        status=ReleasePlanStatus.SUBMITTED,
        release_date=dt.date.today() + dt.timedelta(days=20),
    )


def test_board_member_sees_only_the_plan_referred_to_the_board(
    world: World, unreferred: ReleasePlan
) -> None:
    client = client_for(world, BY_NAME["board_member"])
    referred = plan_of(world)
    # the referred plan on every channel
    assert client.get(f"/api/v1/release-plans/{referred.pk}/").status_code == 200
    assert client.get(reverse("cases:release-plan-detail", args=[referred.pk])).status_code == 200
    # the other plan: 404 on every channel, and absent from the lists and the queue
    assert client.get(f"/api/v1/release-plans/{unreferred.pk}/").status_code == 404
    for name in ("cases:release-plan-detail", "cases:release-plan-packet"):
        assert client.get(reverse(name, args=[unreferred.pk])).status_code == 404
    ids = [row["id"] for row in client.get("/api/v1/release-plans/").json()["results"]]
    assert ids == [referred.pk]
    link = reverse("cases:release-plan-detail", args=[unreferred.pk])
    for page in ("cases:release-plan-list", "cases:release-board-queue"):
        assert link not in client.get(reverse(page)).content.decode()


def test_a_member_of_another_board_sees_no_plan(world: World) -> None:
    from django.test import Client

    from tests.factories_access import agency

    other_board = agency("OPRB", name="Other Parole Board", kind="parole_board")
    member = staff(other_board, Role.BOARD_MEMBER)
    client = Client()
    otp_login(client, member.user)
    plan = plan_of(world)
    assert client.get(f"/api/v1/release-plans/{plan.pk}/").status_code == 404
    assert client.get(reverse("cases:release-plan-detail", args=[plan.pk])).status_code == 404
    assert client.get("/api/v1/release-plans/").json()["results"] == []
    decision = world.samples["board_decision"]
    assert client.get(f"/api/v1/board-decisions/{decision.pk}/").status_code == 404


# ---------------------------------------------------------------- the notification channel


@pytest.mark.parametrize("persona_name", [n for n in PERSONA_NAMES if n != "anonymous"])
def test_board_referral_email_body(world: World, persona_name: str) -> None:
    # given the sample board-referral alert addressed (for this test) to the persona
    persona = BY_NAME[persona_name]
    user = world.users[persona_name]
    user.email = f"{persona_name}@authz.example"
    user.save(update_fields=["email"])
    alert = world.samples["alert"]
    mail.outbox.clear()
    # when the outbox delivers an alert email to the persona
    deliver_alert_email({"staff_id": user.staff.pk, "alert_ids": [alert.pk], "reason": "referred"})
    # then only those who may see the alert get it, with only the facts their terms share
    may_see_alert = persona.signed_in and persona.fields(RecordType.STATUS) is not None
    assert len(mail.outbox) == (1 if may_see_alert else 0)
    if not may_see_alert:
        return
    body = mail.outbox[0].body
    planner = alert.facts["planner_name"]
    fields = persona.fields(RecordType.RELEASE_PLANS)
    shared = isinstance(fields, Every) or (fields is not None and "planner_name" in fields)
    assert (planner in body) is shared
