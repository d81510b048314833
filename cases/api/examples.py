"""OpenAPI examples for the case-data endpoints (fictional data), applied to each viewset with
one `@extend_schema_view(**examples.X)` line so the viewset modules stay readable.

List examples are one row: drf-spectacular wraps them in the page envelope.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema


def _views(
    row: dict[str, Any],
    *,
    create: dict[str, Any] | None = None,
    patch: dict[str, Any] | None = None,
    put: dict[str, Any] | None = None,
    partner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """extend_schema_view kwargs: the row as list/retrieve/write response, and request bodies."""
    read = [OpenApiExample("Lead agency view", value=row, response_only=True)]
    if partner is not None:
        read.append(
            OpenApiExample(
                "Partner view (only the fields its MOU term shares)",
                value=partner,
                response_only=True,
            )
        )
    views: dict[str, Any] = {
        "list": extend_schema(examples=read),
        "retrieve": extend_schema(examples=read),
    }
    if create is not None:
        views["create"] = extend_schema(
            examples=[
                OpenApiExample("Request", value=create, request_only=True),
                OpenApiExample("Created", value=row, response_only=True, status_codes=["201"]),
            ]
        )
    if patch is not None:
        views["partial_update"] = extend_schema(
            examples=[
                OpenApiExample("Request", value=patch, request_only=True),
                OpenApiExample("Updated", value={**row, **patch}, response_only=True),
            ]
        )
    if put is not None:
        views["update"] = extend_schema(
            examples=[
                OpenApiExample("Request", value=put, request_only=True),
                OpenApiExample("Updated", value={**row, **put}, response_only=True),
            ]
        )
    return views


CONTACT = {
    "id": 4411,
    "case": 57,
    "contact_at": "2026-03-02T10:30:00-06:00",
    "contact_type": "home_visit",
    "face_to_face": True,
    "location": "Residence, 118 Cedar Row (fictional)",
    "outcome": "completed",
    "notes": "Walk-through of the residence; no minors present; no concerns.",
    "officer_name": "Dana Whitfield",
}
CONTACTS = _views(
    CONTACT,
    create={k: v for k, v in CONTACT.items() if k not in ("id", "officer_name")},
    patch={"outcome": "violation", "notes": "Curfew violation observed at 22:40."},
    partner={
        "id": 4411,
        "case": 57,
        "contact_at": CONTACT["contact_at"],
        "contact_type": "home_visit",
    },
)

REPORT = {
    "id": 301,
    "enrollment": 88,
    "case": 57,
    "month": "2026-02-01",
    "sessions_scheduled": 4,
    "sessions_attended": 3,
    "participation": "good",
    "progress": "fair",
    "concerns": "Minimizes offense in group (fictional).",
    "author_name": "Dr. Ellis Marrow",
    "created_at": "2026-03-03T09:12:44-06:00",
}
TREATMENT_REPORTS = _views(
    REPORT,
    create={
        "enrollment": 88,
        "month": "2026-02",
        "sessions_scheduled": 4,
        "sessions_attended": 3,
        "participation": "good",
        "progress": "fair",
        "concerns": "Minimizes offense in group (fictional).",
    },
)

ENROLLMENT = {
    "id": 88,
    "case": 57,
    "provider": 9,
    "provider_name": "Prairie Counseling Associates (fictional)",
    "program": "Outpatient sex offense specific treatment",
    "intake_date": "2026-01-12",
    "expected_completion": "2027-01-12",
    "discharge_status": "active",
    "discharged_on": None,
    "reports": [REPORT],
}
TREATMENT_ENROLLMENTS = _views(
    ENROLLMENT,
    create={
        "case": 57,
        "provider": 9,
        "program": "Outpatient sex offense specific treatment",
        "intake_date": "2026-01-12",
        "expected_completion": "2027-01-12",
    },
    patch={"discharge_status": "completed", "discharged_on": "2027-01-08"},
)

POLYGRAPH = {
    "id": 77,
    "case": 57,
    "exam_type": "maintenance",
    "exam_date": "2026-02-10",
    "examiner": "Examiner R. Quill",
    "result": "ndi",
    "disclosures": "Admitted two visits to a park (fictional).",
    "flagged": True,
    "notes": "Follow up with the treatment provider.",
}
POLYGRAPH_EXAMS = _views(
    POLYGRAPH,
    create={k: v for k, v in POLYGRAPH.items() if k != "id"},
    partner={
        "id": 77,
        "case": 57,
        "exam_type": "maintenance",
        "exam_date": "2026-02-10",
        "result": "ndi",
    },
)

COMPLIANCE = {
    "case": 57,
    "case_number": "C-2026-0057",
    "on": "2026-03-02",
    "requirements": [
        {
            "requirement": "face_to_face",
            "standard": "1 per 30 days",
            "count": 1,
            "period_days": 30,
            "status": "compliant",
            "counted": 2,
            "last_contact": "2026-02-24",
            "due_date": "2026-03-26",
            "days_until_due": 24,
        }
    ],
}
CASE_COMPLIANCE = {
    "list": extend_schema(
        examples=[OpenApiExample("A case", value=COMPLIANCE, response_only=True)]
    ),
    "retrieve": extend_schema(
        examples=[OpenApiExample("A case", value=COMPLIANCE, response_only=True)]
    ),
}

ASSESSMENT = {
    "id": 512,
    "case": 57,
    "status": "valid",
    "instrument": 1,
    "instrument_name": "Static-99R",
    "instrument_code": "static99r",
    "assessed_on": "2026-02-15",
    "answers": {"age_at_release": "computed", "lived_with_partner": "no"},
    "item_scores": {"age_at_release": 1, "lived_with_partner": 1},
    "subscores": {},
    "total_score": 4,
    "computed_level": "IVa",
    "final_level": "IVa",
    "override_reason": "",
    "assessor_name": "Dana Whitfield",
    "next_due": None,
}
ASSESSMENTS = _views(
    ASSESSMENT,
    create={
        "case": 57,
        "instrument": 1,
        "assessed_on": "2026-02-15",
        "answers": {"lived_with_partner": "no", "index_nonsexual_violence": "yes"},
    },
    partner={
        "id": 512,
        "case": 57,
        "status": "valid",
        "assessed_on": "2026-02-15",
        "final_level": "IVa",
    },
)

GOAL = {
    "id": 640,
    "case": 57,
    "need": "stable2007.sex_as_coping",
    "goal": "Identify three non-sexual coping strategies and use them when stressed.",
    "interventions": "Weekly group; coping log reviewed at each office visit.",
    "responsible_agency_name": "Prairie Counseling Associates (fictional)",
    "target_date": "2026-06-30",
    "status": "in_progress",
    "progress_notes": [
        {
            "id": 90,
            "written_on": "2026-03-01",
            "author_name": "Dana Whitfield",
            "note": "Kept the coping log for three weeks.",
        }
    ],
    "source_assessment": 513,
}
CASE_PLAN_GOALS = _views(
    GOAL,
    create={
        "case": 57,
        "goal": "Keep stable employment for six months.",
        "interventions": "Monthly employment verification.",
        "responsible_agency": 4,
        "target_date": "2026-09-30",
    },
    patch={"status": "met"},
    put={
        "goal": "Identify three non-sexual coping strategies and use them when stressed.",
        "interventions": "Weekly group.",
        "target_date": "2026-07-31",
        "status": "in_progress",
    },
)

INSTRUMENT = {
    "id": 4,
    "code": "ks-reentry",
    "name": "Reentry needs screen (fictional agency tool)",
    "kind": "general",
    "version": 1,
    "definition": {
        "items": [
            {
                "code": "housing",
                "label": "Stable housing arranged",
                "answers": [
                    {"value": "yes", "label": "Yes", "points": 0},
                    {"value": "no", "label": "No", "points": 2},
                ],
            }
        ],
        "bands": [
            {"min": 0, "max": 0, "level": "low", "label": "Low"},
            {"min": 1, "max": 2, "level": "high", "label": "High"},
        ],
    },
    "builtin": False,
    "owner_agency_name": "Prairie State Department of Corrections (fictional)",
    "active": True,
}
INSTRUMENTS = _views(
    INSTRUMENT,
    create={k: INSTRUMENT[k] for k in ("code", "name", "kind", "definition")},
)

ASSESSMENTS["override"] = extend_schema(
    examples=[
        OpenApiExample(
            "Request",
            value={
                "final_level": "III",
                "override_reason": "Long crime-free period in the community (fictional).",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Overridden",
            value={
                **ASSESSMENT,
                "final_level": "III",
                "override_reason": "Long crime-free period in the community (fictional).",
            },
            response_only=True,
        ),
    ]
)
ASSESSMENTS["void"] = extend_schema(
    examples=[
        OpenApiExample(
            "Request", value={"void_reason": "Entered on the wrong case."}, request_only=True
        ),
        OpenApiExample("Voided", value={**ASSESSMENT, "status": "voided"}, response_only=True),
    ]
)
ASSESSMENTS["preview"] = extend_schema(
    examples=[
        OpenApiExample(
            "Request",
            value={"case": 57, "instrument": 1, "answers": {"lived_with_partner": "no"}},
            request_only=True,
        ),
        OpenApiExample(
            "Running total",
            value={
                "total_score": 2,
                "computed_level": None,
                "level_label": "",
                "complete": False,
                "item_scores": {"age_at_release": 1, "lived_with_partner": 1},
                "subscores": {},
                "needs": [],
                "messages": ["8 items not answered yet."],
                "errors": {},
            },
            response_only=True,
        ),
    ]
)
ASSESSMENTS["goals_from_needs"] = extend_schema(
    examples=[OpenApiExample("Goals created", value=GOAL, response_only=True, status_codes=["201"])]
)
CASE_PLAN_GOALS["progress_notes"] = extend_schema(
    examples=[
        OpenApiExample(
            "Request",
            value={"written_on": "2026-03-01", "note": "Kept the coping log for three weeks."},
            request_only=True,
        ),
        OpenApiExample(
            "Added",
            value=GOAL["progress_notes"][0],
            response_only=True,
            status_codes=["201"],
        ),
    ]
)
CONTACTS["destroy"] = extend_schema(
    description="Delete a contact logged in error (the case's lead agency only; a partner "
    "corrects with PATCH). Agency systems that synced it see it in /api/v1/sync/removed/."
)

# --- release plans: the workflow actions (kwargs for @extend_schema on each action) ------------

RELEASE_PLAN = {
    "id": 812,
    "case": 57,
    "version": 7,
    "status": "draft",
    "release_date": "2026-06-15",
    "planner_name": "Rosa Delgado",
    "submitted_at": None,
    "residence_address": "118 Cedar Row (fictional)",
    "residence_city": "Wheatfield",
    "residence_latitude": "38.900000",
    "residence_longitude": "-97.600000",
    "housing_status": "with_family",
    "landlord": "Cousin (owner-occupied)",
    "household_members": [
        {"name": "Marigold Fictitious", "relationship": "cousin", "age": 44, "is_minor": False}
    ],
    "residence_approved": True,
    "home_investigated_by_name": "Dana Whitfield",
    "home_investigated_on": "2026-03-02",
    "restriction_check": {
        "status": "compliant",
        "message": "No protected site within the limits. Nearest: Meadowlark Elementary at "
        "1,640 ft.",
        "applies": True,
        "rules": [{"site_kind": "school", "distance_feet": 1000}],
        "violations": [],
    },
}
HOME_INVESTIGATION = {
    "examples": [
        OpenApiExample(
            "Request",
            value={"residence_approved": True, "home_investigated_on": "2026-03-02", "version": 6},
            request_only=True,
        ),
        OpenApiExample("Recorded (the plan, abridged)", value=RELEASE_PLAN, response_only=True),
    ]
}
RESTRICTION_CHECK = {
    "examples": [
        OpenApiExample("Request", value={"version": 7}, request_only=True),
        OpenApiExample("Checked (the plan, abridged)", value=RELEASE_PLAN, response_only=True),
    ]
}
HEARING = {
    "examples": [
        OpenApiExample(
            "Request",
            value={
                "hearing_date": "2026-04-14T09:30:00-05:00",
                "hearing_location": "Hearing room B, Capitol Annex (fictional)",
                "public_comment": "Two letters of support received.",
                "version": 9,
            },
            request_only=True,
        ),
        OpenApiExample(
            "Scheduled",
            value={
                "id": 301,
                "plan": 812,
                "board": 6,
                "referred_at": "2026-03-20T15:04:11-05:00",
                "hearing_date": "2026-04-14T09:30:00-05:00",
                "hearing_location": "Hearing room B, Capitol Annex (fictional)",
                "public_comment": "Two letters of support received.",
                "version": 10,
            },
            response_only=True,
        ),
    ]
}
