"""`generate_synthetic`: a statewide dataset for benchmarks, written with PostgreSQL COPY.

Everything it writes is marked so it never mixes with the demo: case numbers start with
`SYN-`, state IDs with `PSS`, agency short names with `SYN-`, usernames with `syn.`. It runs
on a database that holds the demo, refuses to run twice unless asked to `--replace` its own
earlier output, and is deterministic for a given seed and date.

Speed: rows are generated in Python from one seeded `random.Random` and streamed to
`COPY ... FROM STDIN` through an in-memory buffer, one batch of offenders per transaction
(ids are reserved from the sequences first, so children can point at their parents).
"""

from __future__ import annotations

import io
import json
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker

from agencies.choices import AgencyKind, RecordType, Role
from agencies.models import Agency, StaffMember
from agencies.vocabulary import SHAREABLE_FIELDS
from cases.choices import CaseStatus, ContactType, HousingStatus, TeamRole
from cases.demo import hooks
from cases.models import (
    AddressVerification,
    Case,
    CaseAssignment,
    Conviction,
    Offender,
    QualifyingContacts,
    RegistrationEvent,
    RegistrationRecord,
    Residence,
    SupervisionContact,
)
from mou.models import MOU, DataSharingTerm, MOUParty, Signature

CASE_PREFIX = "SYN-"
STATE_ID_PREFIX = "PSS"
AGENCY_PREFIX = "SYN-"
USERNAME_PREFIX = "syn."
STATE = "Synthetic State"
UNUSABLE_PASSWORD = "!synthetic-no-login"  # noqa: S105 - "!" marks an unusable password

K = AgencyKind
# Share of agencies by kind (the rest are "other"); at least one of each listed kind.
KIND_SHARES: tuple[tuple[str, float], ...] = (
    (K.CORRECTIONS, 0.0),
    (K.PAROLE_BOARD, 0.0),
    (K.COMMUNITY_SUPERVISION, 0.05),
    (K.LAW_ENFORCEMENT, 0.40),
    (K.TREATMENT_PROVIDER, 0.20),
    (K.VICTIM_SERVICES, 0.10),
    (K.COURT, 0.08),
    (K.PROSECUTOR, 0.08),
    (K.HOUSING, 0.03),
    (K.COALITION, 0.01),
)
STATUS_SHARES: tuple[tuple[str, float], ...] = (
    (CaseStatus.SUPERVISED, 0.55),
    (CaseStatus.INCARCERATED, 0.15),
    (CaseStatus.PRE_RELEASE, 0.05),
    (CaseStatus.DISCHARGED, 0.15),
    (CaseStatus.ABSCONDED, 0.05),
    (CaseStatus.DECEASED, 0.05),
)
SUPERVISED_HISTORY = {"supervised", "discharged", "absconded", "deceased"}
# Index offenses: (statute, description, tier, victim age group, relationship).
OFFENSES = (
    ("S.S. 21-3502", "Rape", "III", "adult", "acquaintance"),
    ("S.S. 21-3504", "Aggravated indecent liberties with a child", "III", "child", "family"),
    ("S.S. 21-3503", "Indecent liberties with a child", "II", "adolescent", "acquaintance"),
    ("S.S. 21-3517", "Sexual battery", "I", "adult", "stranger"),
    ("S.S. 21-3516", "Sexual exploitation of a child", "II", "child", "unknown"),
    ("S.S. 21-3508", "Lewd and lascivious behavior", "I", "adult", "stranger"),
)
TIER_MONTHS = {"I": 12, "II": 6, "III": 3}
TIER_YEARS = {"I": 15, "II": 25, "III": None}
CONTACT_PATTERN = (
    (ContactType.OFFICE, True, "District office"),
    (ContactType.HOME_VISIT, True, "Residence"),
    (ContactType.OFFICE, True, "District office"),
    (ContactType.TREATMENT_COLLATERAL, False, "Telephone"),
    (ContactType.FIELD, True, "Place of employment"),
    (ContactType.EMPLOYMENT_VERIFICATION, False, "Employer"),
)
BATCH = 2000


@dataclass
class Options:
    """What to generate (the command's flags)."""

    offenders: int
    agencies: int = 250
    mous: int = 40
    contacts_per_case: int = 40
    seed: int = 1
    replace: bool = False
    sync_grants: bool = True
    progress: bool = True
    anchor: date | None = None


@dataclass
class Result:
    """Rows written per table and seconds per phase."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class SyntheticExists(Exception):
    """Synthetic data is already there and --replace was not given."""


# --- COPY plumbing --------------------------------------------------------------------------
def _text(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(str(item) for item in value) + "}"
    if isinstance(value, dict):
        return _text(json.dumps(value))
    return str(value)


class Copier:
    """Streams rows into tables with COPY and counts them."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}

    @staticmethod
    def columns(model: type[models.Model], names: Iterable[str]) -> tuple[str, str]:
        by_name = {f.name: f.column for f in model._meta.concrete_fields}
        by_name.update({f.attname: f.column for f in model._meta.concrete_fields})
        return model._meta.db_table, ", ".join(by_name[name] for name in names)

    def copy(
        self, model: type[models.Model], names: tuple[str, ...], rows: Iterable[tuple]
    ) -> None:
        self.copy_lines(model, names, ("\t".join(map(_text, row)) for row in rows))

    def copy_lines(
        self, model: type[models.Model], names: tuple[str, ...], lines: Iterable[str]
    ) -> None:
        table, columns = self.columns(model, names)
        buffer = io.StringIO()
        count = 0
        for line in lines:
            buffer.write(line)
            buffer.write("\n")
            count += 1
        if not count:
            return
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        self.rows[model._meta.label] = self.rows.get(model._meta.label, 0) + count


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` ids from the model's identity sequence (children can then refer to them)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


class Days:
    """ISO strings for day numbers relative to the anchor (cached: formatting is hot)."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor
        self._cache: dict[int, str] = {}

    def __call__(self, offset: int) -> str:
        text = self._cache.get(offset)
        if text is None:
            text = (self.anchor + timedelta(days=offset)).isoformat()
            self._cache[offset] = text
        return text

    def months(self, offset: int, months: int) -> int:
        """Offset of the same day `months` later."""
        day = self.anchor + timedelta(days=offset)
        index = day.month - 1 + months
        year, month = day.year + index // 12, index % 12 + 1
        for candidate in (day.day, 30, 29, 28):
            try:
                return (date(year, month, candidate) - self.anchor).days
            except ValueError:
                continue
        raise ValueError(day)


# --- the generator --------------------------------------------------------------------------
@dataclass
class World:
    """Agencies and staff the offenders are spread over (ids per kind and county)."""

    corrections: int = 0
    board: int = 0
    districts: list[int] = field(default_factory=list)
    sheriffs: list[int] = field(default_factory=list)
    providers: list[int] = field(default_factory=list)
    victim_services: list[int] = field(default_factory=list)
    staff: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def pick(self, rng: random.Random, agency: int, role: str) -> int:
        people = self.staff[(agency, role)]
        return people[int(rng.random() * len(people))]


class Generator:
    """Builds the synthetic state; `run()` does it all and returns counts and timings."""

    def __init__(self, options: Options) -> None:
        if options.offenders < 1:
            raise ValueError("--offenders must be at least 1")
        if options.agencies < 10:
            raise ValueError("--agencies must be at least 10 (one of each kind the cases need)")
        self.options = options
        self.rng = random.Random(options.seed)
        self.anchor = options.anchor or timezone.localdate()
        self.days = Days(self.anchor)
        self.now = timezone.now().isoformat()
        self.copier = Copier()
        self.world = World()
        self.result = Result()
        fake = Faker("en_US")
        fake.seed_instance(options.seed)
        self.first_male = [fake.first_name_male() for _ in range(600)]
        self.first_female = [fake.first_name_female() for _ in range(200)]
        self.last = [fake.last_name() for _ in range(1500)]
        self.streets = [fake.street_name() for _ in range(400)]

    def timed(self, phase: str, function: Callable[[], None]) -> None:
        started = time.monotonic()
        function()
        self.result.seconds[phase] = round(time.monotonic() - started, 2)

    def run(self) -> Result:
        if exists():
            if not self.options.replace:
                raise SyntheticExists(
                    "Synthetic data already exists; run with --replace to regenerate it."
                )
            self.timed("delete previous", delete_synthetic)
        with transaction.atomic():
            self.timed("agencies and staff", self.agencies_and_staff)
            self.timed("MOUs", self.mous)
        self.timed("offenders and cases", self.offenders)
        # the default contact standards (load_standards: idempotent), so the alert
        # sweep's contact rules have something to measure: without them contact_behind and
        # first_contact_missed raised nothing on the statewide dataset (docs/performance.md)
        self.timed("standards", lambda: hooks.load_standards(self.result.notes))
        # statistics before the grant sync: planned on empty-table estimates, the sync's
        # joins of terms, agencies and 100,000 cases ran for many minutes instead of seconds
        self.timed("analyze", analyze)
        if self.options.sync_grants:
            self.timed("grant sync", lambda: hooks.sync_grants(self.result.notes))
            self.timed("analyze grants", analyze_grants)
        # VACUUM as well: COPY leaves every page not-all-visible, so no index-only scan
        # (relallvisible = 0) until autovacuum gets round to the big tables
        self.timed("vacuum", vacuum)
        self.result.notes.append(
            "assessments not generated: scores come only from the scoring service "
            "(cases.services.assessments), which this generator does not replicate"
        )
        self.result.rows = dict(self.copier.rows)
        return self.result

    # --- agencies, staff, MOUs ----------------------------------------------------------
    def agency_kinds(self) -> list[str]:
        total = self.options.agencies
        kinds: list[str] = []
        for kind, share in KIND_SHARES:
            kinds += [kind] * max(1, round(total * share))
        kinds = kinds[:total]
        kinds += [K.OTHER] * (total - len(kinds))
        return kinds

    def agencies_and_staff(self) -> None:
        kinds = self.agency_kinds()
        rng, opts = self.rng, self.options
        agency_ids = reserve_ids(Agency, len(kinds))
        group_ids = reserve_ids(Group, len(kinds))
        counters: dict[str, int] = {}
        agencies, groups = [], []
        for n, (kind, agency_id, group_id) in enumerate(
            zip(kinds, agency_ids, group_ids, strict=True)
        ):
            counters[kind] = counters.get(kind, 0) + 1
            number = counters[kind]
            short = f"{AGENCY_PREFIX}{n + 1:04d}"
            label = AgencyKind(kind).label
            county = f"Synthetic County {number:03d}"
            local = kind in (K.LAW_ENFORCEMENT, K.COURT, K.PROSECUTOR, K.HOUSING)
            name = {
                K.CORRECTIONS: "Synthetic State Department of Corrections",
                K.PAROLE_BOARD: "Synthetic State Parole Board",
                K.LAW_ENFORCEMENT: f"{county} Sheriff's Office",
            }.get(kind, f"Synthetic {label} {number:03d}")
            groups.append((group_id, f"agency:{short}"))
            agencies.append(
                (
                    agency_id,
                    name,
                    short,
                    kind,
                    county if local else STATE,
                    f"{rng.randint(1, 999)} {rng.choice(self.streets)}",
                    f"(555) 555-01{rng.randrange(100):02d}",
                    f"{short.lower()}@synthetic.example",
                    True,
                    group_id,
                    self.now,
                )
            )
            world = self.world
            if kind == K.CORRECTIONS:
                world.corrections = agency_id
            elif kind == K.PAROLE_BOARD:
                world.board = agency_id
            elif kind == K.COMMUNITY_SUPERVISION:
                world.districts.append(agency_id)
            elif kind == K.LAW_ENFORCEMENT:
                world.sheriffs.append(agency_id)
            elif kind == K.TREATMENT_PROVIDER:
                world.providers.append(agency_id)
            elif kind == K.VICTIM_SERVICES:
                world.victim_services.append(agency_id)
        self.copier.copy(Group, ("id", "name"), groups)
        self.copier.copy(
            Agency,
            (
                "id",
                "name",
                "short_name",
                "kind",
                "jurisdiction",
                "address",
                "phone",
                "email",
                "active",
                "group_id",
                "created_at",
            ),
            agencies,
        )
        # Staff sized to the caseload: ~80 cases per case manager, ~60 per officer.
        cases = opts.offenders
        supervised = max(1, int(cases * 0.8) // max(1, len(self.world.districts)))
        roster: dict[str, list[tuple[str, int]]] = {
            K.CORRECTIONS: [
                (Role.CASE_MANAGER, max(2, math.ceil(cases / 80))),
                (Role.RELEASE_PLANNER, max(1, math.ceil(cases / 400))),
                (Role.SUPERVISOR, max(1, math.ceil(cases / 640))),
            ],
            K.COMMUNITY_SUPERVISION: [
                (Role.SUPERVISION_OFFICER, max(2, math.ceil(supervised / 60))),
                (Role.SUPERVISOR, 1),
            ],
            K.LAW_ENFORCEMENT: [(Role.REGISTRY_OFFICER, 2)],
            K.TREATMENT_PROVIDER: [(Role.TREATMENT_PROVIDER, 3)],
            K.VICTIM_SERVICES: [(Role.VICTIM_ADVOCATE, 2)],
            K.PAROLE_BOARD: [(Role.BOARD_MEMBER, 5)],
        }
        people: list[tuple[int, str, bool]] = []  # agency, role, signatory
        for agency_id, kind in zip(agency_ids, kinds, strict=True):
            people.append((agency_id, Role.AGENCY_ADMIN, True))
            for role, count in roster.get(kind, [(Role.ANALYST, 1)]):
                people += [(agency_id, role, False)] * count
        user_ids = reserve_ids(get_user_model(), len(people))
        staff_ids = reserve_ids(StaffMember, len(people))
        admin_of: dict[int, int] = {}
        for (agency_id, role, signatory), staff_id in zip(people, staff_ids, strict=True):
            if signatory:
                admin_of[agency_id] = staff_id
            self.world.staff.setdefault((agency_id, role), []).append(staff_id)
        users, staff = [], []
        for n, ((agency_id, role, signatory), user_id, staff_id) in enumerate(
            zip(people, user_ids, staff_ids, strict=True)
        ):
            female = rng.random() < 0.45
            first = rng.choice(self.first_female if female else self.first_male)
            last = rng.choice(self.last)
            username = f"{USERNAME_PREFIX}{n + 1:06d}"
            users.append(
                (
                    user_id,
                    UNUSABLE_PASSWORD,
                    False,
                    username,
                    first,
                    last,
                    f"{username}@synthetic.example",
                    False,
                    True,
                    self.now,
                )
            )
            staff.append(
                (
                    staff_id,
                    user_id,
                    agency_id,
                    [role],
                    Role(role).label,
                    "",
                    signatory,
                    True,
                    None if signatory else admin_of[agency_id],
                )
            )
        self.copier.copy(
            get_user_model(),
            (
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
            ),
            users,
        )
        self.copier.copy(
            StaffMember,
            (
                "id",
                "user_id",
                "agency_id",
                "roles",
                "title",
                "phone",
                "is_signatory",
                "active",
                "supervisor_id",
            ),
            staff,
        )
        self.signatory = admin_of
        self.kinds = dict(zip(agency_ids, kinds, strict=True))

    def mous(self) -> None:
        """MOUs between corrections and its partners: mostly active, a few expired/pending."""
        world, days = self.world, self.days
        partners = [
            agency
            for agency, kind in self.kinds.items()
            if kind
            in (
                K.COMMUNITY_SUPERVISION,
                K.LAW_ENFORCEMENT,
                K.TREATMENT_PROVIDER,
                K.VICTIM_SERVICES,
                K.PAROLE_BOARD,
                K.HOUSING,
            )
        ]
        count = max(1, min(self.options.mous, len(partners)))
        ids = reserve_ids(MOU, count)
        all_fields = {rt: list(SHAREABLE_FIELDS[rt]) for rt in RecordType}
        shares: dict[str, list[tuple[str, list[str], list[str], str]]] = {
            K.COMMUNITY_SUPERVISION: [
                (rt, all_fields[rt], ["view", "add", "change"], "all") for rt in RecordType
            ],
            K.LAW_ENFORCEMENT: [
                (RecordType.IDENTITY, all_fields[RecordType.IDENTITY], ["view"], "all"),
                (
                    RecordType.REGISTRATION,
                    all_fields[RecordType.REGISTRATION],
                    ["view", "add", "change"],
                    "all",
                ),
                (RecordType.RESIDENCE, all_fields[RecordType.RESIDENCE], ["view", "add"], "all"),
            ],
            K.TREATMENT_PROVIDER: [
                (
                    RecordType.TREATMENT,
                    all_fields[RecordType.TREATMENT],
                    ["view", "add"],
                    "assigned",
                ),
                (
                    RecordType.IDENTITY,
                    ["first_name", "last_name", "date_of_birth"],
                    ["view"],
                    "assigned",
                ),
                (
                    RecordType.STATUS,
                    ["status", "supervision_level", "officer_name"],
                    ["view"],
                    "assigned",
                ),
            ],
            K.VICTIM_SERVICES: [
                (
                    RecordType.VICTIM_SAFETY,
                    all_fields[RecordType.VICTIM_SAFETY],
                    ["view"],
                    "assigned",
                ),
                (
                    RecordType.STATUS,
                    ["status", "release_date", "officer_name", "officer_phone"],
                    ["view"],
                    "assigned",
                ),
            ],
            K.PAROLE_BOARD: [
                (
                    RecordType.RELEASE_PLANS,
                    all_fields[RecordType.RELEASE_PLANS],
                    ["view", "change"],
                    "assigned",
                ),
                (
                    RecordType.BOARD_DECISIONS,
                    all_fields[RecordType.BOARD_DECISIONS],
                    ["view", "add"],
                    "assigned",
                ),
                (RecordType.ASSESSMENTS, all_fields[RecordType.ASSESSMENTS], ["view"], "assigned"),
            ],
            K.HOUSING: [
                (RecordType.RESIDENCE, all_fields[RecordType.RESIDENCE], ["view"], "assigned"),
            ],
        }
        mous, parties, signatures, terms = [], [], [], []
        for k, mou_id in enumerate(ids):
            members = partners[k::count]
            status = {7: "expired", 13: "awaiting_signatures", 19: "draft"}.get(k % 20, "active")
            if status == "expired":
                effective, expiration = -900, -30 - k % 60
            elif status == "active":
                effective, expiration = -600 + k, 900 + k
            else:
                effective, expiration = -10, 1000
            mous.append(
                (
                    mou_id,
                    f"Synthetic data-sharing agreement {k + 1:03d}",
                    "Statewide information sharing for benchmarks (synthetic).",
                    days(effective),
                    days(expiration),
                    status,
                    "",
                    world.corrections,
                    1,
                    days(effective) + " 09:00:00+00" if status in ("active", "expired") else None,
                    days(expiration + 1) + " 00:05:00+00" if status == "expired" else None,
                    "",
                    self.now,
                    self.now,
                )
            )
            for agency in [world.corrections, *members]:
                parties.append((mou_id, agency, self.signatory[agency]))
                if status in ("active", "expired") or (
                    status == "awaiting_signatures" and agency == world.corrections
                ):
                    signatures.append((mou_id, agency, self.signatory[agency], 1, self.now))
            for agency in members:
                for record_type, names, actions, scope in shares[self.kinds[agency]]:
                    terms.append(
                        (
                            mou_id,
                            1,
                            world.corrections,
                            agency,
                            str(record_type),
                            names,
                            actions,
                            scope,
                            None,
                            self.now,
                        )
                    )
        self.copier.copy(
            MOU,
            (
                "id",
                "title",
                "purpose",
                "effective_date",
                "expiration_date",
                "status",
                "document",
                "drafted_by_id",
                "terms_version",
                "activated_at",
                "ended_at",
                "termination_reason",
                "created_at",
                "updated_at",
            ),
            mous,
        )
        self.copier.copy(MOUParty, ("mou_id", "agency_id", "signatory_id"), parties)
        self.copier.copy(
            Signature,
            ("mou_id", "agency_id", "signed_by_id", "terms_version", "signed_at"),
            signatures,
        )
        self.copier.copy(
            DataSharingTerm,
            (
                "mou_id",
                "version",
                "provider_id",
                "recipient_id",
                "record_type",
                "fields",
                "actions",
                "scope",
                "superseded_at",
                "created_at",
            ),
            terms,
        )

    # --- offenders and everything on their cases ----------------------------------------
    def offenders(self) -> None:
        total = self.options.offenders
        bar = _progress(total, self.options.progress)
        try:
            for start in range(0, total, BATCH):
                size = min(BATCH, total - start)
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        # Synthetic rows are rebuildable: don't wait for the WAL flush.
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    self.batch(start, size)
                bar.update(size)
        finally:
            bar.close()

    def batch(self, start: int, size: int) -> None:
        rng, days, world, now = self.rng, self.days, self.world, self.now
        opts = self.options
        offender_ids = reserve_ids(Offender, size)
        case_ids = reserve_ids(Case, size)
        rows: dict[str, list] = {
            name: []
            for name in (
                "offenders",
                "convictions",
                "cases",
                "assignments",
                "residences",
                "registrations",
                "events",
                "verifications",
            )
        }
        contact_lines: list[str] = []
        registration_ids = iter(reserve_ids(RegistrationRecord, size))
        per_case = opts.contacts_per_case / 0.8  # only ~80% of cases have supervision history
        statuses = [status for status, _ in STATUS_SHARES]
        weights = [share for _, share in STATUS_SHARES]
        cm_pool = world.staff[(world.corrections, Role.CASE_MANAGER)]
        planners = world.staff[(world.corrections, Role.RELEASE_PLANNER)]
        counties = len(world.sheriffs)
        for n in range(size):
            number = start + n + 1
            offender_id, case_id = offender_ids[n], case_ids[n]
            status = rng.choices(statuses, weights)[0]
            county = int(rng.random() * counties)
            district = world.districts[county % len(world.districts)]
            sheriff = world.sheriffs[county]
            provider = world.providers[county % len(world.providers)]
            female = rng.random() < 0.05
            rows["offenders"].append(
                (
                    offender_id,
                    rng.choice(self.first_female if female else self.first_male),
                    "",
                    rng.choice(self.last),
                    days(-rng.randint(21 * 365, 72 * 365)),
                    "F" if female else "M",
                    f"{STATE_ID_PREFIX}{number:07d}",
                    f"SX{number:07d}",
                    "",
                    rng.randint(155, 198),
                    rng.randint(55, 130),
                    "",
                    "",
                    "",
                    "",
                    now,
                    now,
                )
            )
            statute, description, tier, age_group, relationship = rng.choice(OFFENSES)
            release = expected = sup_start = sup_end = stop = None
            level = ""
            if status == "incarcerated":
                convicted = -rng.randint(200, 3000)
                expected = rng.randint(60, 2000)
            elif status == "pre_release":
                convicted = -rng.randint(700, 3000)
                expected = rng.randint(5, 120)
            else:
                if status == "supervised":
                    sup_start = -rng.randint(10, 2500)
                elif status == "absconded":
                    stop = -rng.randint(10, 400)
                    sup_start = stop - rng.randint(100, 1500)
                else:
                    sup_end = -rng.randint(30, 1500)
                    sup_start = sup_end - rng.randint(60, 2000)
                    stop = sup_end
                release = sup_start
                convicted = sup_start - rng.randint(300, 3000)
                draw = rng.random()
                level = "high" if draw < 0.25 else "moderate" if draw < 0.7 else "low"
            rows["convictions"].append(
                (
                    offender_id,
                    statute,
                    description,
                    STATE,
                    days(convicted - rng.randint(90, 400)),
                    days(convicted),
                    days(convicted + 30),
                    age_group,
                    relationship,
                    False,
                    True,
                    True,
                    True,
                )
            )
            if rng.random() < 0.3:
                prior = convicted - rng.randint(1000, 5000)
                rows["convictions"].append(
                    (
                        offender_id,
                        "S.S. 21-3412",
                        "Battery",
                        STATE,
                        days(prior - 60),
                        days(prior),
                        days(prior + 21),
                        "adult",
                        "acquaintance",
                        False,
                        False,
                        False,
                        False,
                    )
                )
            manager = cm_pool[int(rng.random() * len(cm_pool))]
            officer = (
                world.pick(rng, district, Role.SUPERVISION_OFFICER)
                if sup_start is not None
                else None
            )
            rows["cases"].append(
                (
                    case_id,
                    f"{CASE_PREFIX}{number:07d}",
                    status,
                    STATE,
                    days(expected)
                    if expected is not None
                    else days(release)
                    if release is not None
                    else None,
                    days(release) if release is not None else None,
                    days(sup_start) if sup_start is not None else None,
                    days(sup_end) if sup_end is not None else None,
                    level,
                    1,
                    now,
                    now,
                    offender_id,
                    world.corrections,
                    manager,
                    officer,
                )
            )
            team = rows["assignments"]
            opened = days(convicted + 30)
            team.append((case_id, world.corrections, manager, TeamRole.CASE_MANAGER, opened, None))
            if sup_start is None:
                team.append(
                    (
                        case_id,
                        world.corrections,
                        planners[int(rng.random() * len(planners))],
                        TeamRole.RELEASE_PLANNER,
                        days(min(0, (expected or 0) - 300)),
                        None,
                    )
                )
                if status == "pre_release" and rng.random() < 0.6:
                    team.append((case_id, world.board, None, TeamRole.BOARD, days(-20), None))
                continue
            ended = days(sup_end) if sup_end is not None else None
            team.append(
                (case_id, district, officer, TeamRole.SUPERVISION_OFFICER, days(sup_start), ended)
            )
            registry_officer = world.pick(rng, sheriff, Role.REGISTRY_OFFICER)
            team.append(
                (case_id, sheriff, registry_officer, TeamRole.REGISTRY, days(sup_start), None)
            )
            if rng.random() < 0.6:
                team.append(
                    (
                        case_id,
                        provider,
                        world.pick(rng, provider, Role.TREATMENT_PROVIDER),
                        TeamRole.TREATMENT_PROVIDER,
                        days(sup_start + 14),
                        ended,
                    )
                )
            if rng.random() < 0.2:
                advocate_agency = world.victim_services[county % len(world.victim_services)]
                team.append(
                    (
                        case_id,
                        advocate_agency,
                        world.pick(rng, advocate_agency, Role.VICTIM_ADVOCATE),
                        TeamRole.VICTIM_ADVOCATE,
                        opened,
                        None,
                    )
                )
            # Residences: one or two, the current one sometimes transient.
            moved = sup_start + rng.randint(30, 400) if rng.random() < 0.4 else None
            if moved is not None and moved >= (stop if stop is not None else 0) - 1:
                moved = None
            transient = rng.random() < 0.08
            city = f"Town {county:03d}"
            street = f"{rng.randint(1, 9999)} {rng.choice(self.streets)}"
            end_of_life = days(sup_end) if status == "deceased" else None
            if moved is not None:
                rows["residences"].append(
                    (
                        case_id,
                        f"{rng.randint(1, 9999)} {rng.choice(self.streets)}",
                        city,
                        "",
                        HousingStatus.WITH_FAMILY,
                        None,
                        None,
                        days(sup_start),
                        days(moved - 1),
                    )
                )
            rows["residences"].append(
                (
                    case_id,
                    "" if transient else street,
                    city,
                    "",
                    HousingStatus.TRANSIENT if transient else HousingStatus.HOUSED,
                    None,
                    None,
                    days(moved if moved is not None else sup_start),
                    end_of_life,
                )
            )
            # Registration: initial, periodic verifications at the tier's interval, the
            # officer's address checks; ~10% of active registrants miss the latest one.
            registration_id = next(registration_ids)
            months = 1 if transient else TIER_MONTHS[tier]
            horizon = stop if stop is not None else 0
            overdue = status == "supervised" and rng.random() < 0.1
            events, verifications = rows["events"], rows["verifications"]
            events.append(
                (
                    registration_id,
                    case_id,
                    "initial",
                    days(sup_start),
                    days(sup_start),
                    days(sup_start + 3),
                    False,
                    "",
                    registry_officer,
                    now,
                )
            )
            due = days.months(sup_start, months)
            last, cycles, previous = sup_start, 0, sup_start
            while due <= horizon and cycles < 24:
                if overdue and days.months(due, months) > horizon:
                    break
                late = rng.random() < 0.05
                reported = due + rng.randint(3, 20) if late else due - rng.randint(0, 10)
                reported = max(reported, previous + 1)
                if reported >= 0:
                    break
                events.append(
                    (
                        registration_id,
                        case_id,
                        "periodic",
                        days(reported),
                        days(reported),
                        days(due),
                        reported > due,
                        "",
                        registry_officer,
                        now,
                    )
                )
                previous = last = reported
                cycles += 1
                if cycles % 2 == 0 and reported + 5 < 0:
                    verifications.append(
                        (
                            registration_id,
                            case_id,
                            registry_officer,
                            days(reported + 5),
                            street or "Transient",
                            "verified",
                            "",
                            now,
                        )
                    )
                due = days.months(due, months)
            if status == "absconded":
                reg_status = "absconded"
                verifications.append(
                    (
                        registration_id,
                        case_id,
                        registry_officer,
                        days(min(-1, stop + 5)),  # type: ignore[operator]
                        street or "Transient",
                        "not_at_address",
                        "Absconder review.",
                        now,
                    )
                )
            elif status == "deceased":
                reg_status = "ended"
            elif due < 0:
                reg_status = "non_compliant"
            elif due <= 14:
                reg_status = "due"
            else:
                reg_status = "compliant"
            rows["registrations"].append(
                (
                    registration_id,
                    case_id,
                    sheriff,
                    tier,
                    STATE,
                    days(sup_start),
                    TIER_YEARS[tier],
                    0,
                    False,
                    transient,
                    reg_status,
                    days(last),
                    None if reg_status == "ended" else days(due),
                    days(sup_end) if reg_status == "ended" and sup_end > sup_start else None,  # type: ignore[operator]
                    now,
                )
            )
            # Supervision contacts, spread over the last 18 months of supervision.
            window_end = (stop if stop is not None else 0) - 1
            if status == "supervised" and rng.random() < 0.12:
                window_end = -rng.randint(45, 120)  # behind on contacts
            window_start = max(sup_start, window_end - 548)
            span = window_end - window_start
            if span <= 0:
                continue
            count = min(span, max(1, round(per_case * rng.uniform(0.8, 1.2))))
            officer_text = str(officer)
            case_text = str(case_id)
            for j in range(count):
                kind, face, location = CONTACT_PATTERN[j % 6]
                day = window_start + (j * span) // count + 1
                hour = 8 + int(rng.random() * 9)
                outcome = (
                    "attempted"
                    if kind == ContactType.HOME_VISIT and rng.random() < 0.08
                    else "completed"
                )
                contact_lines.append(
                    f"{case_text}\t{days(day)} {hour:02d}:{(j * 7) % 60:02d}:00+00\t{kind}\t"
                    f"{'t' if face else 'f'}\t{location}\t{outcome}\t\t{now}\t{now}\t{officer_text}"
                )
        c = self.copier
        c.copy(
            Offender,
            (
                "id",
                "first_name",
                "middle_name",
                "last_name",
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
                "created_at",
                "updated_at",
            ),
            rows["offenders"],
        )
        c.copy(
            Conviction,
            (
                "offender_id",
                "statute",
                "description",
                "jurisdiction",
                "offense_date",
                "conviction_date",
                "sentencing_date",
                "victim_age_group",
                "victim_relationship",
                "victim_male",
                "sexual",
                "registrable",
                "is_index",
            ),
            rows["convictions"],
        )
        c.copy(
            Case,
            (
                "id",
                "case_number",
                "status",
                "jurisdiction",
                "expected_release_date",
                "release_date",
                "supervision_start",
                "supervision_end",
                "supervision_level",
                "version",
                "created_at",
                "updated_at",
                "offender_id",
                "lead_agency_id",
                "case_manager_id",
                "officer_id",
            ),
            rows["cases"],
        )
        c.copy(
            CaseAssignment,
            ("case_id", "agency_id", "staff_id", "role", "start_date", "end_date"),
            rows["assignments"],
        )
        c.copy(
            Residence,
            (
                "case_id",
                "address",
                "city",
                "county",
                "housing_status",
                "latitude",
                "longitude",
                "start_date",
                "end_date",
            ),
            rows["residences"],
        )
        c.copy(
            RegistrationRecord,
            (
                "id",
                "case_id",
                "registering_agency_id",
                "tier",
                "jurisdiction",
                "start_date",
                "period_years",
                "custody_days_excluded",
                "juvenile",
                "transient",
                "status",
                "last_verified_on",
                "next_verification_due",
                "end_date",
                "updated_at",
            ),
            rows["registrations"],
        )
        c.copy(
            RegistrationEvent,
            (
                "registration_id",
                "case_id",
                "kind",
                "changed_on",
                "reported_on",
                "due_by",
                "late",
                "details",
                "recorded_by_id",
                "created_at",
            ),
            rows["events"],
        )
        c.copy(
            AddressVerification,
            (
                "registration_id",
                "case_id",
                "officer_id",
                "verified_on",
                "address",
                "result",
                "notes",
                "created_at",
            ),
            rows["verifications"],
        )
        c.copy_lines(
            SupervisionContact,
            (
                "case_id",
                "contact_at",
                "contact_type",
                "face_to_face",
                "location",
                "outcome",
                "notes",
                "created_at",
                "updated_at",
                "officer_id",
            ),
            contact_lines,
        )


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="offender", disable=not enabled, smoothing=0.1)


# --- housekeeping ---------------------------------------------------------------------------
def exists() -> bool:
    return (
        Case.objects.filter(case_number__startswith=CASE_PREFIX).exists()
        or Agency.objects.filter(short_name__startswith=AGENCY_PREFIX).exists()
    )


SYNTHETIC_ROWS: tuple[tuple[type[models.Model], str], ...] = (
    (Case, f"SELECT id FROM cases_case WHERE case_number LIKE '{CASE_PREFIX}%'"),
    (Offender, f"SELECT id FROM cases_offender WHERE state_id LIKE '{STATE_ID_PREFIX}%'"),
    (
        MOU,
        "SELECT id FROM mou_mou WHERE drafted_by_id IN "
        f"(SELECT id FROM agencies_agency WHERE short_name LIKE '{AGENCY_PREFIX}%')",
    ),
    (
        StaffMember,
        "SELECT id FROM agencies_staffmember WHERE agency_id IN "
        f"(SELECT id FROM agencies_agency WHERE short_name LIKE '{AGENCY_PREFIX}%')",
    ),
    (get_user_model(), f"SELECT id FROM auth_user WHERE username LIKE '{USERNAME_PREFIX}%'"),
    (Agency, f"SELECT id FROM agencies_agency WHERE short_name LIKE '{AGENCY_PREFIX}%'"),
    (Group, f"SELECT id FROM auth_group WHERE name LIKE 'agency:{AGENCY_PREFIX}%'"),
)


def delete_synthetic() -> dict[str, int]:
    """Remove everything a previous run wrote (and rows that hang off it), set-based.

    For each kind of synthetic row: rows of any model that point at it are deleted (or set
    to NULL where the foreign key says SET_NULL), then the rows themselves. Foreign keys
    are deferred, so the order inside the transaction does not matter.
    """
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for target, subquery in SYNTHETIC_ROWS:
            cursor.execute(f"CREATE TEMP TABLE syn_ids AS {subquery}")
            for model in apps.get_models(include_auto_created=True):
                for f in model._meta.concrete_fields:
                    if not f.is_relation or f.related_model is not target or model is target:
                        continue
                    table, column = model._meta.db_table, f.column
                    if f.remote_field.on_delete is models.SET_NULL:
                        cursor.execute(
                            f"UPDATE {table} SET {column} = NULL "
                            f"WHERE {column} IN (SELECT id FROM syn_ids)"
                        )
                    else:
                        cursor.execute(
                            f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM syn_ids)"
                        )
                        deleted[model._meta.label] = (
                            deleted.get(model._meta.label, 0) + cursor.rowcount
                        )
            cursor.execute(
                f"DELETE FROM {target._meta.db_table} WHERE id IN (SELECT id FROM syn_ids)"
            )
            deleted[target._meta.label] = cursor.rowcount
            cursor.execute("DROP TABLE syn_ids")
    return deleted


# The big tables the generator fills (their statistics decide the benchmark's plans).
_BIG = (
    Offender,
    Case,
    CaseAssignment,
    Residence,
    RegistrationRecord,
    RegistrationEvent,
    AddressVerification,
    SupervisionContact,
    QualifyingContacts,  # the contacts' summary, written by their triggers
)


def _maintain(command: str, models: Iterable[Any]) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {model._meta.db_table}")


def _grant_models() -> tuple[Any, ...]:
    from cases.models import AgencyWideGrant, CaseGroupObjectPermission

    return (CaseGroupObjectPermission, AgencyWideGrant)


def analyze() -> None:
    """Fresh planner statistics, so benchmarks measure plans on realistic numbers."""
    _maintain("ANALYZE", (Agency, MOU, DataSharingTerm, StaffMember, *_BIG))


def analyze_grants() -> None:
    """Statistics for the grant tables the sync just filled."""
    _maintain("ANALYZE", _grant_models())


def vacuum() -> None:
    """VACUUM ANALYZE the big tables (visibility map and statistics as in production).

    VACUUM cannot run inside a transaction: inside one (the tests) this is ANALYZE only."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    _maintain(command, (*_BIG, *_grant_models()))


def generate(options: Options) -> Result:
    """Build the synthetic state (see the module docstring)."""
    return Generator(options).run()


__all__ = ["Options", "Result", "SyntheticExists", "delete_synthetic", "generate"]
