"""The personas of the access model and what each may see on the sample case: the spec.

`TERMS` is the set-up (what each partner agency's MOU terms say); `PERSONAS[...].sees` is the
expected outcome, written out by hand. They differ on purpose where role, scope or status
must win over a term: the analyst's role, the unassigned and expired partners, the victim
advocate's polygraph term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agencies.choices import Action, RecordType, Role
from agencies.vocabulary import SHAREABLE_FIELDS
from mou.choices import TermScope

R = RecordType
V, A, C = Action.VIEW, Action.ADD, Action.CHANGE


class Every:
    """Every field (the lead agency)."""

    def __repr__(self) -> str:
        return "EVERY"


EVERY = Every()
Fields = frozenset[str] | Every


def vocab(record_type: str) -> frozenset[str]:
    return frozenset(SHAREABLE_FIELDS[record_type])


# --- set-up: partner agencies, their terms from the lead agency, and the case team ---------

VA_STATUS = frozenset({"status", "release_date", "officer_name", "officer_phone"})
VA_IDENTITY = frozenset({"first_name", "last_name"})
BOARD_STATUS = frozenset(
    {"status", "supervision_level", "expected_release_date", "release_date", "case_manager_name"}
)
BOARD_IDENTITY = frozenset({"first_name", "last_name", "date_of_birth", "convictions"})
TX_STATUS = frozenset({"status", "supervision_level", "officer_name", "officer_phone"})
TX_IDENTITY = frozenset({"first_name", "last_name", "date_of_birth"})
REGISTRY_STATUS = frozenset({"status", "officer_name"})
# limited terms for record types partners share only in part (no free text)
PCSA_CONTACTS = frozenset({"contact_at", "contact_type", "face_to_face", "officer_name"})
BOARD_ASSESSMENTS = frozenset({"instrument", "assessed_on", "final_level", "next_due"})
BOARD_TREATMENT = frozenset({"provider_name", "program", "intake_date", "discharge_status"})
TX_CASE_PLAN = frozenset({"need", "target_date", "status"})
# a victim service agency: of release plans and board decisions only what concerns the victim
VA_RELEASE_PLANS = frozenset({"status", "release_date"})
VA_BOARD_DECISIONS = frozenset({"decision", "decided_on", "conditions", "hearing_date"})


@dataclass(frozen=True)
class Term:
    record_type: str
    fields: frozenset[str]
    actions: tuple[str, ...] = (V,)
    scope: str = TermScope.ASSIGNED


@dataclass(frozen=True)
class AgencySetup:
    name: str
    kind: str
    terms: tuple[Term, ...] = ()
    on_team: str | None = None  # team role on the sample case
    mou_status: str = "active"  # of the MOU carrying its terms


AGENCIES: dict[str, AgencySetup] = {
    "PDOC": AgencySetup("Prairie Dept. of Corrections", "corrections"),
    "PCSA": AgencySetup(
        "Prairie Community Supervision",
        "community_supervision",
        terms=(
            Term(R.STATUS, vocab(R.STATUS)),
            Term(R.IDENTITY, vocab(R.IDENTITY)),
            Term(R.CONTACTS, PCSA_CONTACTS),
        ),
        on_team="supervision_officer",
    ),
    "LCSA": AgencySetup(
        "Lakeside Community Supervision",
        "community_supervision",
        terms=(Term(R.STATUS, vocab(R.STATUS)), Term(R.IDENTITY, vocab(R.IDENTITY))),
    ),
    "OLDP": AgencySetup(
        "Old Partner Services",
        "community_supervision",
        terms=(
            Term(R.STATUS, vocab(R.STATUS), scope=TermScope.ALL),
            Term(R.IDENTITY, vocab(R.IDENTITY), scope=TermScope.ALL),
        ),
        mou_status="expired",
    ),
    "WHA": AgencySetup("Westfield Housing Authority", "housing"),
    "HVS": AgencySetup(
        "Harbor Victim Services",
        "victim_services",
        terms=(
            Term(R.STATUS, VA_STATUS, scope=TermScope.ALL),
            Term(R.IDENTITY, VA_IDENTITY, scope=TermScope.ALL),
            Term(R.VICTIM_SAFETY, vocab(R.VICTIM_SAFETY), scope=TermScope.ALL),
            Term(R.RELEASE_PLANS, VA_RELEASE_PLANS, scope=TermScope.ALL),
            Term(R.BOARD_DECISIONS, VA_BOARD_DECISIONS, scope=TermScope.ALL),
            # a victim advocate's role may not view polygraph, whatever the term says
            Term(R.POLYGRAPH, frozenset({"result"}), scope=TermScope.ALL),
        ),
    ),
    "PPRB": AgencySetup(
        "Prairie Prisoner Review Board",
        "parole_board",
        terms=(
            Term(R.STATUS, BOARD_STATUS),
            Term(R.IDENTITY, BOARD_IDENTITY),
            # the board reads plans referred to it (the board is on the case team once a plan
            # is referred); it acts on its review and decisions, not on the plan's content
            Term(R.RELEASE_PLANS, vocab(R.RELEASE_PLANS)),
            Term(R.BOARD_DECISIONS, vocab(R.BOARD_DECISIONS), actions=(V, A)),
            Term(R.ASSESSMENTS, BOARD_ASSESSMENTS),
            Term(R.TREATMENT, BOARD_TREATMENT),
        ),
        on_team="board",
    ),
    "NTA": AgencySetup(
        "New Tracks Associates",
        "treatment_provider",
        terms=(
            Term(R.STATUS, TX_STATUS),
            Term(R.IDENTITY, TX_IDENTITY),
            Term(R.TREATMENT, vocab(R.TREATMENT), actions=(V, A)),
            Term(R.POLYGRAPH, vocab(R.POLYGRAPH), actions=(V, A)),
            Term(R.CASE_PLAN, TX_CASE_PLAN),
        ),
        on_team="treatment_provider",
    ),
    "CCSO": AgencySetup(
        "Cedar County Sheriff",
        "law_enforcement",
        terms=(
            Term(R.IDENTITY, vocab(R.IDENTITY), actions=(V, C), scope=TermScope.ALL),
            Term(R.STATUS, REGISTRY_STATUS, scope=TermScope.ALL),
            Term(R.REGISTRATION, vocab(R.REGISTRATION), actions=(V, A, C), scope=TermScope.ALL),
        ),
    ),
    "PSAC": AgencySetup(
        "Prairie Statistical Analysis Center",
        "other",
        # an analyst's role sees no rows, whatever the term says
        terms=(Term(R.STATUS, vocab(R.STATUS), scope=TermScope.ALL),),
    ),
}
LEAD = "PDOC"


# --- the spec: who sees which fields of which record type on the sample case -------------


@dataclass(frozen=True)
class Persona:
    name: str
    agency: str | None
    roles: tuple[str, ...] = ()
    sees: dict[str, Fields] = field(default_factory=dict)  # absent: invisible
    writes: frozenset[str] = frozenset()  # record types the persona may change on the case
    active: bool = True

    @property
    def signed_in(self) -> bool:
        return self.agency is not None and self.active

    def fields(self, record_type: str) -> Fields | None:
        return self.sees.get(record_type)


EVERYTHING: dict[str, Fields] = {rt: EVERY for rt in RecordType}

PERSONAS: list[Persona] = [
    Persona(
        "lead_case_manager",
        LEAD,
        (Role.CASE_MANAGER,),
        sees=EVERYTHING,
        writes=frozenset(
            {
                R.STATUS,
                R.IDENTITY,
                R.CONTACTS,
                R.CASE_PLAN,
                R.TREATMENT,
                R.REGISTRATION,
                R.RELEASE_PLANS,
            }
        ),
    ),
    # same agency, another role: sees everything, changes neither status nor identity
    Persona(
        "lead_release_planner",
        LEAD,
        (Role.RELEASE_PLANNER,),
        sees=EVERYTHING,
        writes=frozenset({R.CASE_PLAN, R.RELEASE_PLANS}),
    ),
    Persona(
        "partner_assigned",
        "PCSA",
        (Role.SUPERVISION_OFFICER,),
        sees={
            R.STATUS: vocab(R.STATUS),
            R.IDENTITY: vocab(R.IDENTITY),
            R.CONTACTS: PCSA_CONTACTS,
        },
    ),
    Persona("partner_unassigned", "LCSA", (Role.SUPERVISION_OFFICER,)),
    Persona("partner_expired", "OLDP", (Role.SUPERVISION_OFFICER,)),
    Persona("agency_without_mou", "WHA", (Role.CASE_MANAGER,)),
    Persona(
        "victim_advocate",
        "HVS",
        (Role.VICTIM_ADVOCATE,),
        sees={
            R.STATUS: VA_STATUS,
            R.IDENTITY: VA_IDENTITY,
            R.VICTIM_SAFETY: vocab(R.VICTIM_SAFETY),
            R.RELEASE_PLANS: VA_RELEASE_PLANS,
            R.BOARD_DECISIONS: VA_BOARD_DECISIONS,
        },
    ),
    Persona(
        "board_member",
        "PPRB",
        (Role.BOARD_MEMBER,),
        sees={
            R.STATUS: BOARD_STATUS,
            R.IDENTITY: BOARD_IDENTITY,
            R.RELEASE_PLANS: vocab(R.RELEASE_PLANS),
            R.BOARD_DECISIONS: vocab(R.BOARD_DECISIONS),
            R.ASSESSMENTS: BOARD_ASSESSMENTS,
            R.TREATMENT: BOARD_TREATMENT,
        },
    ),
    Persona(
        "treatment_provider",
        "NTA",
        (Role.TREATMENT_PROVIDER,),
        sees={
            R.STATUS: TX_STATUS,
            R.IDENTITY: TX_IDENTITY,
            R.TREATMENT: vocab(R.TREATMENT),
            R.POLYGRAPH: vocab(R.POLYGRAPH),
            R.CASE_PLAN: TX_CASE_PLAN,
        },
    ),
    Persona(
        "registry_officer",
        "CCSO",
        (Role.REGISTRY_OFFICER,),
        sees={
            R.IDENTITY: vocab(R.IDENTITY),
            R.STATUS: REGISTRY_STATUS,
            R.REGISTRATION: vocab(R.REGISTRATION),
        },
        writes=frozenset({R.IDENTITY, R.REGISTRATION}),
    ),
    Persona("analyst", "PSAC", (Role.ANALYST,)),
    Persona("deactivated_user", LEAD, (Role.CASE_MANAGER,), active=False),
    Persona("anonymous", None),
]

PERSONA_NAMES = [p.name for p in PERSONAS]
BY_NAME = {p.name: p for p in PERSONAS}
