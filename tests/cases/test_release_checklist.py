"""The release-planning checklist in force gates submission and says exactly what is missing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.choices import HousingStatus, ReleasePlanStatus
from cases.models import ReleasePlan
from cases.services import release as svc
from tests.factories_release import (
    CHECKLIST,
    ChecklistItemFactory,
    build_world,
    complete_plan,
    fresh,
    login,
    new_plan,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_empty_plan_lists_every_required_item_as_missing(world) -> None:
    # given a new draft plan
    plan = new_plan(world)
    # when the checklist is evaluated
    missing = svc.missing_items(plan)
    # then every required item of the protocol in force is listed, in protocol order
    assert [m.code for m in missing] == [code for code, _, _ in CHECKLIST]


def test_submit_is_refused_with_the_exact_list_of_missing_items(world) -> None:
    # given a plan complete except for the home investigation and pre-registration
    plan = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(residence_approved=None, pre_registered=False)
    plan.refresh_from_db()
    # when the planner submits it
    with pytest.raises(ValidationError) as refused:
        svc.submit_plan(plan, fresh(world.planner))
    # then exactly those two items are named, and the plan is still a draft
    messages = refused.value.message_dict["checklist"]
    assert len(messages) == 2
    assert messages[0].startswith("Home investigation completed and residence approved")
    assert messages[1].startswith("Pre-registered with the registry")
    plan.refresh_from_db()
    assert plan.status == ReleasePlanStatus.DRAFT
    assert plan.submitted_at is None


def test_complete_plan_is_submitted(world) -> None:
    plan = complete_plan(world, new_plan(world))
    version = plan.version
    svc.submit_plan(plan, fresh(world.planner), expected_version=version)
    plan.refresh_from_db()
    assert plan.status == ReleasePlanStatus.SUBMITTED
    assert plan.submitted_at is not None
    assert plan.version == version + 1


@pytest.mark.parametrize(
    ("change", "missing_code"),
    [
        ({"residence_address": "", "housing_status": HousingStatus.WITH_FAMILY}, "residence"),
        ({"residence_approved": False}, "home-visit"),
        ({"treatment_intake_date": None}, "treatment"),
        ({"employment": "", "income_source": ""}, "employment"),
        ({"notification_wishes": ""}, "victim-safety"),
        (
            {"transition_services": {"id": "ordered", "benefits": "", "medication": "x"}},
            "transition",
        ),
        ({"pre_registered": False}, "pre-registration"),
        ({"supervision_agency": None, "supervision_officer": None}, "supervision"),
    ],
)
def test_each_component_predicate(world, change, missing_code) -> None:
    # given a complete plan with one component emptied
    plan = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(**change)
    plan.refresh_from_db()
    # then exactly that item is missing
    assert [m.code for m in svc.missing_items(plan)] == [missing_code]


def test_transient_housing_satisfies_residence_and_restriction_items(world) -> None:
    plan = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(
        residence_address="", housing_status=HousingStatus.TRANSIENT
    )
    plan.refresh_from_db()
    plan.restriction_check = svc.residence_restriction_check(plan)
    codes = [m.code for m in svc.missing_items(plan)]
    assert "residence" not in codes and "restriction" not in codes


def test_no_conditions_is_missing(world) -> None:
    plan = complete_plan(world, new_plan(world))
    plan.conditions.all().delete()
    assert [m.code for m in svc.missing_items(plan)] == ["conditions"]


def test_unmapped_component_is_confirmed_by_hand(world) -> None:
    # given a protocol item whose component has no data predicate
    ChecklistItemFactory(code="orientation", text="Pre-release orientation held", component="x")
    plan = complete_plan(world, new_plan(world))
    assert [m.code for m in svc.missing_items(plan)] == ["orientation"]
    # when the planner ticks it on the plan
    svc.update_plan(
        plan, fresh(world.planner), expected_version=plan.version, checklist={"orientation": True}
    )
    plan.refresh_from_db()
    # then nothing is missing
    assert svc.missing_items(plan) == []


def test_optional_items_do_not_gate(world) -> None:
    ChecklistItemFactory(
        code="faith", text="Faith community contact", component="x", required=False
    )
    plan = complete_plan(world, new_plan(world))
    assert svc.missing_items(plan) == []
    assert any(e.code == "faith" and not e.done for e in svc.evaluate_checklist(plan))


def test_only_items_in_force_count(world) -> None:
    # an item that ended yesterday, and one that starts tomorrow, do not gate
    ChecklistItemFactory(code="old", text="Old item", component="x", effective_to=today())
    ChecklistItemFactory(
        code="future",
        text="Future item",
        component="x",
        effective_from=today() + dt.timedelta(days=1),
    )
    plan = complete_plan(world, new_plan(world))
    assert svc.missing_items(plan) == []


def test_jurisdiction_without_checklist_does_not_gate() -> None:
    world = build_world(checklist=False)
    plan = new_plan(world)
    assert svc.missing_items(plan) == []


def test_plan_page_lists_missing_items_and_submit_page_refuses(client, world) -> None:
    # given a plan missing its treatment intake date
    plan = complete_plan(world, new_plan(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(treatment_intake_date=None)
    login(client, world.planner)
    # when the planner opens the plan
    page = client.get(reverse("cases:release-plan-detail", args=[plan.pk]))
    # then the checklist panel names exactly what is missing
    html = page.content.decode()
    assert "1 required item missing" in html
    assert "Treatment referral and intake appointment" in html
    # when they submit anyway
    response = client.post(
        reverse("cases:release-plan-submit", args=[plan.pk]), {"version": plan.version}
    )
    # then the submission is refused with the list, and nothing changed
    assert response.status_code == 400
    assert "Treatment referral and intake appointment — needs a treatment referral" in (
        response.content.decode()
    )
    plan.refresh_from_db()
    assert plan.status == ReleasePlanStatus.DRAFT
