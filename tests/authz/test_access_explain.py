"""'Why can I see this?' / 'why not?': the explainer names the lead agency, the MOU term and
its fields, or what is missing, expired or not allowed; as a page and an API answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RecordType
from cases.services.access import explain
from mou.choices import MOUStatus
from tests.authz.conftest import client_for
from tests.authz.personas import BY_NAME, VA_STATUS
from tests.authz.world import World

pytestmark = pytest.mark.django_db


def line(world: World, persona: str, record_type: str) -> Any:
    user = type(world.users[persona]).objects.get(pk=world.users[persona].pk)
    [row] = [r for r in explain(user, world.case).record_types if r.record_type == record_type]
    return row


def test_the_lead_agency_has_full_standing(world: World) -> None:
    row = line(world, "lead_case_manager", RecordType.POLYGRAPH)
    assert row.visible and row.all_fields
    assert row.reasons == [
        "Your agency, Prairie Dept. of Corrections, is the lead agency on this case: full standing."
    ]


def test_a_partner_sees_the_term_that_grants_standing_and_its_fields(world: World) -> None:
    row = line(world, "victim_advocate", RecordType.STATUS)
    assert row.visible and row.fields == sorted(VA_STATUS) and row.actions == ["view"]
    [reason] = row.reasons
    assert reason.startswith("MOU “Prairie partners (active)” term #")
    assert "(all cases of the lead agency) shares" in reason


def test_assigned_scope_without_the_team_is_explained(world: World) -> None:
    row = line(world, "partner_unassigned", RecordType.STATUS)
    assert not row.visible
    assert "covers assigned cases only and your agency is not on the case team" in row.reasons[0]


def test_an_expired_mou_is_named_with_its_date(world: World) -> None:
    row = line(world, "partner_expired", RecordType.IDENTITY)
    mou = world.mous["expired"]
    assert not row.visible
    assert row.reasons == [f"MOU “{mou.title}” expired on {mou.expiration_date}."]


def test_a_terminated_mou_is_named_with_its_reason(world: World) -> None:
    mou = world.mous["active"]
    mou.status, mou.termination_reason, mou.ended_at = (
        MOUStatus.TERMINATED,
        "Grant funding ended.",
        timezone.now(),
    )
    mou.save()
    row = line(world, "partner_assigned", RecordType.STATUS)
    assert not row.visible
    assert row.reasons[0].endswith(
        f"was terminated on {timezone.localdate()}: Grant funding ended."
    )


def test_a_role_that_may_not_view_a_record_type_is_named(world: World) -> None:
    row = line(world, "victim_advocate", RecordType.POLYGRAPH)
    assert not row.visible
    assert "Your role (Victim advocate) may not view polygraph." in row.reasons


def test_an_agency_without_any_term_is_told_so(world: World) -> None:
    row = line(world, "agency_without_mou", RecordType.STATUS)
    assert row.reasons == [
        "No MOU term shares case status and supervision of Prairie Dept. of Corrections's cases "
        "with your agency, Westfield Housing Authority."
    ]


def test_explainer_page_and_api_answer_for_visible_cases_and_404_otherwise(world: World) -> None:
    partner = client_for(world, BY_NAME["treatment_provider"])
    page = partner.get(reverse("cases:case_access", args=[world.case.pk]))
    assert page.status_code == 200
    assert "Your role (Treatment provider) may not view registration" in page.content.decode()
    answer = partner.get(reverse("case-access", args=[world.case.pk])).json()
    treatment = next(r for r in answer["record_types"] if r["record_type"] == "treatment")
    assert treatment["visible"] and treatment["actions"] == ["view", "add"]
    outsider = client_for(world, BY_NAME["partner_unassigned"])
    assert outsider.get(reverse("cases:case_access", args=[world.case.pk])).status_code == 404
    assert outsider.get(reverse("case-access", args=[world.case.pk])).status_code == 404
