"""load_standards: the defaults from domain.md, idempotent, and docs/standards.md in sync."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from protocols import lookups, services
from protocols.choices import ContactRequirement, RegistrationRule, VersionStatus
from protocols.defaults import describe_defaults, us_federal_holidays
from protocols.models import (
    AlertSetting,
    ChecklistItem,
    ContactStandard,
    Holiday,
    LevelMapping,
    Protocol,
    ProtocolVersion,
    ReassessmentInterval,
    RegistrationSchedule,
    ResidenceRestrictionRule,
    SpecialCondition,
)
from sartcm.models import AuditEvent

pytestmark = pytest.mark.django_db

MODELS = [
    Protocol,
    ProtocolVersion,
    ContactStandard,
    RegistrationSchedule,
    ReassessmentInterval,
    LevelMapping,
    ChecklistItem,
    SpecialCondition,
    ResidenceRestrictionRule,
    AlertSetting,
    Holiday,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def load() -> str:
    out = StringIO()
    call_command("load_standards", stdout=out)
    return out.getvalue()


def test_running_twice_changes_nothing() -> None:
    first_output = load()
    after_first = counts()
    audits = AuditEvent.objects.count()
    second_output = load()
    assert counts() == after_first
    assert AuditEvent.objects.count() == audits
    assert "Created" in first_output
    assert "Nothing to do" in second_output
    assert after_first == {
        "Protocol": 8,
        "ProtocolVersion": 8,
        "ContactStandard": 12,
        "RegistrationSchedule": 7,
        "ReassessmentInterval": 3,
        "LevelMapping": 5,
        "ChecklistItem": 10,
        "SpecialCondition": 9,
        "ResidenceRestrictionRule": 3,
        "AlertSetting": 15,  # one per alert rule
        "Holiday": 44,
    }


def test_a_superseded_default_is_not_reloaded() -> None:
    load()
    old = ContactStandard.objects.get(
        jurisdiction="", supervision_level="high", requirement=ContactRequirement.FACE_TO_FACE
    )
    services.supersede(old, {"count": 3}, timezone.localdate(), None)
    before = counts()
    load()
    assert counts() == before
    today = lookups.contact_standard(
        "high", ContactRequirement.FACE_TO_FACE, "", timezone.localdate()
    )
    assert today.count == 3


def test_the_defaults_say_what_domain_md_says() -> None:
    load()
    on = date(2026, 3, 1)
    # SORNA tiers and Prairie State's own rule
    assert [
        (s.tier, s.interval, s.period_years)
        for s in RegistrationSchedule.objects.filter(jurisdiction="").order_by("tier")
    ] == [("I", 12, 15), ("II", 6, 25), ("III", 3, None)]
    prairie = lookups.registration_schedule_for("III", "Prairie State", False, on)
    assert prairie.rule == RegistrationRule.BIRTH_MONTH_QUARTERLY
    transient = lookups.registration_schedule_for("I", "Prairie State", True, on)
    assert (transient.rule, transient.interval) == (RegistrationRule.TRANSIENT_DAYS, 30)
    # the Idaho contact table and its first-contact deadlines
    table = {
        (c.supervision_level, c.requirement): (c.count, c.period_days, c.initial_deadline)
        for c in lookups.contact_standards_on(on, "Prairie State")
    }
    assert len(table) == 12
    assert table[("high", "face_to_face")] == (2, 30, 3)
    assert table[("low", "home_visit")] == (1, 90, 30)
    assert table[("moderate", "treatment_collateral")] == (1, 30, 14)
    assert table[("high", "employment_verification")] == (1, 30, None)
    # instruments
    assert lookups.reassessment_interval("stable-2007", "low", "", on).interval_days == 182
    assert lookups.reassessment_interval("acute-2007", "high", "", on).interval_days == 30
    assert lookups.reassessment_interval("acute-2007", "low", "", on) is None
    assert lookups.reassessment_interval("static-99r", "high", "", on) is None
    assert {m.assessment_level: m.supervision_level for m in LevelMapping.objects.all()} == {
        "I": "low",
        "II": "low",
        "III": "moderate",
        "IVa": "high",
        "IVb": "high",
    }
    # checklist, conditions, residence restrictions (Lakeshore only), alert settings
    assert len(lookups.checklist_on(on, "Prairie State")) == 10
    assert "no-unsupervised-minors" in {c.code for c in lookups.conditions_catalogue(on)}
    assert lookups.restriction_rules("Prairie State", on) == []
    assert {r.distance_feet for r in lookups.restriction_rules("Lakeshore State", on)} == {1000}
    assert lookups.alert_setting("mou_expiring", "Prairie State", on).due_soon_days == 60
    assert lookups.alert_setting("registration_due_soon", "", on).due_soon_days == 14
    # every standard cites the adopted default protocol version that sets it
    assert not ContactStandard.objects.filter(protocol_version__isnull=True).exists()
    assert ContactStandard.objects.first().protocol_version.status == VersionStatus.ADOPTED


def test_federal_holidays_are_on_their_observed_days() -> None:
    days = dict(us_federal_holidays(2026))
    assert days[date(2026, 7, 3)] == "Independence Day (observed)"  # 4 July is a Saturday
    assert days[date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[date(2026, 5, 25)] == "Memorial Day"
    assert date(2027, 12, 31) in dict(us_federal_holidays(2028))  # New Year 2028 is a Saturday
    assert len(us_federal_holidays(2027)) == 11


def test_docs_standards_md_matches_the_data() -> None:
    committed = (Path(settings.BASE_DIR) / "docs" / "standards.md").read_text()
    assert committed == describe_defaults(), (
        "docs/standards.md is stale: run manage.py load_standards --describe > docs/standards.md"
    )
