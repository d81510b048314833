"""The fields an MOU term may share, per record type (the data-sharing vocabulary).

MOU terms list field names from here; the cases app renders exactly these names (a test
checks every name is a real field of the record type's model or serializer). A lead agency
always sees every field; a partner sees the union of the fields its active terms list.
"""

from __future__ import annotations

from agencies.choices import RecordType

R = RecordType

SHAREABLE_FIELDS: dict[str, tuple[str, ...]] = {
    R.IDENTITY: (
        "first_name",
        "last_name",
        "middle_name",
        "aliases",
        "date_of_birth",
        "sex",
        "state_id",
        "doc_number",
        "fbi_number",
        "height_cm",
        "weight_kg",
        "eye_color",
        "hair_color",
        "scars_marks_tattoos",
        "photo_note",
        "convictions",
    ),
    R.STATUS: (
        "status",
        "supervision_level",
        "supervision_start",
        "supervision_end",
        "expected_release_date",
        "release_date",
        "case_manager_name",
        "officer_name",
        "officer_phone",
        "lead_agency_name",
        "active_conditions",
    ),
    R.ASSESSMENTS: (
        "instrument",
        "assessed_on",
        "answers",
        "total_score",
        "computed_level",
        "final_level",
        "override_reason",
        "assessor_name",
        "next_due",
    ),
    R.CASE_PLAN: (
        "need",
        "goal",
        "interventions",
        "responsible_agency_name",
        "target_date",
        "status",
        "progress_notes",
    ),
    R.CONTACTS: (
        "contact_at",
        "contact_type",
        "face_to_face",
        "location",
        "outcome",
        "notes",
        "officer_name",
    ),
    R.TREATMENT: (
        "provider_name",
        "program",
        "intake_date",
        "expected_completion",
        "discharge_status",
        "discharged_on",
        "reports",
    ),
    R.POLYGRAPH: ("exam_type", "exam_date", "examiner", "result", "disclosures", "notes"),
    R.RELEASE_PLANS: (
        "status",
        "release_date",
        "residence_address",
        "housing_status",
        "household_members",
        "landlord",
        "residence_approved",
        "treatment_referral",
        "employment",
        "transportation",
        "support_network",
        "special_conditions",
        "transition_services",
        "pre_registered",
        "planner_name",
    ),
    R.BOARD_DECISIONS: (
        "decision",
        "decided_on",
        "conditions",
        "rationale",
        "votes",
        "hearing_date",
    ),
    R.REGISTRATION: (
        "tier",
        "jurisdiction",
        "start_date",
        "period",
        "status",
        "next_verification_due",
        "events",
        "verifications",
    ),
    R.RESIDENCE: (
        "address",
        "city",
        "housing_status",
        "start_date",
        "end_date",
        "latitude",
        "longitude",
    ),
    R.VICTIM_SAFETY: (
        "no_contact_persons",
        "exclusion_zones",
        "notification_wishes",
        "victim_conditions",
        "release_date",
        "status",
        "officer_name",
        "officer_phone",
    ),
}


def shareable(record_type: str) -> tuple[str, ...]:
    return SHAREABLE_FIELDS[record_type]
