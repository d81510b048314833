"""OpenAPI examples for MOUs and their data-sharing terms (fictional data)."""

from __future__ import annotations

from sartcm.api.examples import action_example, example_views

TERM = {
    "id": 31,
    "mou": 12,
    "version": 2,
    "provider": 4,
    "recipient": 9,
    "record_type": "treatment",
    "fields": ["program", "intake_date", "discharge_status"],
    "actions": ["view", "add"],
    "scope": "assigned",
    "superseded_at": None,
    "created_at": "2026-02-01T10:00:00-06:00",
}
MOU = {
    "id": 12,
    "title": "Treatment information sharing, Prairie County SART (fictional)",
    "purpose": "Share treatment progress for supervised registrants with their provider.",
    "effective_date": "2026-02-15",
    "expiration_date": "2028-02-14",
    "status": "active",
    "drafted_by": 17,
    "terms_version": 2,
    "activated_at": "2026-02-14T16:40:00-06:00",
    "ended_at": None,
    "termination_reason": "",
    "document": "https://sartcm.example.org/mou/12/document/",
    "parties": [
        {
            "agency": 4,
            "signatory": 17,
            "agency_name": "Prairie State Department of Corrections (fictional)",
        },
        {"agency": 9, "signatory": 41, "agency_name": "Prairie Counseling Associates (fictional)"},
    ],
    "signatures": [
        {
            "agency": 4,
            "signed_by": 17,
            "signed_by_name": "Morgan Reyes",
            "terms_version": 2,
            "signed_at": "2026-02-12T09:00:00-06:00",
        },
        {
            "agency": 9,
            "signed_by": 41,
            "signed_by_name": "Dr. Ellis Marrow",
            "terms_version": 2,
            "signed_at": "2026-02-14T16:40:00-06:00",
        },
    ],
    "terms": [TERM],
    "pending_terms": [],
}
DRAFT = {
    **MOU,
    "status": "draft",
    "activated_at": None,
    "document": None,
    "signatures": [],
}
AMENDING = {**MOU, "pending_terms": [{**TERM, "id": 36, "version": 3, "scope": "all"}]}
MOUS = example_views(
    MOU,
    create={
        "title": MOU["title"],
        "purpose": MOU["purpose"],
        "effective_date": "2026-02-15",
        "expiration_date": "2028-02-14",
        "parties": [{"agency": 4, "signatory": 17}, {"agency": 9, "signatory": 41}],
    },
    patch={"expiration_date": "2029-02-14"},
    send=action_example({**DRAFT, "status": "awaiting_signatures"}, name="Sent for signature"),
    sign=action_example(MOU["signatures"][1], name="Signed"),
    terminate=action_example(
        {
            **MOU,
            "status": "terminated",
            "ended_at": "2026-10-01T12:00:00-05:00",
            "termination_reason": "Provider contract ended.",
        },
        request={"reason": "Provider contract ended."},
        name="Terminated",
    ),
    amend=action_example(AMENDING, name="Amendment started"),
    discard_amendment=action_example(MOU, name="Amendment discarded"),
    preview=action_example(
        {
            "recipient": 9,
            "recipient_name": "Prairie Counseling Associates (fictional)",
            "cases": 14,
            "terms": [
                {
                    "id": 31,
                    "provider": 4,
                    "record_type": "treatment",
                    "fields": ["program", "intake_date", "discharge_status"],
                    "actions": ["view", "add"],
                    "scope": "assigned",
                    "cases": 14,
                }
            ],
        },
        name="What the provider gains",
    ),
)
MOU_TERMS = example_views(
    TERM,
    create={
        k: TERM[k]
        for k in ("mou", "provider", "recipient", "record_type", "fields", "actions", "scope")
    },
    patch={"fields": ["program", "intake_date", "discharge_status", "expected_completion"]},
)
