"""The kinds of standard an editor can change: model, the fields that identify one standard
(its key), and the fields a new version may change. Pages, the API, services and the loader
all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.http import Http404

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

COMMON_FIELDS: tuple[str, ...] = ("protocol_version", "note")


@dataclass(frozen=True)
class StandardKind:
    """One kind of standard (e.g. contact standards)."""

    slug: str
    model: type[models.Model]
    label: str
    key_fields: tuple[str, ...]
    value_fields: tuple[str, ...]
    description: str

    @property
    def editable_fields(self) -> tuple[str, ...]:
        """Fields a new version (supersede) may change."""
        return self.value_fields + COMMON_FIELDS

    @property
    def create_fields(self) -> tuple[str, ...]:
        """Fields a brand-new standard is created with."""
        return (
            self.key_fields + self.value_fields + ("effective_from", "effective_to") + COMMON_FIELDS
        )


KINDS: tuple[StandardKind, ...] = (
    StandardKind(
        "contact",
        ContactStandard,
        "Contact standards",
        ("jurisdiction", "supervision_level", "requirement"),
        ("count", "period_days", "initial_deadline", "initial_in_business_days"),
        "How many contacts of each kind a case needs per period, by supervision level, "
        "and the deadline for the first one after supervision starts.",
    ),
    StandardKind(
        "registration",
        RegistrationSchedule,
        "Registration schedules",
        ("jurisdiction", "tier", "applies_to_transient"),
        ("rule", "interval", "period_years", "due_soon_days", "report_change_business_days"),
        "How often a registrant verifies in person, by tier or by a jurisdiction's own rule, "
        "and how long the registration lasts.",
    ),
    StandardKind(
        "reassessment",
        ReassessmentInterval,
        "Reassessment intervals",
        ("jurisdiction", "instrument_code", "supervision_level"),
        ("interval_days",),
        "How often an instrument is repeated, optionally by supervision level.",
    ),
    StandardKind(
        "level-mapping",
        LevelMapping,
        "Assessment level to supervision level",
        ("jurisdiction", "instrument_code", "assessment_level"),
        ("supervision_level",),
        "Which supervision level an assessment result calls for.",
    ),
    StandardKind(
        "checklist",
        ChecklistItem,
        "Release-plan checklist",
        ("jurisdiction", "code"),
        ("text", "component", "required", "order"),
        "The items a release plan must cover before it goes to the board.",
    ),
    StandardKind(
        "condition",
        SpecialCondition,
        "Special-conditions catalogue",
        ("jurisdiction", "code"),
        ("category", "title", "text", "protects_victim"),
        "Special conditions with stable ids; each change makes a new numbered version.",
    ),
    StandardKind(
        "residence-restriction",
        ResidenceRestrictionRule,
        "Residence restrictions",
        ("jurisdiction", "site_kind"),
        ("distance_feet",),
        "Distance a registrant must live from protected sites, only where a jurisdiction sets one.",
    ),
    StandardKind(
        "alert-setting",
        AlertSetting,
        "Alert settings",
        ("jurisdiction", "rule"),
        ("due_soon_days", "escalate_after_days", "release_lead_days", "enabled"),
        "Per alert rule: how early it warns, when it escalates, and whether it runs.",
    ),
)

BY_SLUG: dict[str, StandardKind] = {kind.slug: kind for kind in KINDS}
BY_MODEL: dict[type[models.Model], StandardKind] = {kind.model: kind for kind in KINDS}


def kind_for_slug(slug: str) -> StandardKind:
    """The kind for a URL slug, or 404."""
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise Http404("No such kind of standard.")


def kind_for_model(model: type[models.Model]) -> StandardKind:
    return BY_MODEL[model]
