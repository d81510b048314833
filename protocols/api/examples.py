"""OpenAPI examples for protocols, protocol versions and the standards (fictional data)."""

from __future__ import annotations

from typing import Any

from sartcm.api.examples import action_example, example_views

PROTOCOL = {
    "id": 14,
    "area": "supervision",
    "title": "Home visits for registrants under high supervision",
    "summary": "How often officers visit, what they look at, and what they write down.",
    "applies_to_roles": ["supervision_officer", "supervisor"],
    "owner_agency": 4,
    "adopted_version": 3,
}
PROTOCOLS = example_views(
    PROTOCOL,
    create={k: PROTOCOL[k] for k in ("area", "title", "summary", "applies_to_roles")},
    patch={"summary": "Visit schedule, walk-through checklist and the report to file."},
)

VERSION = {
    "id": 41,
    "protocol": 14,
    "number": 3,
    "status": "adopted",
    "body": "## Visits\n\nVisit the residence at least once every 30 days, unannounced.",
    "body_html": "<h2>Visits</h2>\n<p>Visit the residence at least once every 30 days, "
    "unannounced.</p>",
    "change_summary": "Visits are unannounced.",
    "effective_from": "2026-04-01",
    "adopted_at": "2026-03-10T15:00:00-06:00",
    "acknowledge_within_days": 14,
    "adopting_agencies": [4, 6],
}
DRAFT = {**VERSION, "id": 42, "number": 4, "status": "draft", "effective_from": None}
DRAFT.update(adopted_at=None, adopting_agencies=[])
_EDIT = {
    "body": "## Visits\n\nVisit the residence at least twice every 30 days, unannounced.",
    "change_summary": "Two visits a month.",
    "acknowledge_within_days": 10,
}
PROTOCOL_VERSIONS = example_views(
    VERSION,
    create={
        "protocol": 14,
        "body": DRAFT["body"],
        "change_summary": "Draft of the next version.",
        "acknowledge_within_days": 14,
    },
    partial_update=action_example({**DRAFT, **_EDIT}, request=_EDIT, name="Updated draft"),
    update=action_example({**DRAFT, **_EDIT}, request=_EDIT, name="Updated draft"),
    adopt=action_example(
        {**DRAFT, "status": "adopted", "effective_from": "2026-07-01", "adopting_agencies": [4]},
        request={"effective_from": "2026-07-01"},
        name="Adopted",
    ),
    retire=action_example({**VERSION, "status": "retired"}, name="Retired"),
    acknowledge=action_example(
        {"id": 388, "version": 41, "staff": 17, "acknowledged_at": "2026-03-12T08:30:00-06:00"},
        name="Acknowledged",
    ),
    diff=action_example(
        {
            "from_version": 3,
            "to_version": 4,
            "unified": "--- v3\n+++ v4\n@@ -3 +3 @@\n-Visit the residence at least once every "
            "30 days, unannounced.\n+Visit the residence at least twice every 30 days, "
            "unannounced.\n",
            "rows": [
                {"kind": "equal", "old": 1, "new": 1, "text": "## Visits"},
                {
                    "kind": "delete",
                    "old": 3,
                    "new": None,
                    "text": "Visit the residence at least once every 30 days, unannounced.",
                },
                {
                    "kind": "insert",
                    "old": None,
                    "new": 3,
                    "text": "Visit the residence at least twice every 30 days, unannounced.",
                },
            ],
        },
        name="Changes between two versions",
    ),
    pending=action_example(
        {
            "staff_id": 17,
            "agency_id": 4,
            "protocol_id": 14,
            "version_id": 41,
            "due_date": "2026-03-24",
        },
        name="Not acknowledged yet",
    ),
)


def standard_examples(
    row: dict[str, Any], change: dict[str, Any], preview: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """Examples for one kind of standard: the row, a new standard, and its supersede (a new
    version from a date), preview (nothing saved) and end actions."""
    create = {k: v for k, v in row.items() if k not in ("id", "version")}
    successor = {
        **row,
        **change,
        "id": row["id"] + 1,
        "effective_from": "2026-07-01",
        "note": "Board resolution 2026-11 (fictional).",
    }
    change_request = {k: successor[k] for k in (*change, "effective_from", "note")}
    return example_views(
        row,
        create=create,
        patch=patch,
        supersede=action_example(
            successor, request=change_request, name="New version", status="201"
        ),
        preview=action_example(
            {"preview": preview}, request=change_request, name="What would change"
        ),
        end=action_example(
            {**row, "effective_to": "2026-12-31"},
            request={"effective_to": "2026-12-31"},
            name="Ended",
        ),
    )


_COMMON = {
    "jurisdiction": "Prairie County (fictional)",
    "effective_from": "2026-01-01",
    "effective_to": None,
    "protocol_version": 41,
    "note": "",
}
_NOTE = {"note": "Wording checked by the SART coordinator."}
STANDARDS: dict[str, dict[str, Any]] = {
    "contact": standard_examples(
        {
            "id": 31,
            **_COMMON,
            "supervision_level": "high",
            "requirement": "face_to_face",
            "count": 2,
            "period_days": 30,
            "initial_deadline": 3,
            "initial_in_business_days": True,
        },
        {"count": 3},
        "From 2026-07-01, high / face to face: 2 → 3 per 30 days. 18 cases would fall behind.",
        _NOTE,
    ),
    "registration": standard_examples(
        {
            "id": 8,
            **_COMMON,
            "tier": "II",
            "applies_to_transient": False,
            "rule": "interval_months",
            "interval": 6,
            "period_years": 25,
            "due_soon_days": 14,
            "report_change_business_days": 3,
        },
        {"interval": 3},
        "From 2026-07-01, tier II: verify every 6 → 3 months. 42 registrations get an earlier "
        "due date.",
        _NOTE,
    ),
    "reassessment": standard_examples(
        {
            "id": 5,
            **_COMMON,
            "instrument_code": "stable2007",
            "supervision_level": "high",
            "interval_days": 180,
        },
        {"interval_days": 120},
        "From 2026-07-01, STABLE-2007 at high: every 180 → 120 days.",
        _NOTE,
    ),
    "level-mapping": standard_examples(
        {
            "id": 12,
            **_COMMON,
            "instrument_code": "static99r",
            "assessment_level": "IVa",
            "supervision_level": "high",
        },
        {"supervision_level": "moderate"},
        "From 2026-07-01, Static-99R IVa maps to moderate (was high). 9 cases would change level.",
        _NOTE,
    ),
    "checklist": standard_examples(
        {
            "id": 21,
            **_COMMON,
            "code": "residence",
            "text": "Residence approved after a home investigation",
            "component": "residence",
            "required": True,
            "order": 1,
        },
        {"text": "Residence approved after an in-person home investigation"},
        "From 2026-07-01, item 'residence' reads: Residence approved after an in-person home "
        "investigation.",
        _NOTE,
    ),
    "condition": standard_examples(
        {
            "id": 12,
            **_COMMON,
            "code": "no-minors",
            "category": "minors",
            "title": "No contact with minors",
            "text": "No contact with anyone under 18 without an approved chaperone.",
            "protects_victim": False,
            "version": 2,
        },
        {
            "text": "No contact, in person or online, with anyone under 18 without an approved "
            "chaperone."
        },
        "From 2026-07-01, no-minors becomes version 3 (text changed).",
        _NOTE,
    ),
    "residence-restriction": standard_examples(
        {
            "id": 3,
            **_COMMON,
            "site_kind": "school",
            "distance_feet": 1000,
        },
        {"distance_feet": 1500},
        "From 2026-07-01, schools: 1000 → 1500 ft. 2 registrants' residences would conflict.",
        _NOTE,
    ),
    "alert-setting": standard_examples(
        {
            "id": 9,
            **_COMMON,
            "rule": "registration_due_soon",
            "due_soon_days": 14,
            "escalate_after_days": 7,
            "release_lead_days": 90,
            "enabled": True,
        },
        {"due_soon_days": 21},
        "From 2026-07-01, registration due soon: warn 14 → 21 days ahead.",
        _NOTE,
    ),
}
