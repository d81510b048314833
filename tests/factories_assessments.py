"""Factories and helpers for assessments, supervision levels and the case plan (fictional)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import factory
from django.utils import timezone

from agencies.choices import Role
from agencies.models import Agency, StaffMember
from cases.models import (
    Case,
    CaseAssignment,
    CasePlanGoal,
    Conviction,
)
from mou.choices import MOUStatus, TermScope
from mou.models import DataSharingTerm, MOUParty
from protocols.models import Instrument, LevelMapping, ReassessmentInterval
from tests.factories import AgencyFactory, MOUFactory, StaffFactory, TermFactory
from tests.factories_access import implied_grants


class ConvictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conviction

    statute = "PS 21-5506"
    description = "Fictional offence"
    jurisdiction = "Prairie State"
    conviction_date = dt.date(2015, 3, 2)
    victim_age_group = "adult"


class CustomInstrumentFactory(factory.django.DjangoModelFactory):
    """A small agency-defined instrument: two yes/no items, bands 0 low, 1–2 high."""

    class Meta:
        model = Instrument

    code = factory.Sequence(lambda n: f"custom{n}")
    name = factory.Sequence(lambda n: f"Custom tool {n}")
    kind = "general"
    version = 1
    builtin = False
    owner_agency = factory.SubFactory(AgencyFactory)
    definition = factory.LazyFunction(
        lambda: {
            "items": [
                {
                    "number": 1,
                    "code": "unstable_housing",
                    "label": "Unstable housing",
                    "dynamic": True,
                    "goal": "Find stable housing.",
                    "answers": [
                        {"value": "no", "label": "No", "points": 0},
                        {"value": "yes", "label": "Yes", "points": 1},
                    ],
                },
                {
                    "number": 2,
                    "code": "unemployed",
                    "label": "Unemployed",
                    "answers": [
                        {"value": "no", "label": "No", "points": 0},
                        {"value": "yes", "label": "Yes", "points": 1},
                    ],
                },
            ],
            "bands": [
                {"min": 0, "max": 0, "level": "low", "label": "Low"},
                {"min": 1, "max": 2, "level": "high", "label": "High"},
            ],
        }
    )


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CasePlanGoal

    goal = factory.Sequence(lambda n: f"Goal {n}")
    need = ""
    responsible_agency = factory.LazyAttribute(lambda o: o.case.lead_agency)


def staff(agency: Agency, *roles: str, username: str | None = None) -> StaffMember:
    """An active staff member of `agency` with the roles given (default: case manager)."""
    kwargs: dict[str, Any] = {"agency": agency, "roles": list(roles or [Role.CASE_MANAGER])}
    if username:
        kwargs["user__username"] = username
    return StaffFactory(**kwargs)


def share(
    case: Case,
    recipient: Agency,
    record_type: str,
    fields: Iterable[str],
    actions: Iterable[str] = ("view",),
    scope: str = TermScope.ASSIGNED,
) -> DataSharingTerm:
    """An active MOU term lead agency → recipient, plus the guardian grants it implies on the
    case (written directly here, as cases.access.sync_grants would)."""
    today = timezone.localdate()
    mou = MOUFactory(
        status=MOUStatus.ACTIVE,
        effective_date=today - dt.timedelta(days=30),
        expiration_date=today + dt.timedelta(days=365),
        drafted_by=case.lead_agency,
    )
    MOUParty.objects.create(mou=mou, agency=case.lead_agency)
    MOUParty.objects.create(mou=mou, agency=recipient)
    actions = list(actions)
    term = TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=recipient,
        record_type=record_type,
        fields=list(fields),
        actions=actions,
        scope=scope,
    )
    if scope == TermScope.ASSIGNED:
        CaseAssignment.objects.get_or_create(
            case=case, agency=recipient, role="supervision_officer", end_date=None
        )
    implied_grants(term, case)
    return term


def mapping(code: str, levels: dict[str, str], jurisdiction: str = "") -> None:
    """LevelMapping rows in force since 2000 for an instrument code."""
    LevelMapping.objects.bulk_create(
        LevelMapping(
            jurisdiction=jurisdiction,
            effective_from=dt.date(2000, 1, 1),
            instrument_code=code,
            assessment_level=level,
            supervision_level=supervision,
        )
        for level, supervision in levels.items()
    )


def interval(
    code: str,
    days: int,
    level: str = "",
    jurisdiction: str = "",
    effective_from: dt.date = dt.date(2000, 1, 1),
    effective_to: dt.date | None = None,
) -> ReassessmentInterval:
    return ReassessmentInterval.objects.create(
        jurisdiction=jurisdiction,
        effective_from=effective_from,
        effective_to=effective_to,
        instrument_code=code,
        supervision_level=level,
        interval_days=days,
    )


STATIC_LOW = {  # total with age +1: 1 → level III... callers adjust
    "ever_lived_with_partner": "yes",
    "index_nonsexual_violence": "no",
    "prior_nonsexual_violence": "no",
    "prior_sex_charges": 0,
    "prior_sex_convictions": 0,
    "prior_sentencing_dates": 0,
    "noncontact_sex_offences": "no",
    "unrelated_victims": "no",
    "stranger_victims": "no",
    "male_victims": "no",
}

STABLE_ITEMS = [
    "significant_social_influences",
    "capacity_for_relationship_stability",
    "emotional_identification_with_children",
    "hostility_toward_women",
    "general_social_rejection",
    "lack_of_concern_for_others",
    "impulsive_acts",
    "poor_problem_solving",
    "negative_emotionality",
    "sex_drive_preoccupation",
    "sex_as_coping",
    "deviant_sexual_preference",
    "cooperation_with_supervision",
]

ACUTE_ITEMS = [
    "victim_access",
    "hostility",
    "sexual_preoccupation",
    "rejection_of_supervision",
    "emotional_collapse",
    "collapse_of_social_supports",
    "substance_abuse",
]


def stable_answers(value: str = "0", child: bool = False, **overrides: str) -> dict[str, str]:
    answers = {code: value for code in STABLE_ITEMS}
    if not child:
        answers.pop("emotional_identification_with_children")
    answers.update(overrides)
    return answers


def acute_answers(value: str = "0", **overrides: str) -> dict[str, str]:
    return {**{code: value for code in ACUTE_ITEMS}, **overrides}
