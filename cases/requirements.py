"""Which supervision contacts count toward which contact requirement.

Kept apart from `cases.compliance` so the models can build the trigger that maintains
`QualifyingContacts` from the same rules (the model module cannot import the compliance
module, which imports the protocols app). Changing a rule changes the trigger's SQL, which
`makemigrations --check` then asks for: the rules and the stored summary cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cases.choices import ContactOutcome, ContactType
from protocols.choices import ContactRequirement


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class RequirementRule:
    """Which contacts count toward a requirement (None = any value)."""

    contact_types: frozenset[str] | None = None
    face_to_face: bool | None = None
    outcomes: frozenset[str] | None = None

    def matches(self, contact_type: str, face_to_face: bool, outcome: str) -> bool:
        return (
            (self.contact_types is None or contact_type in self.contact_types)
            and (self.face_to_face is None or face_to_face == self.face_to_face)
            and (self.outcomes is None or outcome in self.outcomes)
        )

    def sql(self, alias: str) -> tuple[str, list[Any]]:
        """The rule as a condition on `alias` with %s parameters."""
        parts: list[str] = []
        params: list[Any] = []
        if self.contact_types is not None:
            parts.append(f"{alias}.contact_type = ANY(%s)")
            params.append(sorted(self.contact_types))
        if self.face_to_face is not None:
            parts.append(f"{alias}.face_to_face = %s")
            params.append(self.face_to_face)
        if self.outcomes is not None:
            parts.append(f"{alias}.outcome = ANY(%s)")
            params.append(sorted(self.outcomes))
        return (" AND ".join(parts) or "TRUE"), params

    def literal_sql(self, alias: str) -> str:
        """The rule as a condition on `alias` with its values inline (for trigger bodies:
        the values are the choice constants above, never user input)."""
        parts: list[str] = []
        if self.contact_types is not None:
            values = ", ".join(_quote(v) for v in sorted(self.contact_types))
            parts.append(f"{alias}.contact_type IN ({values})")
        if self.face_to_face is not None:
            parts.append(f"{alias}.face_to_face = {'TRUE' if self.face_to_face else 'FALSE'}")
        if self.outcomes is not None:
            values = ", ".join(_quote(v) for v in sorted(self.outcomes))
            parts.append(f"{alias}.outcome IN ({values})")
        return " AND ".join(parts) or "TRUE"


REQUIREMENT_RULES: dict[str, RequirementRule] = {
    ContactRequirement.FACE_TO_FACE: RequirementRule(
        face_to_face=True,
        outcomes=frozenset({ContactOutcome.COMPLETED, ContactOutcome.VIOLATION}),
    ),
    ContactRequirement.HOME_VISIT: RequirementRule(
        contact_types=frozenset({ContactType.HOME_VISIT}),
        outcomes=frozenset({ContactOutcome.COMPLETED}),
    ),
    ContactRequirement.TREATMENT_COLLATERAL: RequirementRule(
        contact_types=frozenset({ContactType.TREATMENT_COLLATERAL})
    ),
    ContactRequirement.EMPLOYMENT_VERIFICATION: RequirementRule(
        contact_types=frozenset({ContactType.EMPLOYMENT_VERIFICATION})
    ),
}

REQUIREMENT_ORDER = [r.value for r in ContactRequirement]


def qualifying_select_sql(contacts: str, case_ids: str) -> str:
    """SELECT (case_id, requirement, contact_ats) for the cases in `case_ids` (a relation
    with a `case_id` column): per requirement, the times of the qualifying contacts, newest
    first (ties by id). One pass over each case's contacts; requirements with no qualifying
    contact get no row."""
    branches = " UNION ALL ".join(
        f"SELECT {_quote(str(requirement))}::varchar WHERE {rule.literal_sql('x')}"
        for requirement, rule in REQUIREMENT_RULES.items()
    )
    return (
        "SELECT x.case_id, r.requirement,"
        " array_agg(x.contact_at ORDER BY x.contact_at DESC, x.id DESC)"
        f" FROM {contacts} x"
        f" JOIN (SELECT DISTINCT case_id FROM {case_ids}) a ON a.case_id = x.case_id"
        f" CROSS JOIN LATERAL ({branches}) AS r(requirement)"
        " GROUP BY x.case_id, r.requirement"
    )
