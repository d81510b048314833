"""OpenAPI examples for the agency directory and training records (fictional data)."""

from __future__ import annotations

from sartcm.api.examples import example_views

AGENCIES = example_views(
    {
        "id": 4,
        "name": "Prairie State Department of Corrections (fictional)",
        "short_name": "PSDOC",
        "kind": "corrections",
        "jurisdiction": "Prairie County (fictional)",
        "phone": "555-0100",
        "email": "sart@psdoc.example.org",
        "active": True,
    }
)
STAFF = example_views(
    {
        "id": 17,
        "full_name": "Dana Whitfield",
        "agency": 4,
        "roles": ["supervision_officer"],
        "title": "Senior parole officer",
        "phone": "555-0142",
        "supervisor": 12,
        "active": True,
    }
)
TRAINING_COURSES = example_views(
    {
        "id": 3,
        "title": "Containment model for SART partners",
        "description": "Roles of supervision, treatment and polygraph in the containment model.",
        "hours": "6.0",
        "provider": "State SART coalition (fictional)",
        "active": True,
    },
    export=False,
)
TRAINING_RECORD = {
    "id": 520,
    "staff": 17,
    "course": 3,
    "completed_on": "2026-02-20",
    "expires_on": "2028-02-20",
    "has_evidence": True,
    "evidence_url": "/agencies/training/records/520/evidence/",
    "evidence_note": "Certificate of completion.",
    "recorded_by": 12,
}
TRAINING_RECORDS = example_views(
    TRAINING_RECORD,
    create={
        "staff": 17,
        "course": 3,
        "completed_on": "2026-02-20",
        "evidence_note": "Certificate of completion.",
    },
)
