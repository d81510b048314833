"""Standards as data: versioning by date, supersede, refused input, and the in-force lookups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from protocols import lookups, services
from protocols.choices import (
    AlertRuleCode,
    ConditionCategory,
    ContactRequirement,
    ProtectedSiteKind,
    RegistrationRule,
    SupervisionLevel,
)
from protocols.models import (
    ChecklistItem,
    ContactStandard,
    LevelMapping,
    ReassessmentInterval,
    RegistrationSchedule,
    ResidenceRestrictionRule,
    SpecialCondition,
)
from sartcm.models import AuditEvent
from tests.factories_protocols import (
    ContactStandardFactory,
    RegistrationScheduleFactory,
    make_personas,
)

pytestmark = pytest.mark.django_db

F2F = ContactRequirement.FACE_TO_FACE
MODERATE = SupervisionLevel.MODERATE


def last_march() -> date:
    """The 15th of the most recent March before today."""
    today = timezone.localdate()
    year = today.year if today.month > 3 else today.year - 1
    return date(year, 3, 15)


# --------------------------------------------------------------------------- versioning


def test_a_date_in_last_march_uses_last_marchs_standard() -> None:
    # given a standard of 1 face-to-face per 30 days since 2025, replaced (by a system load)
    # from the 1st of May after last March with 2 per 30 days
    march = last_march()
    changed_on = date(march.year, 5, 1)
    old = ContactStandardFactory(effective_from=date(2025, 1, 1), count=1)
    new = services.supersede(old, {"count": 2}, changed_on, user=None)
    # when the standard is looked up for last March and for the change date
    in_march = lookups.contact_standard(MODERATE, F2F, "Prairie State", march)
    on_change = lookups.contact_standard(MODERATE, F2F, "Prairie State", changed_on)
    the_day_before = lookups.contact_standard(
        MODERATE, F2F, "Prairie State", changed_on - timedelta(days=1)
    )
    # then last March (and the day before the change) uses the old row, the change date the new
    assert in_march.pk == old.pk and in_march.count == 1
    assert the_day_before.pk == old.pk
    assert on_change.pk == new.pk and on_change.count == 2


def test_supersede_closes_the_current_period_and_keeps_the_key() -> None:
    # given an open-ended standard citing nothing
    old = ContactStandardFactory(effective_from=date(2025, 1, 1), period_days=30)
    start = timezone.localdate() + timedelta(days=10)
    editor = make_personas().supervisor.user
    # when an editor supersedes it from a future date
    new = services.supersede(old, {"period_days": 45, "note": "Pilot"}, start, editor)
    # then the old row ends (exclusive) where the new one starts; keys are copied
    old.refresh_from_db()
    assert old.effective_to == start
    assert (new.effective_from, new.effective_to) == (start, None)
    assert (new.supervision_level, new.requirement, new.count, new.period_days) == (
        MODERATE,
        F2F,
        1,
        45,
    )
    assert new.note == "Pilot"


def test_supersede_is_audited_with_before_and_after() -> None:
    old = ContactStandardFactory(effective_from=date(2025, 1, 1))
    editor = make_personas().admin.user
    start = timezone.localdate() + timedelta(days=1)
    new = services.supersede(old, {"count": 3}, start, editor)
    closed = AuditEvent.objects.get(
        object_type="protocols.contactstandard", object_id=str(old.pk), action="change"
    )
    created = AuditEvent.objects.get(
        object_type="protocols.contactstandard", object_id=str(new.pk), action="create"
    )
    assert closed.user_id == editor.pk
    assert closed.changes["before"]["effective_to"] is None
    assert closed.changes["after"]["effective_to"] == start.isoformat()
    assert created.changes["before"]["count"] == 1
    assert created.changes["after"]["count"] == 3


def test_supersede_before_the_current_version_started_is_refused() -> None:
    start = timezone.localdate() + timedelta(days=30)
    old = ContactStandardFactory(effective_from=start)
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.supersede(old, {"count": 2}, start, editor)
    assert "effective_from" in caught.value.message_dict
    assert "Must be after" in caught.value.message_dict["effective_from"][0]


def test_editors_cannot_backdate_a_change() -> None:
    old = ContactStandardFactory(effective_from=date(2025, 1, 1))
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.supersede(old, {"count": 2}, timezone.localdate() - timedelta(days=1), editor)
    assert caught.value.message_dict["effective_from"] == [
        "Must be today or later: standards are not changed for dates already past."
    ]
    old.refresh_from_db()
    assert old.effective_to is None


def test_supersede_refuses_changing_the_key_and_changing_nothing() -> None:
    old = ContactStandardFactory(effective_from=date(2025, 1, 1))
    editor = make_personas().admin.user
    start = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as key_change:
        services.supersede(old, {"supervision_level": "high"}, start, editor)
    assert "supervision_level" in key_change.value.message_dict
    with pytest.raises(ValidationError) as same:
        services.supersede(old, {"count": 1}, start, editor)
    assert "Nothing changed" in same.value.messages[0]


def test_plain_staff_and_other_outsiders_cannot_change_standards() -> None:
    people = make_personas()
    old = ContactStandardFactory(effective_from=date(2025, 1, 1))
    start = timezone.localdate() + timedelta(days=1)
    for user in (people.staff.user, people.other_staff.user, people.no_staff_user):
        with pytest.raises(PermissionDenied):
            services.supersede(old, {"count": 2}, start, user)
    assert ContactStandard.objects.count() == 1


def test_special_condition_versions_number_themselves() -> None:
    first = services.create_standard(
        SpecialCondition,
        {
            "code": "no-victim-contact",
            "category": ConditionCategory.VICTIM,
            "title": "No contact with named victims",
            "text": "No direct or indirect contact.",
            "effective_from": date(2025, 1, 1),
        },
        None,
    )
    second = services.supersede(
        first, {"text": "No direct, indirect or online contact."}, date(2026, 1, 1), None
    )
    assert (first.version, second.version) == (1, 2)
    assert second.code == first.code
    found = lookups.condition("no-victim-contact", date(2025, 6, 1))
    assert found.pk == first.pk
    assert lookups.condition("no-victim-contact", date(2026, 6, 1)).pk == second.pk


# --------------------------------------------------------------------------- refused input


def test_zero_contacts_per_zero_days_is_refused_per_field() -> None:
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.create_standard(
            ContactStandard,
            {
                "supervision_level": MODERATE,
                "requirement": F2F,
                "count": 0,
                "period_days": 0,
                "effective_from": timezone.localdate(),
            },
            editor,
        )
    errors = caught.value.message_dict
    assert errors["count"] == ["count must be at least 1."]
    assert errors["period_days"] == ["period_days must be at least 1."]
    assert not ContactStandard.objects.exists()


def test_overlapping_periods_are_refused_naming_the_effective_date() -> None:
    ContactStandardFactory(effective_from=date(2025, 1, 1))
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.create_standard(
            ContactStandard,
            {
                "supervision_level": MODERATE,
                "requirement": F2F,
                "count": 2,
                "period_days": 30,
                "effective_from": timezone.localdate() + timedelta(days=5),
            },
            editor,
        )
    assert caught.value.message_dict["effective_from"] == [
        "Another contact standard for this level and requirement is in force during this period."
    ]


def test_an_overlap_the_database_catches_becomes_a_field_error() -> None:
    # given a row the Python checks never saw (e.g. a concurrent writer)
    ContactStandardFactory(effective_from=date(2025, 1, 1))
    clash = ContactStandard(
        supervision_level=MODERATE,
        requirement=F2F,
        count=2,
        period_days=30,
        effective_from=date(2025, 6, 1),
    )
    # when it is saved straight to the database
    with pytest.raises(ValidationError) as caught:
        services.save_row(clash)
    # then the exclusion constraint's IntegrityError comes back as a named field error
    assert "in force during this period" in caught.value.message_dict["effective_from"][0]
    assert ContactStandard.objects.count() == 1


def test_a_checklist_item_with_no_text_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_standard(
            ChecklistItem,
            {
                "code": "residence",
                "text": "",
                "component": "residence",
                "effective_from": date(2025, 1, 1),
            },
            None,
        )
    assert caught.value.message_dict["text"] == ["A checklist item needs text."]


def test_an_end_before_the_start_is_refused() -> None:
    row = ContactStandardFactory(effective_from=timezone.localdate() + timedelta(days=10))
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.end_standard(row, timezone.localdate() + timedelta(days=2), editor)
    assert caught.value.message_dict["effective_to"] == [
        "effective_to must be after effective_from."
    ]


# --------------------------------------------------------------------------- lookups


def test_a_jurisdiction_with_its_own_contact_table_replaces_the_default() -> None:
    ContactStandardFactory(count=1)
    ContactStandardFactory(jurisdiction="Lakeshore State", count=3)
    on = date(2026, 2, 1)
    assert [r.count for r in lookups.contact_standards_on(on, "Lakeshore State")] == [3]
    assert [r.count for r in lookups.contact_standards_on(on, "Prairie State")] == [1]


def test_registration_schedule_for_prefers_the_jurisdictions_rule_and_transient_rows() -> None:
    on = date(2026, 2, 1)
    RegistrationScheduleFactory(tier="II", interval=6)
    prairie = RegistrationScheduleFactory(
        jurisdiction="Prairie State", tier="II", rule=RegistrationRule.BIRTH_MONTH_QUARTERLY
    )
    transient = RegistrationScheduleFactory(
        jurisdiction="Prairie State",
        tier="",
        applies_to_transient=True,
        rule=RegistrationRule.TRANSIENT_DAYS,
        interval=30,
    )
    assert lookups.registration_schedule_for("II", "Prairie State", False, on) == prairie
    assert lookups.registration_schedule_for("II", "Prairie State", True, on) == transient
    assert lookups.registration_schedule_for("II", "Elsewhere", False, on).interval == 6
    assert lookups.registration_schedule_for("II", "Prairie State", False, date(2024, 1, 1)) is None


@pytest.mark.parametrize(
    ("rule", "interval", "last", "expected"),
    [
        (RegistrationRule.INTERVAL_MONTHS, 6, date(2026, 1, 31), date(2026, 7, 31)),
        (RegistrationRule.INTERVAL_MONTHS, 3, date(2025, 11, 30), date(2026, 2, 28)),
        (RegistrationRule.TRANSIENT_DAYS, 30, date(2026, 2, 10), date(2026, 3, 12)),
        # born in May: reports in May, August, November, February (end of month)
        (RegistrationRule.BIRTH_MONTH_QUARTERLY, 3, date(2026, 2, 10), date(2026, 5, 31)),
        (RegistrationRule.BIRTH_MONTH_QUARTERLY, 3, date(2026, 5, 3), date(2026, 8, 31)),
        (RegistrationRule.BIRTH_MONTH_QUARTERLY, 3, date(2026, 11, 20), date(2027, 2, 28)),
    ],
)
def test_next_verification_due(rule: str, interval: int, last: date, expected: date) -> None:
    schedule = RegistrationSchedule(rule=rule, interval=interval)
    assert lookups.next_verification_due(schedule, last, date(1980, 5, 17)) == expected


def test_reassessment_interval_prefers_own_jurisdiction_and_exact_level() -> None:
    on = date(2026, 2, 1)
    base = {"effective_from": date(2025, 1, 1), "instrument_code": "acute-2007"}
    ReassessmentInterval.objects.create(**base, supervision_level="", interval_days=90)
    ReassessmentInterval.objects.create(**base, supervision_level="high", interval_days=30)
    ReassessmentInterval.objects.create(
        **base, jurisdiction="Lakeshore State", supervision_level="", interval_days=14
    )
    assert lookups.reassessment_interval("acute-2007", "high", "", on).interval_days == 30
    assert lookups.reassessment_interval("acute-2007", "low", "", on).interval_days == 90
    assert (
        lookups.reassessment_interval("acute-2007", "high", "Lakeshore State", on).interval_days
        == 14
    )
    assert lookups.reassessment_interval("static-99r", "high", "", on) is None


def test_level_mapping_and_restriction_rules() -> None:
    on = date(2026, 2, 1)
    LevelMapping.objects.create(
        effective_from=date(2025, 1, 1),
        instrument_code="static-99r",
        assessment_level="IVa",
        supervision_level="high",
    )
    ResidenceRestrictionRule.objects.create(
        effective_from=date(2025, 1, 1),
        jurisdiction="Lakeshore State",
        site_kind=ProtectedSiteKind.SCHOOL,
        distance_feet=1000,
    )
    assert lookups.level_mapping("static-99r", "IVa", "Prairie State", on).supervision_level == (
        "high"
    )
    assert lookups.level_mapping("static-99r", "I", "Prairie State", on) is None
    assert [r.distance_feet for r in lookups.restriction_rules("Lakeshore State", on)] == [1000]
    assert lookups.restriction_rules("Prairie State", on) == []


def test_alert_setting_falls_back_to_model_defaults() -> None:
    setting = lookups.alert_setting(AlertRuleCode.MOU_EXPIRING, "Prairie State", date(2026, 1, 1))
    assert setting.pk is None
    assert (setting.due_soon_days, setting.escalate_after_days, setting.enabled) == (14, 3, True)


def test_checklist_on_keeps_order() -> None:
    for order, code in ((20, "treatment_referral"), (10, "residence")):
        ChecklistItem.objects.create(
            effective_from=date(2025, 1, 1), code=code, text=code, component=code, order=order
        )
    assert [i.code for i in lookups.checklist_on(date(2026, 1, 1))] == [
        "residence",
        "treatment_referral",
    ]
