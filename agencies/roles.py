"""What each role may do, by record type (the first of the three access checks).

Role ∩ agency standing ∩ permitted fields. A role listed here only *may* act; the agency still
needs standing on the case (lead agency, or an active MOU term) and the fields must be shared.
"""

from __future__ import annotations

from collections.abc import Iterable

from agencies.choices import Action, RecordType, Role

R = RecordType
V, A, C = Action.VIEW, Action.ADD, Action.CHANGE
ALL = frozenset(RecordType)

ROLE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.CASE_MANAGER: {rt: frozenset({V, A, C}) for rt in ALL},
    Role.RELEASE_PLANNER: {
        **{rt: frozenset({V}) for rt in ALL},
        R.RELEASE_PLANS: frozenset({V, A, C}),
        R.RESIDENCE: frozenset({V, A, C}),
        R.VICTIM_SAFETY: frozenset({V, A, C}),
        R.CASE_PLAN: frozenset({V, A, C}),
    },
    Role.SUPERVISION_OFFICER: {
        **{rt: frozenset({V}) for rt in ALL},
        R.CONTACTS: frozenset({V, A, C}),
        R.RESIDENCE: frozenset({V, A, C}),
        R.CASE_PLAN: frozenset({V, A, C}),
        R.ASSESSMENTS: frozenset({V, A}),
        R.POLYGRAPH: frozenset({V, A}),
        R.STATUS: frozenset({V, C}),
        R.RELEASE_PLANS: frozenset({V, C}),  # home investigations
    },
    Role.TREATMENT_PROVIDER: {
        R.IDENTITY: frozenset({V}),
        R.STATUS: frozenset({V}),
        R.TREATMENT: frozenset({V, A, C}),
        R.POLYGRAPH: frozenset({V, A}),
        R.ASSESSMENTS: frozenset({V}),
        R.CASE_PLAN: frozenset({V}),
    },
    Role.VICTIM_ADVOCATE: {
        R.IDENTITY: frozenset({V}),
        R.STATUS: frozenset({V}),
        R.VICTIM_SAFETY: frozenset({V}),
        R.BOARD_DECISIONS: frozenset({V}),
        R.RELEASE_PLANS: frozenset({V}),
    },
    Role.BOARD_MEMBER: {
        R.IDENTITY: frozenset({V}),
        R.STATUS: frozenset({V}),
        R.ASSESSMENTS: frozenset({V}),
        R.CASE_PLAN: frozenset({V}),
        R.TREATMENT: frozenset({V}),
        R.RELEASE_PLANS: frozenset({V}),  # reviews plans; acts through board reviews and decisions
        R.BOARD_DECISIONS: frozenset({V, A}),
        R.VICTIM_SAFETY: frozenset({V}),
        R.RESIDENCE: frozenset({V}),
    },
    Role.REGISTRY_OFFICER: {
        R.IDENTITY: frozenset({V, C}),
        R.STATUS: frozenset({V}),
        R.REGISTRATION: frozenset({V, A, C}),
        R.RESIDENCE: frozenset({V, A}),
    },
    Role.SUPERVISOR: {rt: frozenset({V, A, C}) for rt in ALL},
    Role.AGENCY_ADMIN: {R.IDENTITY: frozenset({V}), R.STATUS: frozenset({V})},
    Role.AUDITOR: {R.IDENTITY: frozenset({V}), R.STATUS: frozenset({V})},
    Role.ANALYST: {},  # aggregates only: reports, never rows
}

# Roles that administer their agency (MOUs, staff, grants, audit trail).
ADMIN_ROLES = frozenset({Role.AGENCY_ADMIN})
AUDIT_ROLES = frozenset({Role.AGENCY_ADMIN, Role.AUDITOR})


def roles_allow(roles: Iterable[str], action: str, record_type: str) -> bool:
    return any(action in ROLE_PERMISSIONS.get(role, {}).get(record_type, ()) for role in roles)


def allowed_record_types(roles: Iterable[str], action: str) -> set[str]:
    return {rt for rt in RecordType if roles_allow(roles, action, rt)}
