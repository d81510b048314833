"""The demo logins (one per role), shared by load_demo, run_stack and the README."""

from __future__ import annotations

DEMO_PASSWORD = "sart-demo-2026"  # noqa: S105 - demo data only; production never loads it

# username, agency short name, roles, description
DEMO_USERS: list[tuple[str, str, list[str], str]] = [
    (
        "cm.doc",
        "PDOC",
        ["case_manager"],
        "Case manager, Prairie Dept. of Corrections (lead agency)",
    ),
    ("planner.doc", "PDOC", ["release_planner"], "Release planner, Prairie Dept. of Corrections"),
    ("sup.doc", "PDOC", ["supervisor"], "Supervisor, Prairie Dept. of Corrections"),
    ("admin.doc", "PDOC", ["agency_admin"], "Agency administrator, Prairie Dept. of Corrections"),
    (
        "officer.csa",
        "PCSA",
        ["supervision_officer"],
        "Supervision officer, Prairie Community Supervision",
    ),
    ("tx.provider", "NTA", ["treatment_provider"], "Treatment provider, New Tracks Associates"),
    (
        "advocate.vs",
        "HVS",
        ["victim_advocate"],
        "Victim advocate, Harbor Victim Services (field-limited)",
    ),
    (
        "board.member",
        "PPRB",
        ["board_member"],
        "Parole board member, Prairie Prisoner Review Board",
    ),
    ("registry.so", "CCSO", ["registry_officer"], "Registry officer, Cedar County Sheriff"),
    (
        "analyst",
        "PSAC",
        ["analyst"],
        "Analyst, Prairie Statistical Analysis Center (aggregates only)",
    ),
    ("auditor.doc", "PDOC", ["auditor"], "Auditor, Prairie Dept. of Corrections"),
    (
        "nomou.user",
        "WHA",
        ["case_manager"],
        "Housing case manager at an agency whose only MOU has expired (sees no cases)",
    ),
]


def demo_logins() -> list[tuple[str, str]]:
    return [(username, description) for username, _, _, description in DEMO_USERS]
