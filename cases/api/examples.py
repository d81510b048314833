"""OpenAPI examples for the case-data endpoints (fictional data), applied to each viewset with
one `@extend_schema_view(**examples.X)` line so the viewset modules stay readable.

List examples are one row: drf-spectacular wraps them in the page envelope.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from sartcm.api.examples import action_example, example_views

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
CONTACTS = example_views(
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
TREATMENT_REPORTS = example_views(
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
TREATMENT_ENROLLMENTS = example_views(
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
POLYGRAPH_EXAMS = example_views(
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
ASSESSMENTS = example_views(
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
CASE_PLAN_GOALS = example_views(
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
        "case": 57,
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
INSTRUMENTS = example_views(
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
# --- cases, offenders, case team -------------------------------------------------------------

CASE = {
    "id": 57,
    "case_number": "C-2026-0057",
    "offender": 212,
    "jurisdiction": "Prairie County (fictional)",
    "status": "supervised",
    "supervision_level": "high",
    "supervision_start": "2026-01-05",
    "supervision_end": "2031-01-04",
    "expected_release_date": None,
    "release_date": "2026-01-05",
    "case_manager_name": "Morgan Reyes",
    "officer_name": "Dana Whitfield",
    "officer_phone": "555-0142",
    "lead_agency_name": "Prairie State Department of Corrections (fictional)",
    "active_conditions": ["No contact with minors", "Polygraph every 6 months"],
}
CASES = example_views(
    CASE,
    create={
        "case_number": "C-2026-0091",
        "offender": 230,
        "jurisdiction": "Prairie County (fictional)",
        "status": "incarcerated",
        "expected_release_date": "2026-09-14",
    },
    patch={"status": "supervised", "supervision_level": "high"},
    partner={"id": 57, "case_number": "C-2026-0057", "status": "supervised"},
    access=action_example(
        {
            "case": 57,
            "case_number": "C-2026-0057",
            "lead_agency": "Prairie State Department of Corrections (fictional)",
            "summary": "Your agency sees this case through MOU 12 (treatment records only).",
            "record_types": [
                {
                    "record_type": "treatment",
                    "label": "Treatment",
                    "visible": True,
                    "all_fields": False,
                    "fields": ["program", "intake_date", "discharge_status"],
                    "actions": ["view", "add"],
                    "reasons": ["MOU 12, term 31 (Prairie Counseling Associates)"],
                },
                {
                    "record_type": "victim_safety",
                    "label": "Victim safety",
                    "visible": False,
                    "all_fields": False,
                    "fields": [],
                    "actions": [],
                    "reasons": ["No MOU term shares victim safety with your agency."],
                },
            ],
        },
        name="Why a partner sees what it sees",
    ),
    audit_trail=action_example(
        {
            "id": 88120,
            "at": "2026-03-02T10:41:07-06:00",
            "username": "oms-sync",
            "agency_id": 4,
            "action": "view",
            "outcome": "success",
            "channel": "api",
            "object_type": "cases.supervisioncontact",
            "object_id": "4411",
            "object_repr": "Home visit 2026-03-02 (C-2026-0057)",
            "case_id": 57,
            "recipient_agency_id": 9,
            "fields": ["contact_at", "contact_type"],
            "detail": "",
            "source_address": "10.20.0.15",
            "request_id": "5f0c8a52-3c1e-4c7b-9d6f-2a1b0e9d7c44",
        },
        name="One audited read",
    ),
)

OFFENDER = {
    "id": 212,
    "first_name": "Jordan",
    "middle_name": "Lee",
    "last_name": "Castell",
    "aliases": [{"first_name": "Jay", "last_name": "Castle"}],
    "date_of_birth": "1984-07-19",
    "sex": "M",
    "state_id": "PS-4418821",
    "doc_number": "D-770312",
    "fbi_number": "FB-0000-TEST",
    "height_cm": 180,
    "weight_kg": 84,
    "eye_color": "brown",
    "hair_color": "black",
    "scars_marks_tattoos": "Tattoo of an anchor, left forearm.",
    "photo_note": "Photo on file, taken 2026-01-05.",
    "convictions": [
        {
            "statute": "PS 21-5506",
            "description": "Indecent liberties (fictional statute)",
            "jurisdiction": "Prairie County (fictional)",
            "offense_date": "2019-05-02",
            "conviction_date": "2020-02-11",
            "sentencing_date": "2020-03-30",
            "victim_age_group": "adolescent",
            "victim_relationship": "acquaintance",
            "victim_male": False,
            "sexual": True,
            "registrable": True,
            "is_index": True,
        }
    ],
}
OFFENDERS = example_views(
    OFFENDER,
    patch={"weight_kg": 86, "hair_color": "gray"},
    partner={
        "id": 212,
        "first_name": "Jordan",
        "last_name": "Castell",
        "date_of_birth": "1984-07-19",
    },
)

TEAM_MEMBER = {
    "id": 301,
    "case": 57,
    "agency": 9,
    "agency_name": "Prairie Counseling Associates (fictional)",
    "staff": 41,
    "role": "treatment_provider",
    "start_date": "2026-01-12",
    "end_date": None,
}
CASE_TEAM = example_views(
    TEAM_MEMBER,
    create={
        "case": 57,
        "agency": 9,
        "staff": 41,
        "role": "treatment_provider",
        "start_date": "2026-01-12",
    },
    patch={"end_date": "2026-12-31"},
)

# --- alerts ----------------------------------------------------------------------------------

ALERT = {
    "id": 7702,
    "rule": "contact_behind",
    "rule_label": "Contact standard behind",
    "severity": "warning",
    "status": "open",
    "due_date": "2026-03-26",
    "case": 57,
    "case_number": "C-2026-0057",
    "agency": 4,
    "message": "C-2026-0057: 1 of 2 face-to-face contacts in the last 30 days.",
    "facts": {"requirement": "face_to_face", "counted": "1", "count": "2", "period_days": "30"},
    "assignee": 17,
    "assignee_name": "Dana Whitfield",
    "escalated_to": None,
    "escalated_at": None,
    "raised_at": "2026-03-02T06:00:04-06:00",
    "acknowledged_at": None,
    "resolved_at": None,
    "resolution_note": "",
}
ALERTS = example_views(
    ALERT,
    acknowledge=action_example(
        {**ALERT, "status": "acknowledged", "acknowledged_at": "2026-03-02T08:15:00-06:00"},
        name="Acknowledged",
    ),
    resolve=action_example(
        {
            **ALERT,
            "status": "resolved",
            "resolved_at": "2026-03-03T11:20:00-06:00",
            "resolution_note": "Home visit completed 2026-03-03.",
        },
        request={"note": "Home visit completed 2026-03-03."},
        name="Resolved",
    ),
)

# --- registration ----------------------------------------------------------------------------

EVENT = {
    "id": 5120,
    "registration": 140,
    "case": 57,
    "kind": "residence",
    "changed_on": "2026-02-27",
    "reported_on": "2026-03-02",
    "due_by": "2026-03-04",
    "late": False,
    "details": "Moved to 118 Cedar Row, Prairie City (fictional).",
    "recorded_by_name": "Avery Holt",
}
REGISTRATION_EVENTS = example_views(
    EVENT,
    create={
        "registration": 140,
        "kind": "residence",
        "changed_on": "2026-02-27",
        "reported_on": "2026-03-02",
        "details": "Moved to 118 Cedar Row, Prairie City (fictional).",
    },
)

VERIFICATION = {
    "id": 930,
    "registration": 140,
    "case": 57,
    "verified_on": "2026-03-05",
    "address": "118 Cedar Row, Prairie City (fictional)",
    "result": "verified",
    "notes": "Spoke with the registrant at the door; mail in his name.",
    "officer_name": "Avery Holt",
}
ADDRESS_VERIFICATIONS = example_views(
    VERIFICATION,
    create={k: v for k, v in VERIFICATION.items() if k not in ("id", "case", "officer_name")},
)

REGISTRATION = {
    "id": 140,
    "case": 57,
    "registering_agency": 6,
    "tier": "II",
    "jurisdiction": "Prairie County (fictional)",
    "start_date": "2026-01-05",
    "period": {
        "years": 25,
        "custody_days_excluded": 0,
        "juvenile": False,
        "end_date": "2051-01-05",
        "reducible_to_years": None,
    },
    "status": "compliant",
    "next_verification_due": "2026-07-05",
    "events": [{k: v for k, v in EVENT.items() if k != "registration"}],
    "verifications": [{k: v for k, v in VERIFICATION.items() if k != "registration"}],
    "transient": False,
    "last_verified_on": "2026-03-05",
}
REGISTRATIONS = example_views(
    REGISTRATION,
    create={
        "case": 57,
        "registering_agency": 6,
        "tier": "II",
        "jurisdiction": "Prairie County (fictional)",
        "start_date": "2026-01-05",
        "period": {"years": 25, "custody_days_excluded": 0, "juvenile": False},
        "transient": False,
    },
    patch={"tier": "III"},
    partner={"id": 140, "case": 57, "registering_agency": 6, "tier": "II", "status": "compliant"},
    status=action_example(
        {**REGISTRATION, "status": "absconder_review"},
        request={
            "status": "absconder_review",
            "reason": "Not at the registered address on two checks (fictional).",
        },
        name="Status changed",
    ),
)

# --- release plans and board decisions ------------------------------------------------------

PLAN = {
    "id": 610,
    "case": 91,
    "version": 4,
    "status": "draft",
    "release_date": "2026-09-14",
    "planner_name": "Sam Okafor",
    "submitted_at": None,
    "residence_address": "42 Willow Court, Prairie City (fictional)",
    "residence_city": "Prairie City",
    "residence_latitude": "38.971200",
    "residence_longitude": "-95.235300",
    "housing_status": "with_family",
    "landlord": "",
    "household_members": [
        {"name": "Rita Castell", "relationship": "mother", "age": 66, "is_minor": False}
    ],
    "residence_approved": None,
    "home_investigated_by_name": "",
    "home_investigated_on": None,
    "restriction_check": {"checked_on": "2026-06-01", "conflicts": []},
    "treatment_referral": "Outpatient sex offense specific treatment",
    "treatment_provider": 9,
    "treatment_intake_date": "2026-09-21",
    "employment": "Warehouse associate, Prairie Freight (fictional)",
    "income_source": "Wages",
    "transportation": "Bus pass; mother drives to appointments.",
    "support_network": "Mother; faith community mentor.",
    "special_conditions": [
        {
            "condition": 12,
            "code": "no-minors",
            "condition_version": 2,
            "title": "No contact with minors",
            "details": "Includes online contact.",
        }
    ],
    "transition_services": {
        "id": "State ID issued 2026-06-02",
        "benefits": "SNAP application filed",
        "medication": "",
        "first_appointments": "Treatment intake 2026-09-21",
    },
    "pre_registered": True,
    "exclusion_zones": "Lincoln Elementary School grounds (fictional).",
    "notification_wishes": "Victim asks to be told of the release date.",
    "no_contact_persons": ["A.B. (victim)"],
    "supervision_agency": 4,
    "supervision_officer": 17,
    "checklist": {"residence": True, "treatment": True, "employment": False},
}
_PLAN_WRITE = (
    "release_date",
    "residence_address",
    "residence_city",
    "housing_status",
    "treatment_referral",
    "treatment_provider",
    "employment",
    "transportation",
    "supervision_agency",
)
RELEASE_PLANS = example_views(
    PLAN,
    create={
        "case": 91,
        **{k: PLAN[k] for k in _PLAN_WRITE},
        "household_members": PLAN["household_members"],
        "special_conditions": [{"condition": 12, "details": "Includes online contact."}],
    },
    patch={"employment": "Line cook, Prairie Diner (fictional)", "checklist": {"employment": True}},
    partner={"id": 610, "case": 91, "version": 4, "release_date": "2026-09-14"},
    submit=action_example(
        {**PLAN, "status": "submitted", "version": 5, "submitted_at": "2026-06-10T14:02:00-05:00"},
        request={"version": 4},
        name="Submitted",
    ),
    withdraw=action_example(
        {**PLAN, "status": "draft", "version": 6}, request={"version": 5}, name="Back to draft"
    ),
    refer=action_example(
        {**PLAN, "status": "under_review", "version": 6},
        request={"version": 5, "board": 3},
        name="Referred to the board",
    ),
    release=action_example(
        {**PLAN, "status": "released", "version": 8},
        request={"version": 7, "released_on": "2026-09-14", "supervision_level": "high"},
        name="Released",
    ),
)

DECISION = {
    "id": 205,
    "plan": 610,
    "review": 77,
    "decision": "approve_with_conditions",
    "decided_on": "2026-07-08",
    "conditions": "Electronic monitoring for the first 90 days.",
    "rationale": "Stable residence and treatment intake arranged; monitoring while employment "
    "is confirmed.",
    "votes": [
        {"member": 51, "member_name": "Board member L. Ortiz", "vote": "approve", "comment": ""},
        {
            "member": 52,
            "member_name": "Board member T. Nguyen",
            "vote": "approve_with_conditions",
            "comment": "Add monitoring.",
        },
    ],
    "hearing_date": "2026-07-08T09:30:00-05:00",
    "supersedes": None,
    "recorded_at": "2026-07-08T11:05:12-05:00",
}
BOARD_DECISIONS = example_views(
    DECISION,
    create={
        "plan": 610,
        "decision": "approve_with_conditions",
        "decided_on": "2026-07-08",
        "conditions": DECISION["conditions"],
        "rationale": DECISION["rationale"],
        "votes": [
            {"member": 51, "vote": "approve"},
            {"member": 52, "vote": "approve_with_conditions", "comment": "Add monitoring."},
        ],
        "add_conditions": [14],
    },
    partner={
        "id": 205,
        "plan": 610,
        "review": 77,
        "supersedes": None,
        "recorded_at": DECISION["recorded_at"],
        "decision": "approve_with_conditions",
    },
)

# --- search ----------------------------------------------------------------------------------

SEARCH = extend_schema(
    examples=[
        OpenApiExample(
            "Matches",
            value={
                "query": "castell",
                "count": 1,
                "results": [
                    {
                        "id": 212,
                        "first_name": "Jordan",
                        "middle_name": "Lee",
                        "last_name": "Castell",
                        "date_of_birth": "1984-07-19",
                        "sex": "M",
                        "state_id": "PS-4418821",
                        "doc_number": "D-770312",
                        "fbi_number": "FB-0000-TEST",
                        "aliases": ["Jay Castle"],
                        "cases": [{"id": 57, "case_number": "C-2026-0057"}],
                    }
                ],
            },
            response_only=True,
        )
    ]
)
