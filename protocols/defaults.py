"""The default protocols and standards (`manage.py load_standards`), from /work/shared/domain.md.

Everything here is data: the loader writes it, `describe_defaults()` renders the same data as
docs/standards.md and as the text of each default protocol, so the three never disagree.
Jurisdictions are fictional: "Prairie State" (the demo's, with a Kansas-like registration
rule and — like Kansas, K.S.A. 22-4913 — no residence restrictions) and "Lakeshore State"
(which sets 1,000 ft residence restrictions).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agencies.choices import Role
from protocols.choices import (
    AlertRuleCode,
    ConditionCategory,
    ContactRequirement,
    ProtectedSiteKind,
    ProtocolArea,
    RegistrationRule,
    SupervisionLevel,
    Tier,
)

EFFECTIVE_FROM = date(2025, 1, 1)
DEMO_JURISDICTION = "Prairie State"
RESTRICTING_JURISDICTION = "Lakeshore State"
HOLIDAY_YEARS = range(2025, 2029)

L, M, H = SupervisionLevel.LOW, SupervisionLevel.MODERATE, SupervisionLevel.HIGH
CR = ContactRequirement


@dataclass
class DefaultProtocol:
    """A default protocol: its standards cite its version 1."""

    key: str
    area: str
    title: str
    summary: str
    applies_to_roles: list[str]
    source: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _contact(level: str, requirement: str, count: int, days: int, **extra: Any) -> dict:
    return {
        "supervision_level": level,
        "requirement": requirement,
        "count": count,
        "period_days": days,
        **extra,
    }


# First-contact deadlines (Idaho SOP): face-to-face within 3 business days, home visit within
# 30 days, treatment-provider contact within 14 days; employment verification has none.
_INITIAL: dict[str, dict[str, Any]] = {
    CR.FACE_TO_FACE: {"initial_deadline": 3, "initial_in_business_days": True},
    CR.HOME_VISIT: {"initial_deadline": 30},
    CR.TREATMENT_COLLATERAL: {"initial_deadline": 14},
    CR.EMPLOYMENT_VERIFICATION: {},
}
_CONTACT_TABLE: list[tuple[str, dict[str, tuple[int, int]]]] = [
    (CR.FACE_TO_FACE, {L: (1, 90), M: (1, 30), H: (2, 30)}),
    (CR.HOME_VISIT, {L: (1, 90), M: (1, 60), H: (1, 30)}),
    (CR.TREATMENT_COLLATERAL, {L: (1, 90), M: (1, 30), H: (1, 30)}),
    (CR.EMPLOYMENT_VERIFICATION, {L: (1, 60), M: (1, 60), H: (1, 30)}),
]

CONTACT = DefaultProtocol(
    key="contact",
    area=ProtocolArea.SUPERVISION,
    title="Supervision contact standards",
    summary="Minimum supervision contacts by supervision level, and first-contact deadlines.",
    applies_to_roles=[Role.SUPERVISION_OFFICER, Role.SUPERVISOR, Role.CASE_MANAGER],
    source="Idaho corrections SOP as coded in Recidiviz us_ix_supervision_compliance.py",
    rows={
        "contact": [
            _contact(level, requirement, count, days, **_INITIAL[requirement])
            for requirement, by_level in _CONTACT_TABLE
            for level, (count, days) in by_level.items()
        ]
    },
)

SORNA = DefaultProtocol(
    key="sorna",
    area=ProtocolArea.SUPERVISION,
    title="Sex offender registration: federal minimum (SORNA)",
    summary="In-person verification and registration periods by tier (34 U.S.C. 20915, 20918).",
    applies_to_roles=[Role.REGISTRY_OFFICER],
    source="SORNA, 34 U.S.C. 20913, 20915, 20918; 28 CFR Part 72",
    rows={
        "registration": [
            {"tier": Tier.I, "rule": RegistrationRule.INTERVAL_MONTHS, "interval": 12, "period_years": 15},
            {"tier": Tier.II, "rule": RegistrationRule.INTERVAL_MONTHS, "interval": 6, "period_years": 25},
            {"tier": Tier.III, "rule": RegistrationRule.INTERVAL_MONTHS, "interval": 3, "period_years": None},
        ]
    },
)  # fmt: skip

PRAIRIE_REGISTRATION = DefaultProtocol(
    key="prairie-registration",
    area=ProtocolArea.SUPERVISION,
    title="Prairie State registration",
    summary="Prairie State's own rule (after Kansas KORA, K.S.A. 22-4905): four in-person "
    "reports a year, transient registrants every 30 days.",
    applies_to_roles=[Role.REGISTRY_OFFICER],
    source="Kansas KORA, K.S.A. 22-4905 (Prairie State is fictional)",
    rows={
        "registration": [
            *(
                {
                    "jurisdiction": DEMO_JURISDICTION,
                    "tier": tier,
                    "rule": RegistrationRule.BIRTH_MONTH_QUARTERLY,
                    "interval": 3,
                    "period_years": years,
                    "note": "Periods as SORNA (unconfirmed for the state rule).",
                }
                for tier, years in ((Tier.I, 15), (Tier.II, 25), (Tier.III, None))
            ),
            {
                "jurisdiction": DEMO_JURISDICTION,
                "tier": "",
                "applies_to_transient": True,
                "rule": RegistrationRule.TRANSIENT_DAYS,
                "interval": 30,
                "period_years": None,
                "note": "Transient registrants report every 30 days whatever their tier.",
            },
        ]
    },
)

ASSESSMENT = DefaultProtocol(
    key="assessment",
    area=ProtocolArea.ASSESSMENT,
    title="Risk assessment and reassessment",
    summary="Which instruments are repeated how often, and which supervision level a "
    "Static-99R result calls for.",
    applies_to_roles=[Role.CASE_MANAGER, Role.SUPERVISION_OFFICER, Role.TREATMENT_PROVIDER],
    source="Static-99R coding rules (2016); STABLE-2007 and ACUTE-2007 manuals",
    rows={
        "reassessment": [
            {
                "instrument_code": "stable-2007",
                "supervision_level": "",
                "interval_days": 182,
                "note": "About every 6 months, every level.",
            },
            {
                "instrument_code": "acute-2007",
                "supervision_level": H,
                "interval_days": 30,
                "note": "At least every 30 days for higher-risk cases.",
            },
            {
                "instrument_code": "acute-2007",
                "supervision_level": M,
                "interval_days": 30,
                "note": "At least every 30 days for higher-risk cases.",
            },
            # Static-99R has no row on purpose: it scores static history, so it is rescored
            # only on new information (a new sex offence, a new conviction); a calendar
            # interval would raise alerts that cannot change the score.
        ],
        "level-mapping": [
            {"instrument_code": "static-99r", "assessment_level": level, "supervision_level": sup}
            for level, sup in (("I", L), ("II", L), ("III", M), ("IVa", H), ("IVb", H))
        ],
    },
)

_CHECKLIST: list[tuple[str, str, str]] = [
    ("residence", "Residence identified: address, household members (note any minors), landlord, housing status", "residence"),
    ("home_investigation", "Home investigation completed by the supervision officer and the residence approved, including the residence-restriction check where one applies", "home_investigation"),
    ("treatment_referral", "Treatment referral made and intake date set", "treatment"),
    ("employment_income", "Employment or another source of income identified", "employment"),
    ("transportation", "Transportation to supervision, treatment and work arranged", "transportation"),
    ("support_network", "Support network identified (family, faith, circles of support)", "support_network"),
    ("victim_safety", "Victim safety addressed: no-contact orders, exclusion zones, victim notification wishes", "victim_safety"),
    ("special_conditions", "Special conditions proposed from the catalogue (polygraph, GPS, internet, minors)", "conditions"),
    ("transition_services", "Transition services arranged: ID, benefits, medication, first appointments", "transition"),
    ("pre_registration", "Pre-registered with the registry before release", "pre_registration"),
]  # fmt: skip

RELEASE = DefaultProtocol(
    key="release",
    area=ProtocolArea.RELEASE_PLANNING,
    title="Release planning",
    summary="What every release plan covers before it goes to the parole board.",
    applies_to_roles=[Role.RELEASE_PLANNER, Role.CASE_MANAGER],
    source="Kansas MOU continuum goals; OVC SART Toolkit",
    rows={
        "checklist": [
            {"code": code, "text": text, "component": component, "order": (n + 1) * 10}
            for n, (code, text, component) in enumerate(_CHECKLIST)
        ]
    },
)

C = ConditionCategory
_CONDITIONS: list[tuple[str, str, str, str, bool]] = [
    ("polygraph-maintenance", C.POLYGRAPH, "Polygraph examinations", "Submit to sexual history disclosure, maintenance and specific-issue polygraph examinations as directed by the supervision officer and treatment provider.", False),
    ("gps-curfew", C.MONITORING, "GPS monitoring with curfew", "Wear a GPS monitoring device at all times and remain at the approved residence during the curfew hours set by the supervision officer.", False),
    ("exclusion-zones", C.VICTIM, "Exclusion zones", "Do not enter the exclusion zones set out in the conditions (for example the area around a victim's home, school or workplace).", True),
    ("internet-devices", C.INTERNET, "Internet and device restrictions", "Do not own or use an internet-capable device without the supervision officer's approval; allow inspection and monitoring software on any approved device.", False),
    ("no-unsupervised-minors", C.MINORS, "No unsupervised contact with minors", "Have no contact with anyone under 18 unless an adult approved by the supervision officer is present.", True),
    ("no-overnight-children", C.MINORS, "No overnight stays in households with children", "Do not stay overnight in any household where a person under 18 lives or is staying.", True),
    ("no-victim-contact", C.VICTIM, "No contact with named victims", "Have no direct or indirect contact with the victims named in the conditions, including through third parties or online.", True),
    ("treatment-participation", C.TREATMENT, "Treatment participation", "Attend and participate in sex offense-specific treatment with an approved provider and follow its rules.", False),
    ("residence-approval", C.RESIDENCE, "Approved residence", "Live only at a residence approved in advance by the supervision officer; report any change within 3 business days.", False),
]  # fmt: skip

CONDITIONS = DefaultProtocol(
    key="conditions",
    area=ProtocolArea.CASE_MANAGEMENT,
    title="Special-conditions catalogue",
    summary="Special conditions of release with stable ids, versioned like a licence-condition "
    "catalogue.",
    applies_to_roles=[Role.RELEASE_PLANNER, Role.SUPERVISION_OFFICER, Role.BOARD_MEMBER],
    source="NIJ containment model (1996); UK licence-condition catalogue as a model",
    rows={
        "condition": [
            {
                "code": code,
                "category": category,
                "title": title,
                "text": text,
                "protects_victim": protects,
                "version": 1,
            }
            for code, category, title, text, protects in _CONDITIONS
        ]
    },
)

HOUSING = DefaultProtocol(
    key="housing",
    area=ProtocolArea.HOUSING,
    title="Housing and residence restrictions",
    summary="Distances are checked only where a jurisdiction sets them; housing status and "
    "transient registrants are tracked everywhere.",
    applies_to_roles=[Role.SUPERVISION_OFFICER, Role.RELEASE_PLANNER, Role.REGISTRY_OFFICER],
    source="NIJ on residence restrictions; typical 1,000 ft (range 500–2,500 ft)",
    rows={
        "residence-restriction": [
            {"jurisdiction": RESTRICTING_JURISDICTION, "site_kind": kind, "distance_feet": 1000}
            for kind in (
                ProtectedSiteKind.SCHOOL,
                ProtectedSiteKind.CHILDCARE,
                ProtectedSiteKind.PARK,
            )
        ]
    },
)

_ALERT_OVERRIDES: dict[str, dict[str, Any]] = {
    AlertRuleCode.MOU_EXPIRING: {"due_soon_days": 60, "note": "Warn 60 days before expiry."},
    AlertRuleCode.TRAINING_EXPIRING: {
        "due_soon_days": 30,
        "note": "Matches the training compliance page's 30-day window.",
    },
    AlertRuleCode.BOARD_REFERRAL: {
        "escalate_after_days": 14,
        "note": "A referred plan waits for the hearing; escalate to the chair after two weeks.",
    },
}

ALERTS = DefaultProtocol(
    key="alerts",
    area=ProtocolArea.DATA_COLLECTION,
    title="Alerts and escalation",
    summary="How early each alert warns, when an unhandled alert escalates to the supervisor, "
    "and how long before release a missing plan is flagged.",
    applies_to_roles=[Role.SUPERVISOR],
    source="SARTCM defaults",
    rows={
        "alert-setting": [
            {
                "rule": rule,
                "due_soon_days": 14,
                "escalate_after_days": 3,
                "release_lead_days": 90,
                **_ALERT_OVERRIDES.get(rule, {}),
            }
            for rule in AlertRuleCode
        ]
    },
)

DEFAULT_PROTOCOLS: list[DefaultProtocol] = [
    CONTACT,
    SORNA,
    PRAIRIE_REGISTRATION,
    ASSESSMENT,
    RELEASE,
    CONDITIONS,
    HOUSING,
    ALERTS,
]


# --------------------------------------------------------------------------- holidays


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 = last) `weekday` (Mon=0) of a month."""
    if n < 0:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _observed(day: date) -> date:
    """Federal rule (5 U.S.C. 6103): Saturday → Friday before, Sunday → Monday after."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> list[tuple[date, str]]:
    """The 11 US federal holidays of `year`, on the day they are observed."""
    mon, thu = 0, 3
    fixed = [
        (date(year, 1, 1), "New Year's Day"),
        (date(year, 6, 19), "Juneteenth National Independence Day"),
        (date(year, 7, 4), "Independence Day"),
        (date(year, 11, 11), "Veterans Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    floating = [
        (_nth_weekday(year, 1, mon, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, mon, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, mon, -1), "Memorial Day"),
        (_nth_weekday(year, 9, mon, 1), "Labor Day"),
        (_nth_weekday(year, 10, mon, 2), "Columbus Day"),
        (_nth_weekday(year, 11, thu, 4), "Thanksgiving Day"),
    ]
    days = [
        (_observed(day), name if _observed(day) == day else f"{name} (observed)")
        for day, name in fixed
    ]
    return sorted(days + floating)


def default_holidays() -> list[tuple[date, str]]:
    return [holiday for year in HOLIDAY_YEARS for holiday in us_federal_holidays(year)]


# --------------------------------------------------------------------------- description


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("|", "\\|")


def describe_rows(kind_slug: str, rows: list[dict[str, Any]]) -> str:
    """A Markdown table of one kind's default rows (columns: every field any row sets)."""
    from protocols.kinds import kind_for_slug

    kind = kind_for_slug(kind_slug)
    columns = [
        name
        for name in ("jurisdiction", *kind.key_fields, *kind.value_fields, "note")
        if any(name in row for row in rows)
    ]
    columns = list(dict.fromkeys(columns))
    labels = [
        str(kind.model._meta.get_field(name).verbose_name) if name != "version" else "version"
        for name in columns
    ]
    lines = ["| " + " | ".join(labels) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for name in columns:
            model_field = kind.model._meta.get_field(name)
            value = row.get(name, model_field.get_default())
            if name == "jurisdiction" and not value:
                value = "(default)"
            elif model_field.choices and value:
                value = dict(model_field.flatchoices).get(value, value)
            cells.append(_cell(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def protocol_body(protocol: DefaultProtocol) -> str:
    """The Markdown text of a default protocol's version 1: summary, source and its tables."""
    from protocols.kinds import kind_for_slug

    parts = [protocol.summary, f"*Source:* {protocol.source}."]
    for kind_slug, rows in protocol.rows.items():
        kind = kind_for_slug(kind_slug)
        parts += [f"## {kind.label}", kind.description, describe_rows(kind_slug, rows)]
    if protocol.key == "assessment":
        parts.append(
            "Static-99R is not on a calendar: it scores static history, so it is rescored "
            "only when new information arrives (a new offence or conviction)."
        )
    return "\n\n".join(parts) + "\n"


def describe_defaults() -> str:
    """docs/standards.md: every default standard, generated from this module."""
    intro = (
        "# Default standards\n\n"
        "Generated from `protocols/defaults.py` (`manage.py load_standards --describe`); "
        "a test fails when this file and the data disagree. Every row below is data with an "
        f"effective period starting {EFFECTIVE_FROM:%Y-%m-%d}; editors supersede rows on the "
        "Standards pages and earlier dates keep using the rows in force then. "
        "`(default)` rows apply to every jurisdiction that has no rows of its own.\n\n"
        "How jurisdictions override the defaults: a jurisdiction with any contact standard, "
        "registration schedule or checklist item in force replaces that whole table; for "
        "reassessment intervals, level mappings, special conditions, residence restrictions "
        "and alert settings, its own row replaces the default row with the same key.\n"
    )
    sections = [intro]
    for protocol in DEFAULT_PROTOCOLS:
        sections.append(f"## {protocol.title}\n\n{protocol_body(protocol).replace('## ', '### ')}")
    holidays = "\n".join(f"| {day:%Y-%m-%d} | {name} |" for day, name in default_holidays())
    sections.append(
        "## Holiday calendar\n\n"
        "US federal holidays 2025–2028 on their observed dates (Saturday → Friday, "
        "Sunday → Monday), used for business-day deadlines everywhere.\n\n"
        "| date | holiday |\n|---|---|\n" + holidays + "\n"
    )
    return "\n".join(sections)
