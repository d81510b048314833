"""Residence-restriction check: haversine feet against the distance the protocol in force sets."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import geo
from cases.choices import HousingStatus
from cases.models import ReleasePlan
from cases.services import release as svc
from protocols.choices import ProtectedSiteKind
from tests.factories_release import (
    HOME,
    RestrictionRuleFactory,
    build_world,
    fresh,
    new_case,
    new_plan,
    site_at_feet,
)

pytestmark = pytest.mark.django_db


def test_haversine_known_distance() -> None:
    # one degree along a meridian of the mean sphere is 111,195 m = 364,813 ft
    assert geo.haversine_feet(38, -97, 39, -97) == pytest.approx(364_813, rel=1e-4)
    assert geo.haversine_feet(38.9, -97.6, 38.9, -97.6) == 0


def test_offset_north_round_trips() -> None:
    lat = geo.offset_north(HOME[0], 1000)
    assert geo.haversine_feet(HOME[0], HOME[1], lat, HOME[1]) == pytest.approx(1000, abs=0.01)


def _plan_at_home(world) -> ReleasePlan:
    plan = new_plan(world)
    ReleasePlan.objects.filter(pk=plan.pk).update(
        residence_address="12 Fictional Lane",
        residence_latitude=HOME[0],
        residence_longitude=HOME[1],
        housing_status=HousingStatus.HOUSED,
    )
    plan.refresh_from_db()
    return plan


def test_school_at_999_feet_is_a_violation() -> None:
    # given a 1,000 ft school rule and a school 999 ft away
    world = build_world()
    site = site_at_feet(999, name="Meadowlark Elementary")
    plan = _plan_at_home(world)
    # when the check runs
    result = svc.residence_restriction_check(plan)
    # then it is a violation naming the school and distance
    assert result["status"] == "violation"
    assert result["applies"] is True
    assert result["nearest"]["site_id"] == site.pk
    assert result["nearest"]["distance_feet"] == pytest.approx(999, abs=1)
    assert result["violations"][0]["limit_feet"] == 1000
    assert "Meadowlark Elementary" in result["message"]


def test_school_at_1001_feet_is_compliant_and_reported_as_nearest() -> None:
    world = build_world()
    site = site_at_feet(1001, name="Meadowlark Elementary")
    plan = _plan_at_home(world)
    result = svc.residence_restriction_check(plan)
    assert result["status"] == "compliant"
    assert result["violations"] == []
    assert result["nearest"]["site_id"] == site.pk
    assert result["nearest"]["distance_feet"] == pytest.approx(1001, abs=1)


def test_site_kinds_without_a_rule_are_ignored() -> None:
    # a park 100 ft away does not matter where only schools are restricted
    world = build_world()
    site_at_feet(100, kind=ProtectedSiteKind.PARK)
    plan = _plan_at_home(world)
    result = svc.residence_restriction_check(plan)
    assert result["status"] == "compliant"
    assert result["nearest"] is None


def test_sites_in_another_jurisdiction_are_ignored() -> None:
    world = build_world()
    site_at_feet(10, jurisdiction="Elsewhere")
    plan = _plan_at_home(world)
    assert svc.residence_restriction_check(plan)["status"] == "compliant"


def test_jurisdiction_without_a_rule_has_no_restriction() -> None:
    # given no rule in force (NIJ: check only where a protocol sets a distance)
    world = build_world(restriction=False)
    site_at_feet(10)
    plan = _plan_at_home(world)
    result = svc.residence_restriction_check(plan)
    assert result["status"] == "no_restriction"
    assert result["applies"] is False
    assert "No residence restriction applies" in result["message"]


def test_rule_in_force_on_the_release_date_applies() -> None:
    # given a rule that starts after the planned release date
    world = build_world(restriction=False)
    plan = _plan_at_home(world)
    RestrictionRuleFactory(effective_from=plan.release_date + dt.timedelta(days=1))
    site_at_feet(500)
    assert svc.residence_restriction_check(plan)["status"] == "no_restriction"
    # when the release date moves past its start
    plan.release_date = plan.release_date + dt.timedelta(days=2)
    assert svc.residence_restriction_check(plan)["status"] == "violation"


def test_transient_and_missing_coordinates() -> None:
    world = build_world()
    plan = new_plan(world)
    plan.housing_status = HousingStatus.TRANSIENT
    assert svc.residence_restriction_check(plan)["status"] == "not_applicable"
    plan.housing_status = HousingStatus.HOUSED
    assert svc.residence_restriction_check(plan)["status"] == "not_checked"


def test_saving_a_new_address_stores_the_check_and_clears_the_approval() -> None:
    # given an approved residence far from any school
    world = build_world()
    site_at_feet(600, name="Prairie Dog Preschool", kind=ProtectedSiteKind.SCHOOL)
    plan = new_plan(world, case=new_case(world))
    ReleasePlan.objects.filter(pk=plan.pk).update(residence_approved=True)
    plan.refresh_from_db()
    # when the planner moves the residence next to the school
    svc.update_plan(
        plan,
        fresh(world.planner),
        expected_version=plan.version,
        changes={
            "residence_address": "9 Fictional Court",
            "residence_latitude": HOME[0],
            "residence_longitude": HOME[1],
        },
    )
    plan.refresh_from_db()
    # then the stored check reports the school and the old approval no longer holds
    assert plan.restriction_check["status"] == "violation"
    assert plan.restriction_check["nearest"]["name"] == "Prairie Dog Preschool"
    assert plan.residence_approved is None
    assert "restriction" in [m.code for m in svc.missing_items(plan)]


def test_rerun_from_the_page_after_a_site_opens(client) -> None:
    from django.urls import reverse

    from tests.factories_release import login

    # given a compliant residence
    world = build_world()
    plan = _plan_at_home(world)
    ReleasePlan.objects.filter(pk=plan.pk).update(
        restriction_check=svc.residence_restriction_check(plan)
    )
    assert ReleasePlan.objects.get(pk=plan.pk).restriction_check["status"] == "compliant"
    # when a school opens 400 ft away and the planner re-runs the check
    site_at_feet(400, name="New Sunflower Academy")
    login(client, world.planner)
    response = client.post(
        reverse("cases:release-plan-restriction-check", args=[plan.pk]), {"version": plan.version}
    )
    # then the stored result reports the violation, shown on the plan page
    assert response.status_code == 302
    check = ReleasePlan.objects.get(pk=plan.pk).restriction_check
    assert check["status"] == "violation"
    page = client.get(reverse("cases:release-plan-detail", args=[plan.pk])).content.decode()
    assert "New Sunflower Academy" in page
