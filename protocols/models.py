"""Protocols (documents people read) and standards (data the system runs on).

Every standard has an effective period [effective_from, effective_to) and may cite the
protocol version that sets it; the system always uses the row in force on the date in
question. Overlapping periods for the same standard are refused by exclusion constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from agencies.models import Agency, StaffMember
from protocols.choices import (
    AlertRuleCode,
    ConditionCategory,
    ContactRequirement,
    InstrumentKind,
    ProtectedSiteKind,
    ProtocolArea,
    RegistrationRule,
    SupervisionLevel,
    Tier,
    VersionStatus,
)
from protocols.querysets import ProtocolQuerySet, StandardQuerySet


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


def effective_period() -> DateRange:
    return DateRange(
        "effective_from", "effective_to", RangeBoundary(inclusive_lower=True, inclusive_upper=False)
    )


def no_overlap(name: str, *keys: str, message: str) -> ExclusionConstraint:
    return ExclusionConstraint(
        name=name,
        expressions=[
            *((key, RangeOperators.EQUAL) for key in keys),
            (effective_period(), RangeOperators.OVERLAPS),
        ],
        violation_error_message=message,
    )


class Protocol(models.Model):
    """A protocol or position paper, by area (e.g. "Supervision of sex offenders")."""

    API_SCOPE = "{action}:reference"  # scope an API key needs (sartcm.querysets)

    area = models.CharField(max_length=40, choices=ProtocolArea.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    applies_to_roles = models.JSONField(
        default=list, blank=True, help_text="Roles that must acknowledge it."
    )
    owner_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["area", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["title"],
                name="%(app_label)s_%(class)s_unique_title",
                violation_error_message="A protocol with this title already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProtocolVersion(models.Model):
    """One version of a protocol's text (Markdown, rendered sanitized)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown. Rendered with HTML sanitized.")
    change_summary = models.CharField(max_length=300, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    adopting_agencies = models.ManyToManyField(Agency, blank=True, related_name="adopted_protocols")
    adopted_at = models.DateTimeField(null=True, blank=True)
    acknowledge_within_days = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "number"],
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message="This protocol already has a version with this number.",
            ),
            models.CheckConstraint(
                condition=~Q(status="adopted") | Q(effective_from__isnull=False),
                name="%(app_label)s_%(class)s_adopted_has_date",
                violation_error_message="An adopted version needs an effective date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"


class Acknowledgment(models.Model):
    """A staff member has read and acknowledged a protocol version."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="acknowledgments")
    version = models.ForeignKey(
        ProtocolVersion, on_delete=models.CASCADE, related_name="acknowledgments"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "version"],
                name="%(app_label)s_%(class)s_unique_staff_version",
                violation_error_message="This version is already acknowledged.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} acknowledged {self.version}"


class Standard(models.Model):
    """Common shape of every standard: jurisdiction ('' = default), effective period, source."""

    API_SCOPE = "{action}:reference"  # scope an API key needs (sartcm.querysets)

    jurisdiction = models.CharField(
        max_length=100, blank=True, default="", help_text="Empty: the default for all."
    )
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Exclusive; empty = open-ended."
    )
    protocol_version = models.ForeignKey(
        ProtocolVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = StandardQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def period_check(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
            name=name,
            violation_error_message="effective_to must be after effective_from.",
        )


class ContactStandard(Standard):
    """ "N contacts of a requirement per D days" for a supervision level, plus the first deadline."""

    supervision_level = models.CharField(max_length=10, choices=SupervisionLevel.choices)
    requirement = models.CharField(max_length=32, choices=ContactRequirement.choices)
    count = models.PositiveSmallIntegerField()
    period_days = models.PositiveSmallIntegerField()
    initial_deadline = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="First contact due within this many days of supervision start.",
    )
    initial_in_business_days = models.BooleanField(default=False)

    class Meta:
        ordering = ["supervision_level", "requirement", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=1),
                name="protocols_contactstandard_count_positive",
                violation_error_message="count must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(period_days__gte=1),
                name="protocols_contactstandard_period_positive",
                violation_error_message="period_days must be at least 1.",
            ),
            Standard.period_check("protocols_contactstandard_period_order"),
            no_overlap(
                "protocols_contactstandard_no_overlap",
                "jurisdiction",
                "supervision_level",
                "requirement",
                message="Another contact standard for this level and requirement is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_supervision_level_display()}: {self.count} {self.get_requirement_display()} per {self.period_days} days"


class RegistrationSchedule(Standard):
    """How often a registrant verifies in person, by tier (SORNA) or a jurisdiction rule (KORA)."""

    tier = models.CharField(
        max_length=3, choices=Tier.choices, blank=True, help_text="Empty: all tiers."
    )
    rule = models.CharField(max_length=24, choices=RegistrationRule.choices)
    interval = models.PositiveSmallIntegerField(
        help_text="Months for interval rules, days for transient."
    )
    applies_to_transient = models.BooleanField(default=False)
    period_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Registration period; empty = life."
    )
    due_soon_days = models.PositiveSmallIntegerField(default=14)
    report_change_business_days = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["jurisdiction", "tier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval__gte=1),
                name="protocols_registrationschedule_interval_positive",
                violation_error_message="interval must be at least 1.",
            ),
            Standard.period_check("protocols_registrationschedule_period_order"),
            no_overlap(
                "protocols_registrationschedule_no_overlap",
                "jurisdiction",
                "tier",
                "applies_to_transient",
                message="Another registration schedule for this tier is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction or 'Default'} {self.tier or 'all tiers'}: {self.get_rule_display()} ({self.interval})"


class Instrument(models.Model):
    """A risk/needs instrument defined as data: items, allowed answers, points, bands.

    `definition` = {"items": [{"code", "label", "answers": [{"value", "label", "points"}],
    "computed": bool, "condition": ...}], "bands": [{"min", "max", "level", "label"}],
    "subscores": {...}}. Built-in instruments carry scoring code keyed by `code`.
    """

    API_SCOPE = "{action}:reference"  # scope an API key needs (sartcm.querysets)

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)
    version = models.PositiveSmallIntegerField(default=1)
    definition = models.JSONField()
    builtin = models.BooleanField(default=False)
    owner_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="instruments"
    )
    active = models.BooleanField(default=True)

    objects = StandardQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"],
                name="%(app_label)s_%(class)s_unique_code_version",
                violation_error_message="This instrument version already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ReassessmentInterval(Standard):
    """How often an instrument is repeated, optionally by supervision level."""

    instrument_code = models.SlugField(max_length=40)
    supervision_level = models.CharField(
        max_length=10, choices=SupervisionLevel.choices, blank=True
    )
    interval_days = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=1),
                name="protocols_reassessmentinterval_positive",
                violation_error_message="interval_days must be at least 1.",
            ),
            Standard.period_check("protocols_reassessmentinterval_period_order"),
            no_overlap(
                "protocols_reassessmentinterval_no_overlap",
                "jurisdiction",
                "instrument_code",
                "supervision_level",
                message="Another interval for this instrument and level is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} every {self.interval_days} days"


class LevelMapping(Standard):
    """Assessment level → supervision level (e.g. Static-99R IVb → high)."""

    instrument_code = models.SlugField(max_length=40)
    assessment_level = models.CharField(max_length=20)
    supervision_level = models.CharField(max_length=10, choices=SupervisionLevel.choices)

    class Meta:
        constraints = [
            Standard.period_check("protocols_levelmapping_period_order"),
            no_overlap(
                "protocols_levelmapping_no_overlap",
                "jurisdiction",
                "instrument_code",
                "assessment_level",
                message="Another mapping for this level is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.assessment_level} → {self.supervision_level}"


class ChecklistItem(Standard):
    """One item of the release-plan checklist supplied by the release-planning protocol."""

    code = models.SlugField(max_length=40)
    text = models.CharField(max_length=300)
    component = models.CharField(max_length=40, help_text="Release-plan component the item checks.")
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="protocols_checklistitem_text_required",
                violation_error_message="A checklist item needs text.",
            ),
            Standard.period_check("protocols_checklistitem_period_order"),
            no_overlap(
                "protocols_checklistitem_no_overlap",
                "jurisdiction",
                "code",
                message="Another version of this checklist item is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SpecialCondition(Standard):
    """A versioned special condition with a stable id (after the UK licence-condition catalogue)."""

    code = models.SlugField(max_length=40, help_text="Stable id shared by every version.")
    version = models.PositiveSmallIntegerField(default=1)
    category = models.CharField(max_length=20, choices=ConditionCategory.choices)
    title = models.CharField(max_length=200)
    text = models.TextField()
    protects_victim = models.BooleanField(
        default=False, help_text="Shown to victim service providers."
    )

    class Meta:
        ordering = ["category", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"],
                name="protocols_specialcondition_unique_code_version",
                violation_error_message="This condition version already exists.",
            ),
            Standard.period_check("protocols_specialcondition_period_order"),
            no_overlap(
                "protocols_specialcondition_no_overlap",
                "jurisdiction",
                "code",
                message="Another version of this condition is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}: {self.title}"


class ResidenceRestrictionRule(Standard):
    """Distance a registrant must live from a kind of protected site, where a jurisdiction sets one."""

    site_kind = models.CharField(max_length=20, choices=ProtectedSiteKind.choices)
    distance_feet = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(distance_feet__gte=1),
                name="protocols_residencerestrictionrule_distance_positive",
                violation_error_message="distance_feet must be at least 1.",
            ),
            Standard.period_check("protocols_residencerestrictionrule_period_order"),
            no_overlap(
                "protocols_residencerestrictionrule_no_overlap",
                "jurisdiction",
                "site_kind",
                message="Another restriction for this site kind is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction or 'Default'}: {self.distance_feet} ft from {self.get_site_kind_display()}"


class ProtectedSite(models.Model):
    """A school, childcare facility or park used by the residence-restriction check."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ProtectedSiteKind.choices)
    jurisdiction = models.CharField(max_length=100)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        indexes = [
            models.Index(fields=["jurisdiction", "kind"], name="protectedsite_juris_kind_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A non-business day for business-day deadlines ('' jurisdiction = everywhere)."""

    jurisdiction = models.CharField(max_length=100, blank=True, default="")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "date"],
                name="protocols_holiday_unique_date",
                violation_error_message="This date is already a holiday here.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class AlertSetting(Standard):
    """Per-rule windows and escalation times for the alert engine."""

    rule = models.CharField(max_length=32, choices=AlertRuleCode.choices)
    due_soon_days = models.PositiveSmallIntegerField(default=14)
    escalate_after_days = models.PositiveSmallIntegerField(default=3)
    release_lead_days = models.PositiveSmallIntegerField(default=90)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            Standard.period_check("protocols_alertsetting_period_order"),
            no_overlap(
                "protocols_alertsetting_no_overlap",
                "jurisdiction",
                "rule",
                message="Another setting for this rule is in force during this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} settings"
