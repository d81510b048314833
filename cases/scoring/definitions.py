"""The built-in instruments as data: Static-99R (2016 coding rules), STABLE-2007, ACUTE-2007.

Sources: ../shared/domain.md. Static-99R items and levels are the published 2016 rules and
are not meant to be edited. STABLE-2007 and ACUTE-2007 bands are marked `bands_configurable`:
the defaults below are unconfirmed and an agency may adopt others (a new instrument version).

ACUTE-2007 (choice documented here): items score 0 (no problem), 1 (some concern), 3
(intervene now). The total is the general score (all seven items). Sub-score bands:
sex/violence 0 low, 1–2 moderate, 3+ high; general 0–1 low, 2–4 moderate, 5+ high. The
instrument's level is the higher of the two sub-score levels, so one "intervene now" on a
sex/violence item (e.g. victim access) makes the acute level high.
"""

from __future__ import annotations

from typing import Any

YES_NO = [
    {"value": "no", "label": "No", "points": 0},
    {"value": "yes", "label": "Yes", "points": 1},
]


def _yes_no(number: int, code: str, label: str, help_text: str = "") -> dict[str, Any]:
    return {"number": number, "code": code, "label": label, "help": help_text, "answers": YES_NO}


STATIC99R: dict[str, Any] = {
    "schema": 1,
    "source": "Static-99R coding rules, revised 2016",
    "bands_configurable": False,
    "items": [
        {
            "number": 1,
            "code": "age_at_release",
            "label": "Age at release",
            "type": "age_at_release",
            "help": "Computed from the date of birth and the (expected) release date.",
            "ranges": [
                {"min": 18, "max": 34, "points": 1, "label": "18 to 34.9"},
                {"min": 35, "max": 39, "points": 0, "label": "35 to 39.9"},
                {"min": 40, "max": 59, "points": -1, "label": "40 to 59.9"},
                {"min": 60, "max": None, "points": -3, "label": "60 or older"},
            ],
        },
        {
            "number": 2,
            "code": "ever_lived_with_partner",
            "label": "Ever lived with an intimate partner for 2 years or more",
            "answers": [
                {"value": "no", "label": "No", "points": 1},
                {"value": "yes", "label": "Yes", "points": 0},
            ],
        },
        _yes_no(3, "index_nonsexual_violence", "Index non-sexual violence: any conviction"),
        _yes_no(4, "prior_nonsexual_violence", "Prior non-sexual violence: any conviction"),
        {
            "number": 5,
            "code": "prior_sex_offences",
            "label": "Prior sex offences",
            "type": "higher_of",
            "help": "Scored as the higher of the charges reading and the convictions reading.",
            "readings": [
                {
                    "number": "5a",
                    "code": "prior_sex_charges",
                    "label": "Prior sex offences: number of charges",
                    "type": "count",
                    "ranges": [
                        {"min": 0, "max": 0, "points": 0},
                        {"min": 1, "max": 2, "points": 1},
                        {"min": 3, "max": 5, "points": 2},
                        {"min": 6, "max": None, "points": 3},
                    ],
                },
                {
                    "number": "5b",
                    "code": "prior_sex_convictions",
                    "label": "Prior sex offences: number of convictions",
                    "type": "count",
                    "ranges": [
                        {"min": 0, "max": 0, "points": 0},
                        {"min": 1, "max": 1, "points": 1},
                        {"min": 2, "max": 3, "points": 2},
                        {"min": 4, "max": None, "points": 3},
                    ],
                },
            ],
        },
        {
            "number": 6,
            "code": "prior_sentencing_dates",
            "label": "Prior sentencing dates (excluding index)",
            "type": "count",
            "ranges": [
                {"min": 0, "max": 3, "points": 0},
                {"min": 4, "max": None, "points": 1},
            ],
        },
        _yes_no(7, "noncontact_sex_offences", "Any convictions for non-contact sex offences"),
        _yes_no(8, "unrelated_victims", "Any unrelated victims"),
        _yes_no(9, "stranger_victims", "Any stranger victims"),
        _yes_no(10, "male_victims", "Any male victims"),
    ],
    "bands": [
        {"min": None, "max": -2, "level": "I", "label": "Level I — very low risk"},
        {"min": -1, "max": 0, "level": "II", "label": "Level II — below average risk"},
        {"min": 1, "max": 3, "level": "III", "label": "Level III — average risk"},
        {"min": 4, "max": 5, "level": "IVa", "label": "Level IVa — above average risk"},
        {"min": 6, "max": None, "level": "IVb", "label": "Level IVb — well above average risk"},
    ],
}

STABLE_ANSWERS = [
    {"value": "0", "label": "No problem", "points": 0},
    {"value": "1", "label": "Some problem", "points": 1},
    {"value": "2", "label": "Definite problem", "points": 2},
]

# (code, label, suggested goal, suggested interventions)
_STABLE_ITEMS: list[tuple[str, str, str, str]] = [
    (
        "significant_social_influences",
        "Significant social influences",
        "Build a network of pro-social people who support supervision and treatment.",
        "Identify negative influences; mentor or support-group referral; family session.",
    ),
    (
        "capacity_for_relationship_stability",
        "Capacity for relationship stability",
        "Develop the skills for a stable, non-abusive intimate relationship.",
        "Relationship-skills module in treatment; couples work where appropriate.",
    ),
    (
        "emotional_identification_with_children",
        "Emotional identification with children",
        "Meet emotional needs through adult relationships, not through children.",
        "Treatment work on emotional congruence with children; no-contact conditions.",
    ),
    (
        "hostility_toward_women",
        "Hostility toward women",
        "Reduce hostile attitudes toward women.",
        "Cognitive restructuring in treatment; respectful-relationships programme.",
    ),
    (
        "general_social_rejection",
        "General social rejection / loneliness",
        "Reduce isolation and build community ties.",
        "Structured activities, volunteering, peer support.",
    ),
    (
        "lack_of_concern_for_others",
        "Lack of concern for others",
        "Show consistent concern for the effect of own behaviour on others.",
        "Victim-empathy and perspective-taking work in treatment.",
    ),
    (
        "impulsive_acts",
        "Impulsive acts",
        "Plan ahead and avoid impulsive, risky decisions.",
        "Self-management plan; weekly schedule reviewed with the officer.",
    ),
    (
        "poor_problem_solving",
        "Poor problem-solving skills",
        "Solve everyday problems without crisis.",
        "Problem-solving skills training; case-management support with practical needs.",
    ),
    (
        "negative_emotionality",
        "Negative emotionality / hostility",
        "Manage anger, grievance and low mood safely.",
        "Emotion-regulation work; mental-health referral where indicated.",
    ),
    (
        "sex_drive_preoccupation",
        "Sex drive / sexual preoccupation",
        "Reduce sexual preoccupation to a manageable level.",
        "Treatment focus on sexual self-regulation; medical consultation where indicated.",
    ),
    (
        "sex_as_coping",
        "Sex as coping",
        "Use healthy ways to cope with stress and negative emotions.",
        "Coping-skills plan; relapse-prevention work in treatment.",
    ),
    (
        "deviant_sexual_preference",
        "Deviant sexual preference",
        "Manage deviant sexual interests and avoid high-risk situations.",
        "Specialised treatment; polygraph maintenance exams; risk-situation plan.",
    ),
    (
        "cooperation_with_supervision",
        "Cooperation with supervision",
        "Cooperate openly with supervision and treatment.",
        "Clear expectations; more frequent contacts; graduated responses.",
    ),
]

STABLE2007: dict[str, Any] = {
    "schema": 1,
    "source": "STABLE-2007 (stable dynamic needs), reassessed about every 6 months",
    "bands_configurable": True,
    "items": [
        {
            "number": number,
            "code": code,
            "label": label,
            "answers": STABLE_ANSWERS,
            "dynamic": True,
            "goal": goal,
            "interventions": interventions,
            **(
                {
                    "condition": "child_victim",
                    "help": "Scored only where there is a child victim (under 14).",
                }
                if code == "emotional_identification_with_children"
                else {}
            ),
        }
        for number, (code, label, goal, interventions) in enumerate(_STABLE_ITEMS, start=1)
    ],
    # Unconfirmed defaults (domain.md): 0–3 low, 4–11 moderate, 12+ high.
    "bands": [
        {"min": 0, "max": 3, "level": "low", "label": "Low"},
        {"min": 4, "max": 11, "level": "moderate", "label": "Moderate"},
        {"min": 12, "max": None, "level": "high", "label": "High"},
    ],
}

ACUTE_ANSWERS = [
    {"value": "0", "label": "No problem", "points": 0},
    {"value": "1", "label": "Some concern", "points": 1},
    {"value": "3", "label": "Intervene now", "points": 3},
]

_ACUTE_ITEMS: list[tuple[str, str, str, str]] = [
    (
        "victim_access",
        "Victim access",
        "Remove access to potential victims.",
        "Review residence, work and leisure for victim access; enforce no-contact conditions.",
    ),
    (
        "hostility",
        "Hostility",
        "Reduce current hostility and grievance.",
        "Immediate check-in; de-escalation plan; treatment-provider contact.",
    ),
    (
        "sexual_preoccupation",
        "Sexual preoccupation",
        "Reduce current sexual preoccupation.",
        "Increase treatment sessions; review internet and device use.",
    ),
    (
        "rejection_of_supervision",
        "Rejection of supervision",
        "Re-engage with supervision.",
        "Case conference; clarify expectations; graduated responses.",
    ),
    (
        "emotional_collapse",
        "Emotional collapse",
        "Stabilise emotional state.",
        "Crisis or mental-health referral; increase contacts.",
    ),
    (
        "collapse_of_social_supports",
        "Collapse of social supports",
        "Restore a supportive network.",
        "Contact support persons; housing and benefits help.",
    ),
    (
        "substance_abuse",
        "Substance abuse",
        "Stop current substance misuse.",
        "Substance-use assessment and treatment; testing.",
    ),
]

SEX_VIOLENCE_ITEMS = [
    "victim_access",
    "hostility",
    "sexual_preoccupation",
    "rejection_of_supervision",
]
GENERAL_BANDS = [
    {"min": 0, "max": 1, "level": "low", "label": "Low"},
    {"min": 2, "max": 4, "level": "moderate", "label": "Moderate"},
    {"min": 5, "max": None, "level": "high", "label": "High"},
]

ACUTE2007: dict[str, Any] = {
    "schema": 1,
    "source": "ACUTE-2007 (acute dynamic risk), reassessed at least every 30 days for higher risk",
    "bands_configurable": True,
    "items": [
        {
            "number": number,
            "code": code,
            "label": label,
            "answers": ACUTE_ANSWERS,
            "dynamic": True,
            "goal": goal,
            "interventions": interventions,
        }
        for number, (code, label, goal, interventions) in enumerate(_ACUTE_ITEMS, start=1)
    ],
    "subscores": {
        "sex_violence": {
            "label": "Sex/violence",
            "items": SEX_VIOLENCE_ITEMS,
            "bands": [
                {"min": 0, "max": 0, "level": "low", "label": "Low"},
                {"min": 1, "max": 2, "level": "moderate", "label": "Moderate"},
                {"min": 3, "max": None, "level": "high", "label": "High"},
            ],
        },
        "general": {
            "label": "General",
            "items": [code for code, *_ in _ACUTE_ITEMS],
            "bands": GENERAL_BANDS,
        },
    },
    "level_rule": "highest_subscore",
    "level_subscores": ["sex_violence", "general"],
    "level_order": ["low", "moderate", "high"],
    # The total is the general score; these bands describe it.
    "bands": GENERAL_BANDS,
}

# code → (name, kind, definition)
BUILTIN: dict[str, tuple[str, str, dict[str, Any]]] = {
    "static99r": ("Static-99R", "static", STATIC99R),
    "stable2007": ("STABLE-2007", "stable", STABLE2007),
    "acute2007": ("ACUTE-2007", "acute", ACUTE2007),
}

# Default protocol standards that go with the built-ins (loaded only on request and only
# where none exist): assessment level → supervision level, and reassessment intervals.
DEFAULT_LEVEL_MAPPINGS: dict[str, dict[str, str]] = {
    "static99r": {"I": "low", "II": "low", "III": "moderate", "IVa": "high", "IVb": "high"},
    "stable2007": {"low": "low", "moderate": "moderate", "high": "high"},
    "acute2007": {"low": "low", "moderate": "moderate", "high": "high"},
}
# (instrument code, supervision level or "" for any) → days. Unconfirmed defaults.
DEFAULT_INTERVALS: dict[tuple[str, str], int] = {
    ("stable2007", ""): 180,
    ("acute2007", ""): 30,
    ("acute2007", "low"): 90,
    ("acute2007", "moderate"): 60,
    ("acute2007", "high"): 30,
}
