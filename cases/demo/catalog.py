"""The fictional "Prairie State": its agencies, staff, courses, statutes and places.

Everything here is invented. Places are made-up towns; phone numbers use the 555-01xx range
reserved for fiction; e-mail addresses use the reserved `.example` domain. The demo logins
(agencies.demo.DEMO_USERS) get obviously invented names so nobody mistakes them for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from agencies.choices import AgencyKind, Role

SEED = 20260517  # one fixed seed: the same demo every time, on every machine
STATE = "Prairie State"
DEMO_CASE_PREFIX = "PRS-"  # demo case numbers; the synthetic generator uses SYN-
DEMO_STATE_ID_PREFIX = "PSD"
EMAIL_DOMAIN = "prairie.example"

# County → (towns, registering sheriff). Invented names.
COUNTIES: dict[str, tuple[tuple[str, ...], str]] = {
    "Cedar County": (("Tallgrass", "Meadowlark", "Kestrel Springs", "Sundown Flats"), "CCSO"),
    "Aspen County": (("Ironwood", "New Harlow", "Millbrook Crossing"), "ACSO"),
}
# Rough centre of the fictional state, for residence coordinates.
CENTER_LAT, CENTER_LON = 38.52, -98.71


@dataclass(frozen=True)
class AgencySpec:
    short_name: str
    name: str
    kind: str
    jurisdiction: str
    town: str


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "PDOC", "Prairie Department of Corrections", AgencyKind.CORRECTIONS, STATE, "Tallgrass"
    ),
    AgencySpec(
        "PCSA",
        "Prairie Community Supervision Agency",
        AgencyKind.COMMUNITY_SUPERVISION,
        STATE,
        "Tallgrass",
    ),
    AgencySpec("NTA", "New Tracks Associates", AgencyKind.TREATMENT_PROVIDER, STATE, "Meadowlark"),
    AgencySpec(
        "BRC", "Bluestem Recovery Counseling", AgencyKind.TREATMENT_PROVIDER, STATE, "Ironwood"
    ),
    AgencySpec("HVS", "Harbor Victim Services", AgencyKind.VICTIM_SERVICES, STATE, "Tallgrass"),
    AgencySpec(
        "PPRB", "Prairie Prisoner Review Board", AgencyKind.PAROLE_BOARD, STATE, "Tallgrass"
    ),
    AgencySpec(
        "CCSO",
        "Cedar County Sheriff's Office",
        AgencyKind.LAW_ENFORCEMENT,
        "Cedar County",
        "Tallgrass",
    ),
    AgencySpec(
        "ACSO",
        "Aspen County Sheriff's Office",
        AgencyKind.LAW_ENFORCEMENT,
        "Aspen County",
        "Ironwood",
    ),
    AgencySpec("PSAC", "Prairie Statistical Analysis Center", AgencyKind.OTHER, STATE, "Tallgrass"),
    AgencySpec("WHA", "Willow Housing Authority", AgencyKind.HOUSING, "Cedar County", "Meadowlark"),
    AgencySpec(
        "PDC3",
        "Prairie District Court, Third Judicial District",
        AgencyKind.COURT,
        "Cedar County",
        "Tallgrass",
    ),
    AgencySpec(
        "CCAO", "Cedar County Attorney's Office", AgencyKind.PROSECUTOR, "Cedar County", "Tallgrass"
    ),
    AgencySpec(
        "PCASV",
        "Prairie Coalition Against Sexual Violence",
        AgencyKind.COALITION,
        STATE,
        "Kestrel Springs",
    ),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    agency: str
    roles: tuple[str, ...]
    title: str
    first_name: str = ""  # empty: drawn from Faker (fixed seed)
    last_name: str = ""
    signatory: bool = False
    supervisor: str = ""


R = Role
# Names of the demo logins: obviously invented (see agencies.demo.DEMO_USERS for the roles).
DEMO_LOGIN_NAMES: dict[str, tuple[str, str, str]] = {
    "cm.doc": ("Cassidy", "Casebook", "Offender Case Manager"),
    "planner.doc": ("Perry", "Planwright", "Release Planner"),
    "sup.doc": ("Sloane", "Overwatch", "Unit Team Supervisor"),
    "admin.doc": ("Addison", "Adminton", "Deputy Secretary, Offender Management"),
    "officer.csa": ("Otis", "Fieldstone", "Supervision Officer II"),
    "tx.provider": ("Thea", "Groupwell", "Licensed Sex Offender Treatment Provider"),
    "advocate.vs": ("Vera", "Safeharbor", "Victim Advocate"),
    "board.member": ("Bertram", "Boardman", "Board Member"),
    "registry.so": ("Reggie", "Ledgerwood", "Registry Deputy"),
    "analyst": ("Anya", "Tallysheet", "Research Analyst"),
    "auditor.doc": ("Audrey", "Trailwood", "Internal Auditor"),
    "nomou.user": ("Nolan", "Nopact", "Housing Case Manager"),
}
# Who reports to whom among the demo logins.
DEMO_LOGIN_SUPERVISORS: dict[str, str] = {
    "cm.doc": "sup.doc",
    "planner.doc": "sup.doc",
    "sup.doc": "admin.doc",
    "auditor.doc": "admin.doc",
    "officer.csa": "pcsa.supervisor",
    "tx.provider": "nta.director",
    "advocate.vs": "hvs.director",
    "board.member": "pprb.chair",
    "registry.so": "ccso.sergeant",
    "analyst": "psac.director",
    "nomou.user": "wha.director",
}
DEMO_SIGNATORIES = {"admin.doc"}

# Staff beyond the demo logins (names from Faker with the fixed seed).
OTHER_STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("pdoc.cm2", "PDOC", (R.CASE_MANAGER,), "Offender Case Manager", supervisor="sup.doc"),
    StaffSpec("pdoc.cm3", "PDOC", (R.CASE_MANAGER,), "Offender Case Manager", supervisor="sup.doc"),
    StaffSpec("pdoc.cm4", "PDOC", (R.CASE_MANAGER,), "Offender Case Manager", supervisor="sup.doc"),
    StaffSpec(
        "pdoc.planner2", "PDOC", (R.RELEASE_PLANNER,), "Release Planner", supervisor="sup.doc"
    ),
    StaffSpec(
        "pdoc.clinician",
        "PDOC",
        (R.TREATMENT_PROVIDER,),
        "Institutional Treatment Clinician",
        supervisor="sup.doc",
    ),
    StaffSpec("pcsa.director", "PCSA", (R.AGENCY_ADMIN,), "Director", signatory=True),
    StaffSpec(
        "pcsa.supervisor",
        "PCSA",
        (R.SUPERVISOR,),
        "Sex Offender Unit Supervisor",
        supervisor="pcsa.director",
    ),
    *(
        StaffSpec(
            f"pcsa.officer{n}",
            "PCSA",
            (R.SUPERVISION_OFFICER,),
            "Supervision Officer",
            supervisor="pcsa.supervisor",
        )
        for n in range(2, 7)
    ),
    StaffSpec(
        "nta.director", "NTA", (R.AGENCY_ADMIN, R.SUPERVISOR), "Clinical Director", signatory=True
    ),
    StaffSpec(
        "nta.therapist2", "NTA", (R.TREATMENT_PROVIDER,), "Therapist", supervisor="nta.director"
    ),
    StaffSpec(
        "brc.director", "BRC", (R.AGENCY_ADMIN, R.SUPERVISOR), "Program Director", signatory=True
    ),
    StaffSpec(
        "brc.therapist1", "BRC", (R.TREATMENT_PROVIDER,), "Therapist", supervisor="brc.director"
    ),
    StaffSpec(
        "brc.therapist2", "BRC", (R.TREATMENT_PROVIDER,), "Therapist", supervisor="brc.director"
    ),
    StaffSpec(
        "hvs.director", "HVS", (R.AGENCY_ADMIN, R.SUPERVISOR), "Executive Director", signatory=True
    ),
    StaffSpec(
        "hvs.advocate2", "HVS", (R.VICTIM_ADVOCATE,), "Victim Advocate", supervisor="hvs.director"
    ),
    StaffSpec(
        "pprb.chair", "PPRB", (R.BOARD_MEMBER, R.AGENCY_ADMIN), "Board Chair", signatory=True
    ),
    StaffSpec("pprb.member3", "PPRB", (R.BOARD_MEMBER,), "Board Member", supervisor="pprb.chair"),
    StaffSpec("ccso.sheriff", "CCSO", (R.AGENCY_ADMIN,), "Sheriff", signatory=True),
    StaffSpec(
        "ccso.sergeant",
        "CCSO",
        (R.SUPERVISOR, R.REGISTRY_OFFICER),
        "Registry Sergeant",
        supervisor="ccso.sheriff",
    ),
    StaffSpec(
        "ccso.deputy2", "CCSO", (R.REGISTRY_OFFICER,), "Registry Deputy", supervisor="ccso.sergeant"
    ),
    StaffSpec("acso.sheriff", "ACSO", (R.AGENCY_ADMIN,), "Sheriff", signatory=True),
    StaffSpec(
        "acso.deputy1", "ACSO", (R.REGISTRY_OFFICER,), "Registry Deputy", supervisor="acso.sheriff"
    ),
    StaffSpec("psac.director", "PSAC", (R.AGENCY_ADMIN,), "Director", signatory=True),
    StaffSpec("wha.director", "WHA", (R.AGENCY_ADMIN,), "Executive Director", signatory=True),
    StaffSpec("pdc3.admin", "PDC3", (R.AGENCY_ADMIN,), "Court Administrator", signatory=True),
    StaffSpec("ccao.attorney", "CCAO", (R.AGENCY_ADMIN,), "County Attorney", signatory=True),
    StaffSpec("pcasv.director", "PCASV", (R.AGENCY_ADMIN,), "Executive Director", signatory=True),
)

# Specialized training (goal 7 of the Kansas MOU): course → (hours, renewal months, roles).
COURSES: tuple[tuple[str, str, float, int, tuple[str, ...]], ...] = (
    (
        "Static-99R coding rules (2016 revision)",
        "Coding the ten items from records; age at release; common errors.",
        14.0,
        24,
        (R.CASE_MANAGER, R.SUPERVISION_OFFICER, R.SUPERVISOR),
    ),
    (
        "STABLE-2007 and ACUTE-2007 scoring",
        "Interview-based scoring of stable and acute dynamic risk factors.",
        21.0,
        24,
        (R.SUPERVISION_OFFICER, R.TREATMENT_PROVIDER),
    ),
    (
        "Containment model for supervision officers",
        "Supervision, treatment and polygraph working as one team.",
        8.0,
        12,
        (R.SUPERVISION_OFFICER, R.SUPERVISOR),
    ),
    (
        "Victim-centred practice",
        "Victim safety, notification and trauma-informed contact.",
        6.0,
        12,
        (R.VICTIM_ADVOCATE, R.RELEASE_PLANNER, R.BOARD_MEMBER),
    ),
    (
        "Release planning for people convicted of sexual offenses",
        "Residence, treatment referral, conditions and the board packet.",
        8.0,
        24,
        (R.RELEASE_PLANNER, R.CASE_MANAGER),
    ),
    (
        "Registry compliance and address verification",
        "Tiers, verification schedules, late updates and absconder review.",
        6.0,
        12,
        (R.REGISTRY_OFFICER,),
    ),
    (
        "Criminal justice information security awareness",
        "Handling criminal justice information; incident reporting.",
        2.0,
        12,
        tuple(Role),
    ),
)


@dataclass(frozen=True)
class Offense:
    """An invented statute. Sexual offenses are registrable (tier as listed); `victims` are
    the (age group, relationship) pairs that fit it; `weight` is how common it is as an index."""

    statute: str
    description: str
    sexual: bool
    contact: bool
    tier: str = ""
    victims: tuple[tuple[str, str], ...] = ()
    weight: int = 0


OFFENSES: tuple[Offense, ...] = (
    Offense(
        "P.S. 38-4101",
        "Rape",
        True,
        True,
        "III",
        (("adult", "acquaintance"), ("adult", "stranger"), ("adolescent", "acquaintance")),
        14,
    ),
    Offense(
        "P.S. 38-4103",
        "Aggravated indecent liberties with a child",
        True,
        True,
        "III",
        (("child", "family"), ("child", "acquaintance")),
        14,
    ),
    Offense(
        "P.S. 38-4104",
        "Indecent liberties with a child",
        True,
        True,
        "II",
        (("adolescent", "acquaintance"), ("child", "acquaintance"), ("adolescent", "family")),
        16,
    ),
    Offense(
        "P.S. 38-4106",
        "Criminal sodomy",
        True,
        True,
        "III",
        (("adult", "acquaintance"), ("adolescent", "family")),
        5,
    ),
    Offense(
        "P.S. 38-4108",
        "Sexual battery",
        True,
        True,
        "I",
        (("adult", "acquaintance"), ("adult", "stranger")),
        12,
    ),
    Offense("P.S. 38-4110", "Aggravated incest", True, True, "III", (("adolescent", "family"),), 5),
    Offense(
        "P.S. 38-4114",
        "Electronic solicitation of a child",
        True,
        False,
        "II",
        (("adolescent", "stranger"),),
        9,
    ),
    Offense(
        "P.S. 38-4116",
        "Sexual exploitation of a child (images)",
        True,
        False,
        "II",
        (("child", "unknown"),),
        11,
    ),
    Offense(
        "P.S. 38-4120",
        "Lewd and lascivious behavior (exposure)",
        True,
        False,
        "I",
        (("adult", "stranger"), ("adolescent", "stranger")),
        6,
    ),
    Offense("P.S. 38-2201", "Battery", False, True, victims=(("adult", "acquaintance"),)),
    Offense("P.S. 38-2205", "Aggravated assault", False, True, victims=(("adult", "stranger"),)),
    Offense("P.S. 38-3302", "Burglary", False, False),
    Offense("P.S. 38-3410", "Theft", False, False),
    Offense("P.S. 38-5101", "Possession of a controlled substance", False, False),
)

# Needs a case plan targets (STABLE-2007 items), with a goal and who delivers it.
NEEDS: tuple[tuple[str, str, str], ...] = (
    (
        "stable2007.sex_as_coping",
        "Use healthy coping strategies instead of sex when stressed",
        "treatment",
    ),
    (
        "stable2007.sex_drive_preoccupation",
        "Reduce sexual preoccupation; complete arousal module",
        "treatment",
    ),
    (
        "stable2007.significant_social_influences",
        "Build a prosocial support network of three people",
        "supervision",
    ),
    (
        "stable2007.capacity_relationship_stability",
        "Develop skills for stable adult relationships",
        "treatment",
    ),
    (
        "stable2007.impulsive_acts",
        "Plan ahead: weekly schedule reviewed with officer",
        "supervision",
    ),
    ("stable2007.poor_problem_solving", "Complete problem-solving skills workbook", "treatment"),
    ("stable2007.negative_emotionality", "Attend anger and mood management group", "treatment"),
    (
        "stable2007.cooperation_with_supervision",
        "Keep every scheduled appointment for 90 days",
        "supervision",
    ),
    (
        "stable2007.general_social_rejection",
        "Join one structured community activity",
        "supervision",
    ),
)

EMPLOYERS = (
    "Tallgrass Feed & Grain",
    "Meadowlark Auto Salvage",
    "Ironwood Pallet Works",
    "Sundown Flats Car Wash",
    "Kestrel Springs Recycling",
    "New Harlow Concrete",
    "Millbrook Crossing Diner (kitchen)",
    "Prairie Roofing Co-op",
)
