"""Change previews: the registry and the two previews shipped with protocols."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cases.models import RegistrationRecord, Residence
from protocols import previews, services
from protocols.choices import ProtectedSiteKind
from protocols.models import (
    ChecklistItem,
    ContactStandard,
    ProtectedSite,
    RegistrationSchedule,
    ResidenceRestrictionRule,
)
from tests.factories import CaseFactory
from tests.factories_protocols import ContactStandardFactory, RegistrationScheduleFactory

pytestmark = pytest.mark.django_db

LAKESHORE = "Lakeshore State"


def registration(tier: str, jurisdiction: str = LAKESHORE, **extra: object) -> RegistrationRecord:
    case = CaseFactory(jurisdiction=jurisdiction)
    values = {
        "case": case,
        "registering_agency": case.lead_agency,
        "tier": tier,
        "jurisdiction": jurisdiction,
        "start_date": date(2025, 7, 10),
        "last_verified_on": date(2026, 1, 10),
        "next_verification_due": date(2026, 7, 10),
        **extra,
    }
    return RegistrationRecord.objects.create(**values)


def test_registration_preview_counts_registrations_whose_due_date_would_change() -> None:
    # given Lakeshore's tier II schedule (every 6 months) and a mix of registrations
    current = RegistrationScheduleFactory(jurisdiction=LAKESHORE, tier="II", interval=6)
    registration("II")
    registration("II", last_verified_on=None, next_verification_due=date(2026, 1, 10))
    registration("III")  # another tier
    registration("II", status="ended", end_date=date(2026, 2, 1))  # closed
    registration("II", jurisdiction="Prairie State")  # another jurisdiction
    registration("II", transient=True)  # the transient row governs it
    # when the interval would become 3 months
    proposed = services.proposed_version(current, {"interval": 3}, date(2026, 9, 1))
    text = previews.preview_change(current, proposed)
    # then the two open, non-transient tier II Lakeshore registrations are counted
    assert text == (
        "2 registrations would get a different next verification date "
        "(of 2 open in Lakeshore State, tier II)."
    )


def test_registration_preview_reports_zero_when_dates_stay() -> None:
    current = RegistrationScheduleFactory(jurisdiction=LAKESHORE, tier="II", interval=6)
    registration("II")
    proposed = services.proposed_version(current, {"due_soon_days": 30}, date(2026, 9, 1))
    assert previews.preview_change(current, proposed).startswith(
        "0 registrations would get a different next verification date (of 1 open"
    )


def test_default_schedule_preview_skips_jurisdictions_with_their_own() -> None:
    default = RegistrationScheduleFactory(jurisdiction="", tier="II", interval=6)
    RegistrationScheduleFactory(jurisdiction=LAKESHORE, tier="II", interval=3)
    registration("II", jurisdiction="Prairie State")
    registration("II", jurisdiction=LAKESHORE)
    proposed = services.proposed_version(default, {"interval": 12}, date(2026, 9, 1))
    assert "1 registration would get a different next verification date (of 1 open" in (
        previews.preview_change(default, proposed)
    )


def home(lat: str, lon: str, jurisdiction: str = LAKESHORE) -> Residence:
    case = CaseFactory(jurisdiction=jurisdiction)
    return Residence.objects.create(
        case=case,
        address="1 Fictional Way",
        housing_status="housed",
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        start_date=date(2026, 1, 1),
    )


def test_residence_preview_counts_homes_inside_the_new_distance() -> None:
    # given a school and homes about 500, 1,500 and 3,000 ft north of it (1° lat ≈ 364,000 ft)
    ProtectedSite.objects.create(
        name="Lakeshore Elementary",
        kind=ProtectedSiteKind.SCHOOL,
        jurisdiction=LAKESHORE,
        latitude=Decimal("39.000000"),
        longitude=Decimal("-95.000000"),
    )
    home("39.001374", "-95.000000")
    home("39.004121", "-95.000000")
    home("39.008242", "-95.000000")
    home("39.001374", "-95.000000", jurisdiction="Prairie State")  # no rule there
    current = ResidenceRestrictionRule.objects.create(
        effective_from=date(2025, 1, 1),
        jurisdiction=LAKESHORE,
        site_kind=ProtectedSiteKind.SCHOOL,
        distance_feet=1000,
    )
    # when the distance would become 2,000 ft
    proposed = services.proposed_version(current, {"distance_feet": 2000}, date(2026, 9, 1))
    # then two homes would be inside it, against one today
    assert previews.preview_change(current, proposed) == (
        "2 current residences in Lakeshore State would be within 2,000 ft of a school (now: 1)."
    )


def test_distance_feet_is_haversine() -> None:
    # one degree of latitude is about 364,000 ft
    assert 363_000 < previews.distance_feet(39.0, -95.0, 40.0, -95.0) < 365_500


def test_registry_returns_none_without_a_preview_and_can_be_replaced(monkeypatch) -> None:  # noqa: ANN001
    item = ChecklistItem(code="x", text="x", component="x", effective_from=date(2026, 1, 1))
    assert previews.preview_change(None, item) is None
    monkeypatch.setitem(previews._REGISTRY, ContactStandard, lambda current, proposed: "x")
    monkeypatch.setitem(
        previews._REGISTRY,
        ContactStandard,
        lambda current, proposed: f"{proposed.count} per {proposed.period_days} days",
    )
    current = ContactStandardFactory()
    proposed = services.proposed_version(current, {"count": 2}, date(2026, 9, 1))
    assert previews.preview_change(current, proposed) == "2 per 30 days"


def test_builtin_previews_are_registered_at_startup() -> None:
    assert previews.preview_for(RegistrationSchedule) is previews.registration_preview
    assert previews.preview_for(ResidenceRestrictionRule) is previews.residence_preview
