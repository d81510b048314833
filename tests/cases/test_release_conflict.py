"""Two people editing the same plan never silently overwrite each other (service, page, API)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.choices import ReleasePlanStatus
from cases.models import ReleasePlan
from cases.services import release as svc
from tests.factories_release import build_world, complete_plan, fresh, login, new_plan
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_stale_service_edit_changes_nothing_and_says_who_and_when(world) -> None:
    # given two planners who opened version 1
    plan = new_plan(world)
    opened = plan.version
    svc.update_plan(
        plan, fresh(world.planner), expected_version=opened, changes={"landlord": "First"}
    )
    # when the second saves on the version they opened
    with pytest.raises(svc.PlanConflict) as conflict:
        svc.update_plan(
            plan,
            fresh(world.case_manager),
            expected_version=opened,
            changes={"landlord": "Second", "employment": "Second's job"},
            household=[{"name": "Nobody", "relationship": "friend", "age": 30}],
        )
    # then the first save stands and nothing of the second was written
    plan.refresh_from_db()
    assert plan.landlord == "First"
    assert plan.employment == ""
    assert plan.household_members.count() == 0
    assert plan.version == opened + 1
    message = conflict.value.message
    assert "Someone else" in message and world.planner.user.username in message
    assert "Reload the plan" in message
    assert f"version {opened + 1}" in message


def test_stale_workflow_action_is_a_conflict(world) -> None:
    plan = complete_plan(world, new_plan(world))
    opened = plan.version
    svc.update_plan(plan, fresh(world.planner), expected_version=opened, changes={"landlord": "X"})
    with pytest.raises(svc.PlanConflict):
        svc.submit_plan(plan, fresh(world.case_manager), expected_version=opened)
    assert ReleasePlan.objects.get(pk=plan.pk).status == ReleasePlanStatus.DRAFT


def test_edit_without_a_version_is_refused(world) -> None:
    plan = new_plan(world)
    with pytest.raises(Exception, match="version"):
        svc.update_plan(plan, fresh(world.planner), expected_version=None, changes={})


def _form_data(plan: ReleasePlan, **overrides) -> dict:
    data = {
        "version": plan.version,
        "release_date": plan.release_date.isoformat(),
        "residence_address": plan.residence_address,
        "landlord": plan.landlord,
        "household-TOTAL_FORMS": "0",
        "household-INITIAL_FORMS": "0",
        "victims-TOTAL_FORMS": "0",
        "victims-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_page_save_then_stale_page_save_is_refused_with_a_conflict_message(client, world) -> None:
    # given a planner and a case manager who both opened the edit page at the same version
    plan = new_plan(world)
    stale = _form_data(plan, landlord="Case manager's landlord")
    login(client, world.planner)
    first = client.post(
        reverse("cases:release-plan-edit", args=[plan.pk]), _form_data(plan, landlord="Planner's")
    )
    assert first.status_code == 302
    # when the case manager saves on the version they opened
    otp_login(client, world.case_manager.user)
    response = client.post(reverse("cases:release-plan-edit", args=[plan.pk]), stale)
    # then the save is refused with a form error saying someone else saved, and to reload
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else" in html and "saved this release plan at" in html
    assert "Reload the plan" in html
    plan.refresh_from_db()
    assert plan.landlord == "Planner's"


def test_page_save_with_current_version_succeeds(client, world) -> None:
    plan = new_plan(world)
    login(client, world.planner)
    response = client.post(
        reverse("cases:release-plan-edit", args=[plan.pk]),
        _form_data(
            plan,
            landlord="Fictional Property Co.",
            **{
                "household-TOTAL_FORMS": "1",
                "household-0-name": "Little Fictitious",
                "household-0-relationship": "nephew",
                "household-0-age": "9",
            },
        ),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.landlord == "Fictional Property Co."
    member = plan.household_members.get()
    assert member.is_minor is True  # under 18: flagged even though the box was not ticked


def test_edit_page_renders_for_the_planner(client, world) -> None:
    plan = new_plan(world)
    login(client, world.planner)
    response = client.get(reverse("cases:release-plan-edit", args=[plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="version" value="{plan.version}"' in html
    assert "<legend" in html and "Residence" in html
    assert "Maintenance polygraph" in html  # the catalogue in force


# ---------------------------------------------------------------- API


def api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def test_api_get_returns_an_etag(world) -> None:
    plan = new_plan(world)
    response = api(world.planner).get(f"/api/v1/release-plans/{plan.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{plan.version}"'
    assert response.data["version"] == plan.version


def test_api_patch_with_if_match(world) -> None:
    plan = new_plan(world)
    response = api(world.planner).patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"landlord": "Via API"},
        format="json",
        HTTP_IF_MATCH=f'"{plan.version}"',
    )
    assert response.status_code == 200, response.data
    assert response["ETag"] == f'"{plan.version + 1}"'
    assert ReleasePlan.objects.get(pk=plan.pk).landlord == "Via API"


def test_api_stale_if_match_is_412_problem_and_changes_nothing(world) -> None:
    plan = new_plan(world)
    stale = plan.version
    api(world.planner).patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"landlord": "First"},
        format="json",
        HTTP_IF_MATCH=f'"{stale}"',
    )
    response = api(world.case_manager).patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"landlord": "Second"},
        format="json",
        HTTP_IF_MATCH=f'"{stale}"',
    )
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert "Someone else" in response.data["detail"]
    assert ReleasePlan.objects.get(pk=plan.pk).landlord == "First"


def test_api_stale_body_version_is_409(world) -> None:
    plan = new_plan(world)
    stale = plan.version
    client = api(world.planner)
    client.patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"landlord": "First", "version": stale},
        format="json",
    )
    response = client.patch(
        f"/api/v1/release-plans/{plan.pk}/",
        {"landlord": "Second", "version": stale},
        format="json",
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert ReleasePlan.objects.get(pk=plan.pk).landlord == "First"


def test_api_patch_without_version_is_428(world) -> None:
    plan = new_plan(world)
    response = api(world.planner).patch(
        f"/api/v1/release-plans/{plan.pk}/", {"landlord": "Blind"}, format="json"
    )
    assert response.status_code == 428
    assert ReleasePlan.objects.get(pk=plan.pk).landlord == ""


def test_api_wildcard_if_match_is_refused(world) -> None:
    plan = new_plan(world)
    response = api(world.planner).patch(
        f"/api/v1/release-plans/{plan.pk}/", {"landlord": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400


def test_api_stale_workflow_action_is_412(world) -> None:
    plan = complete_plan(world, new_plan(world))
    response = api(world.planner).post(
        f"/api/v1/release-plans/{plan.pk}/submit/",
        {},
        format="json",
        HTTP_IF_MATCH=f'"{plan.version + 5}"',
    )
    assert response.status_code == 412
    assert ReleasePlan.objects.get(pk=plan.pk).status == ReleasePlanStatus.DRAFT
