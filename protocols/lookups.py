"""Which standard is in force on date D: the functions every other app calls.

Each lookup takes the date in question (a contact due last March uses last March's standard)
and the case's jurisdiction. Two fallback styles, chosen per standard:
- whole tables (contact standards, registration schedules, the release-plan checklist): a
  jurisdiction that sets any row in force on D replaces the default table entirely — Kansas'
  registration rule replaces the SORNA tiers rather than mixing with them;
- single settings (reassessment intervals, level mappings, conditions, residence rules, alert
  settings): the jurisdiction's own row for that key, else the default row (jurisdiction '').
These are reference data read by background jobs, so they do not take a user.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db.models import Case, IntegerField, QuerySet, Value, When

from agencies.dates import add_months
from protocols.choices import RegistrationRule
from protocols.models import (
    AlertSetting,
    ChecklistItem,
    ContactStandard,
    LevelMapping,
    ReassessmentInterval,
    RegistrationSchedule,
    ResidenceRestrictionRule,
    SpecialCondition,
)


def _own_first() -> Case:
    """Sort key: the jurisdiction's own row (0) before the default row (1)."""
    return Case(When(jurisdiction="", then=Value(1)), default=Value(0), output_field=IntegerField())


def _own_or_default(queryset: QuerySet, jurisdiction: str) -> QuerySet:
    return queryset.filter(jurisdiction__in={jurisdiction, ""}).order_by(_own_first())


def contact_standards_on(on: date, jurisdiction: str = "") -> list[ContactStandard]:
    """The contact-standard table in force on `on` for a jurisdiction (else the default)."""
    return list(
        ContactStandard.objects.in_force(on)
        .for_jurisdiction(jurisdiction)
        .order_by("supervision_level", "requirement")
    )


def contact_standard(
    level: str, requirement: str, jurisdiction: str, on: date
) -> ContactStandard | None:
    """One row of the contact table in force on `on` (None: no such requirement)."""
    for row in contact_standards_on(on, jurisdiction):
        if row.supervision_level == level and row.requirement == requirement:
            return row
    return None


def registration_schedule_for(
    tier: str, jurisdiction: str, transient: bool, on: date
) -> RegistrationSchedule | None:
    """The verification schedule for a registrant on `on`.

    A jurisdiction with its own schedule in force (e.g. Prairie State's birth-month rule) uses
    only its own rows; otherwise the default (SORNA tier) rows. Within them, a transient
    registrant gets the transient row when there is one; an exact tier beats an all-tiers row.
    """
    rows = RegistrationSchedule.objects.in_force(on).for_jurisdiction(jurisdiction)
    candidates = [row for row in rows if row.tier in (tier, "")]
    if not transient:
        candidates = [row for row in candidates if not row.applies_to_transient]
    candidates.sort(key=lambda row: (row.applies_to_transient != transient, row.tier != tier))
    return candidates[0] if candidates else None


def next_verification_due(
    schedule: RegistrationSchedule, last: date, date_of_birth: date | None = None
) -> date:
    """When the next in-person verification is due after one on `last` (or registration start).

    - interval_months: `interval` months after the last verification;
    - birth_month_quarterly: by the end of the next reporting month — the birth month and
      every `interval` months after it (3: birth month, +3, +6, +9);
    - transient_days: `interval` days after the last report.
    """
    if schedule.rule == RegistrationRule.INTERVAL_MONTHS:
        return add_months(last, schedule.interval)
    if schedule.rule == RegistrationRule.TRANSIENT_DAYS:
        return last + timedelta(days=schedule.interval)
    if date_of_birth is None:
        raise ValueError("The birth-month rule needs the registrant's date of birth.")
    step = max(1, min(schedule.interval, 12))
    reporting = {(date_of_birth.month - 1 + k * step) % 12 + 1 for k in range(12 // step or 1)}
    probe = date(last.year, last.month, 1)
    for _ in range(12):
        probe = add_months(probe, 1)
        if probe.month in reporting:
            return date(probe.year, probe.month, calendar.monthrange(probe.year, probe.month)[1])
    raise AssertionError("unreachable: some month within a year is a reporting month")


def reassessment_interval(
    instrument_code: str, level: str, jurisdiction: str, on: date
) -> ReassessmentInterval | None:
    """How often `instrument_code` is repeated for a case at supervision `level` on `on`.

    None means no scheduled reassessment (Static-99R: rescored only on new information).
    The jurisdiction's row beats the default; a row for the exact level beats an all-levels row.
    """
    rows = ReassessmentInterval.objects.in_force(on).filter(
        instrument_code=instrument_code, supervision_level__in={level, ""}
    )
    return (
        _own_or_default(rows, jurisdiction)
        .order_by(
            _own_first(),
            Case(When(supervision_level="", then=Value(1)), default=Value(0)),
        )
        .first()
    )


def level_mapping(
    instrument_code: str, level: str, jurisdiction: str, on: date
) -> LevelMapping | None:
    """The supervision level an assessment result (e.g. Static-99R 'IVa') calls for on `on`."""
    rows = LevelMapping.objects.in_force(on).filter(
        instrument_code=instrument_code, assessment_level=level
    )
    return _own_or_default(rows, jurisdiction).first()


def checklist_on(on: date, jurisdiction: str = "") -> list[ChecklistItem]:
    """The release-plan checklist in force on `on`, in order."""
    return list(
        ChecklistItem.objects.in_force(on).for_jurisdiction(jurisdiction).order_by("order", "code")
    )


def conditions_catalogue(on: date, jurisdiction: str = "") -> list[SpecialCondition]:
    """The special conditions in force on `on`: one version per stable code (the
    jurisdiction's own version of a code beats the default one)."""
    rows = (
        SpecialCondition.objects.in_force(on)
        .filter(jurisdiction__in={jurisdiction, ""})
        .order_by("code", _own_first())
        .distinct("code")
    )
    return sorted(rows, key=lambda row: (row.category, row.code))


def condition(code: str, on: date, jurisdiction: str = "") -> SpecialCondition | None:
    """The version of one condition (stable code) in force on `on`."""
    rows = SpecialCondition.objects.in_force(on).filter(code=code)
    return _own_or_default(rows, jurisdiction).first()


def restriction_rules(jurisdiction: str, on: date) -> list[ResidenceRestrictionRule]:
    """Residence-restriction distances in force on `on`, one per site kind; empty where the
    jurisdiction sets none (distances are checked only where a protocol sets them)."""
    rows = (
        ResidenceRestrictionRule.objects.in_force(on)
        .filter(jurisdiction__in={jurisdiction, ""})
        .order_by("site_kind", _own_first())
        .distinct("site_kind")
    )
    return list(rows)


def alert_setting(rule: str, jurisdiction: str, on: date) -> AlertSetting:
    """The settings of an alert rule on `on`. Never None: when no row is configured, an unsaved
    AlertSetting carrying the model defaults (pk None) is returned."""
    rows = AlertSetting.objects.in_force(on).filter(rule=rule)
    found = _own_or_default(rows, jurisdiction).first()
    return found if found is not None else AlertSetting(rule=rule, effective_from=on)
