"""Offenders and their cases with believable, entirely fictional histories.

For each offender the builder decides a life course (status, dates, county, risk level) from
the seeded random generator, then describes every row that follows from it: convictions,
the case and its team, residences, supervision contacts (some cases fall behind), treatment
with monthly reports (some missing), polygraphs, registration with events (some late) and
address verifications (some overdue, some failed), release plans in every status with board
reviews, decisions and votes, victims, case-plan goals. Alerts are left to the alert engine.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from agencies.choices import Role
from cases.choices import (
    CaseStatus,
    ContactOutcome,
    ContactType,
    Decision,
    DischargeStatus,
    GoalStatus,
    HousingStatus,
    PolygraphResult,
    PolygraphType,
    Rating,
    RegistrationEventKind,
    RegistrationStatus,
    ReleasePlanStatus,
    Sex,
    TeamRole,
    VerificationResult,
    Vote,
)
from cases.demo.catalog import (
    COUNTIES,
    DEMO_CASE_PREFIX,
    DEMO_STATE_ID_PREFIX,
    EMPLOYERS,
    NEEDS,
    OFFENSES,
    STATE,
    Offense,
)
from cases.demo.context import DemoContext, add_months, first_of_month
from cases.demo.rows import Row
from cases.models import (
    AddressVerification,
    BoardDecision,
    BoardReview,
    BoardVote,
    Case,
    CaseAssignment,
    CaseCondition,
    CasePlanGoal,
    Conviction,
    HouseholdMember,
    Offender,
    OffenderAlias,
    PlanCondition,
    PolygraphExam,
    ProgressNote,
    RegistrationEvent,
    RegistrationRecord,
    ReleasePlan,
    Residence,
    SupervisionContact,
    SupervisionLevelChange,
    TreatmentEnrollment,
    TreatmentReport,
    Victim,
)
from protocols.choices import SupervisionLevel

S = CaseStatus
P = ReleasePlanStatus

# Statuses repeat in this pattern of 20: 11 supervised, 3 pre-release, 2 incarcerated,
# 2 discharged, 1 absconded, 1 deceased.
STATUS_CYCLE: tuple[str, ...] = (
    S.SUPERVISED,
    S.PRE_RELEASE,
    S.SUPERVISED,
    S.INCARCERATED,
    S.SUPERVISED,
    S.DISCHARGED,
    S.SUPERVISED,
    S.PRE_RELEASE,
    S.ABSCONDED,
    S.SUPERVISED,
    S.SUPERVISED,
    S.INCARCERATED,
    S.SUPERVISED,
    S.DECEASED,
    S.PRE_RELEASE,
    S.SUPERVISED,
    S.DISCHARGED,
    S.SUPERVISED,
    S.SUPERVISED,
    S.SUPERVISED,
)
# Pre-release plans cycle through these so every plan status exists.
PRE_RELEASE_PLANS = (
    P.DRAFT,
    P.SUBMITTED,
    P.UNDER_REVIEW,
    P.APPROVED,
    P.APPROVED_WITH_CONDITIONS,
    P.RETURNED,
    P.DENIED,
    P.UNDER_REVIEW,
    P.APPROVED_WITH_CONDITIONS,
    P.SUBMITTED,
    P.APPROVED,
)
DECISION_FOR = {
    P.APPROVED: Decision.APPROVE,
    P.APPROVED_WITH_CONDITIONS: Decision.APPROVE_WITH_CONDITIONS,
    P.RETURNED: Decision.RETURN,
    P.DENIED: Decision.DENY,
    P.RELEASED: Decision.APPROVE_WITH_CONDITIONS,
}
RATIONALE = {
    Decision.APPROVE: "Plan meets every checklist item; residence investigated and approved; "
    "treatment intake confirmed.",
    Decision.APPROVE_WITH_CONDITIONS: "Plan is sound; the board adds conditions addressing "
    "victim access and internet use identified in the assessment.",
    Decision.RETURN: "Proposed residence not yet investigated and no treatment intake date; "
    "return to the planner for revision.",
    Decision.DENY: "Proposed residence has a minor in the household and no alternative "
    "residence was offered.",
}
# Contact schedule by supervision level: (type, target interval in days).
SCHEDULE: dict[str, tuple[tuple[str, int], ...]] = {
    SupervisionLevel.HIGH: (
        (ContactType.OFFICE, 14),
        (ContactType.HOME_VISIT, 28),
        (ContactType.TREATMENT_COLLATERAL, 28),
        (ContactType.EMPLOYMENT_VERIFICATION, 28),
    ),
    SupervisionLevel.MODERATE: (
        (ContactType.OFFICE, 28),
        (ContactType.HOME_VISIT, 55),
        (ContactType.TREATMENT_COLLATERAL, 28),
        (ContactType.EMPLOYMENT_VERIFICATION, 55),
    ),
    SupervisionLevel.LOW: (
        (ContactType.OFFICE, 80),
        (ContactType.HOME_VISIT, 80),
        (ContactType.TREATMENT_COLLATERAL, 80),
        (ContactType.EMPLOYMENT_VERIFICATION, 55),
    ),
}
FACE_TO_FACE = {ContactType.OFFICE, ContactType.HOME_VISIT, ContactType.FIELD}
CONTACT_NOTES = {
    ContactType.OFFICE: (
        "Reviewed weekly schedule and job search log. No concerns reported.",
        "Discussed treatment attendance; reports group is going well.",
        "Reviewed conditions; signed updated travel restrictions.",
        "Urinalysis collected; results pending.",
    ),
    ContactType.FIELD: ("Contact at place of employment; supervisor confirmed attendance.",),
    ContactType.HOME_VISIT: (
        "Walk-through of residence; no minors present, no prohibited items observed.",
        "Met household members; living arrangement unchanged.",
        "Checked devices per internet condition; no concerns.",
    ),
    ContactType.TREATMENT_COLLATERAL: (
        "Call with therapist: attending group, engaged, working on relapse-prevention plan.",
        "Therapist reports two missed sessions this month; will address in office visit.",
    ),
    ContactType.EMPLOYMENT_VERIFICATION: (
        "Pay stub reviewed; hours consistent with schedule.",
        "Employer confirmed continued employment by phone.",
    ),
}
RISK_SHARES = ((SupervisionLevel.HIGH, 0.25), (SupervisionLevel.MODERATE, 0.45))
REG_INTERVAL_MONTHS = {"I": 12, "II": 6, "III": 3}
REG_PERIOD_YEARS = {"I": 15, "II": 25, "III": None}
EYES = ("brown", "blue", "hazel", "green", "gray")
HAIR = ("brown", "black", "blond", "red", "gray", "bald")
MARKS = (
    "Tattoo of an eagle on left forearm",
    "Scar on right eyebrow",
    "Tattoo 'MOM' on right shoulder",
    "Burn scar on left hand",
    "Tattoo of a compass rose on the back of the neck",
)


@dataclass
class Story:
    """The facts decided for one offender, from which every row follows."""

    index: int
    status: str
    county: str
    town: str
    offense: Offense
    victim: tuple[str, str]
    convicted: date
    release: date | None = None
    expected_release: date | None = None
    supervision_start: date | None = None
    supervision_end: date | None = None
    absconded_on: date | None = None
    level: str = ""
    probation: bool = False
    behind: bool = False
    brand_new: bool = False
    manager: str = ""
    officer: str | None = None
    provider: str = ""
    case: Row | None = None
    residences: list[Row] = field(default_factory=list)
    enrollment: Row | None = None
    victims: list[Row] = field(default_factory=list)


class CaseBuilder:
    """Builds the rows of `count` offenders and their cases; `rows[model]` collects them."""

    def __init__(self, ctx: DemoContext, count: int) -> None:
        self.ctx = ctx
        self.count = count
        self.rows: dict[type, list[Row]] = defaultdict(list)
        self.stories: list[Story] = []
        self._plan_cycle = 0
        self._used_failed_verification = False
        self.case_managers = ctx.staff_of("PDOC", Role.CASE_MANAGER)
        self.planners = ctx.staff_of("PDOC", Role.RELEASE_PLANNER)
        self.officers = ctx.staff_of("PCSA", Role.SUPERVISION_OFFICER)
        self.board = ctx.staff_of("PPRB", Role.BOARD_MEMBER)
        self.advocates = ctx.staff_of("HVS", Role.VICTIM_ADVOCATE)

    # --- helpers ------------------------------------------------------------------------
    @property
    def rng(self) -> random.Random:
        return self.ctx.rng  # reseeded per offender

    @property
    def fake(self) -> Faker:
        return self.ctx.fake

    def add(self, model: type, values: dict, **refs: Row | None) -> Row:
        row = Row(model, values, {name: ref for name, ref in refs.items() if ref is not None})
        # A None reference means "no row" (nullable foreign key).
        for name, ref in refs.items():
            if ref is None:
                row.values[name] = None
        self.rows[model].append(row)
        return row

    def pick(self, usernames: list[str], favourite: str, share: float) -> str:
        """The demo persona gets `share` of the work so its screens are full."""
        if favourite in usernames and self.rng.random() < share:
            return favourite
        return self.rng.choice(usernames)

    def level(self) -> str:
        draw = self.rng.random()
        for level, share in RISK_SHARES:
            if draw < share:
                return level
            draw -= share
        return SupervisionLevel.LOW

    def statuses(self) -> list[str]:
        """Statuses in a fixed repeating pattern: every status within the first 20
        offenders, and offender n's status never depends on how many are loaded."""
        return [STATUS_CYCLE[index % len(STATUS_CYCLE)] for index in range(self.count)]

    # --- the life course ----------------------------------------------------------------
    def story(self, index: int, status: str) -> Story:
        rng, ctx = self.rng, self.ctx
        county = "Cedar County" if rng.random() < 0.65 else "Aspen County"
        town = rng.choice(COUNTIES[county][0])
        sexual = [o for o in OFFENSES if o.sexual]
        offense = rng.choices(sexual, weights=[o.weight for o in sexual])[0]
        story = Story(
            index=index,
            status=status,
            county=county,
            town=town,
            offense=offense,
            victim=rng.choice(offense.victims),
            convicted=ctx.anchor,
        )
        days = ctx.days_ago
        if status == S.INCARCERATED:
            story.convicted = days(rng.randint(300, 2200))
            story.expected_release = ctx.anchor + timedelta(days=rng.randint(130, 1400))
        elif status == S.PRE_RELEASE:
            story.convicted = days(rng.randint(700, 3000))
            story.expected_release = ctx.anchor + timedelta(days=rng.randint(10, 120))
        elif status == S.SUPERVISED:
            story.level = self.level()
            story.probation = rng.random() < 0.1
            story.brand_new = index % 50 == 2  # a few just released: first contacts due
            story.behind = not story.brand_new and rng.random() < 0.16
            start = days(rng.randint(4, 6) if story.brand_new else rng.randint(60, 1600))
            if story.probation:
                story.convicted = start - timedelta(days=rng.randint(20, 60))
            else:
                story.release = start
                story.convicted = start - timedelta(days=rng.randint(400, 2900))
            story.supervision_start = start
        elif status == S.DISCHARGED:
            story.level = self.level()
            story.supervision_end = days(rng.randint(30, 400))
            story.release = story.supervision_end - timedelta(days=rng.randint(700, 1800))
            story.supervision_start = story.release
            story.convicted = story.release - timedelta(days=rng.randint(400, 2200))
        elif status == S.ABSCONDED:
            story.level = rng.choice([SupervisionLevel.HIGH, SupervisionLevel.MODERATE])
            story.absconded_on = days(rng.randint(20, 90))
            story.release = story.absconded_on - timedelta(days=rng.randint(150, 1100))
            story.supervision_start = story.release
            story.convicted = story.release - timedelta(days=rng.randint(400, 2200))
        else:  # deceased
            story.level = self.level()
            story.supervision_end = days(rng.randint(30, 600))
            story.release = story.supervision_end - timedelta(days=rng.randint(90, 1400))
            story.supervision_start = story.release
            story.convicted = story.release - timedelta(days=rng.randint(400, 2200))
        return story

    # --- build --------------------------------------------------------------------------
    def build(self) -> dict[type, list[Row]]:
        for index, status in enumerate(self.statuses()):
            self.ctx.reseed(f"offender:{index}")
            self.aux = random.Random(f"{self.ctx.seed}:reference:{index}")
            story = self.story(index, status)
            self.stories.append(story)
            offender = self.offender(story)
            self.convictions(story, offender)
            self.case(story, offender)
            self.team(story)
            self.victims(story)
            self.residences(story)
            self.contacts(story)
            self.treatment(story)
            self.registration(story)
            self.release_plans(story)
            self.goals(story)
            self.level_history(story)
            self.conditions(story)
        return self.rows

    def offender(self, story: Story) -> Row:
        rng, fake = self.rng, self.fake
        female = rng.random() < 0.05
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        age = rng.randint(21, 70)
        born = self.ctx.anchor - timedelta(days=age * 365 + rng.randint(0, 364))
        n = story.index + 1
        offender = self.add(
            Offender,
            {
                "state_id": f"{DEMO_STATE_ID_PREFIX}{n:06d}",
                "first_name": first,
                "middle_name": fake.first_name_male() if not female and rng.random() < 0.6 else "",
                "last_name": last,
                "date_of_birth": born,
                "sex": Sex.FEMALE if female else Sex.MALE,
                "doc_number": f"PD{104200 + n * 7}",
                "fbi_number": f"{(n * 7919) % 1000000:06d}PD{n % 10}",
                "height_cm": rng.randint(152, 175) if female else rng.randint(160, 198),
                "weight_kg": rng.randint(50, 95) if female else rng.randint(58, 135),
                "eye_color": rng.choice(EYES),
                "hair_color": rng.choice(HAIR),
                "scars_marks_tattoos": rng.choice(MARKS) if rng.random() < 0.4 else "",
                "photo_note": "Booking photograph on file (PDOC intake).",
            },
        )
        if rng.random() < 0.2:
            self.add(
                OffenderAlias,
                {
                    "first_name": fake.first_name_male() if not female else first,
                    "last_name": last if rng.random() < 0.5 else fake.last_name(),
                },
                offender_id=offender,
            )
        return offender

    def convictions(self, story: Story, offender: Row) -> None:
        rng = self.rng
        offense = story.offense
        age_group, relationship = story.victim
        self.add(
            Conviction,
            {
                "statute": offense.statute,
                "description": offense.description,
                "jurisdiction": f"{story.county}, {STATE}",
                "offense_date": story.convicted - timedelta(days=rng.randint(120, 500)),
                "conviction_date": story.convicted,
                "sentencing_date": story.convicted + timedelta(days=rng.randint(20, 60)),
                "victim_age_group": age_group,
                "victim_relationship": relationship,
                "victim_male": rng.random() < 0.15,
                "sexual": True,
                "registrable": True,
                "is_index": True,
            },
            offender_id=offender,
        )
        used = {offense.statute}
        for n in range(rng.choice((0, 0, 0, 1, 1, 2))):
            prior = rng.choice([o for o in OFFENSES if o.statute not in used])
            used.add(prior.statute)
            convicted = story.convicted - timedelta(days=rng.randint(900, 4000) * (n + 1))
            age_group, relationship = (
                rng.choice(prior.victims) if prior.victims else ("unknown", "unknown")
            )
            self.add(
                Conviction,
                {
                    "statute": prior.statute,
                    "description": prior.description,
                    "jurisdiction": f"{rng.choice(list(COUNTIES))}, {STATE}",
                    "offense_date": convicted - timedelta(days=rng.randint(60, 300)),
                    "conviction_date": convicted,
                    "sentencing_date": convicted + timedelta(days=rng.randint(14, 45)),
                    "victim_age_group": age_group,
                    "victim_relationship": relationship,
                    "victim_male": False,
                    "sexual": prior.sexual,
                    "registrable": prior.sexual,
                    "is_index": False,
                },
                offender_id=offender,
            )

    def case(self, story: Story, offender: Row) -> None:
        ctx = self.ctx
        lead = "PCSA" if story.probation else "PDOC"
        manager = (
            self.pick(self.officers, "officer.csa", 0.4)
            if story.probation
            else self.pick(self.case_managers, "cm.doc", 0.4)
        )
        officer = None
        if story.supervision_start is not None:
            officer = self.pick(self.officers, "officer.csa", 0.35)
        elif story.status == S.PRE_RELEASE and self.rng.random() < 0.6:
            officer = self.pick(self.officers, "officer.csa", 0.35)  # home investigation
        story.case = self.add(
            Case,
            {
                "case_number": f"{DEMO_CASE_PREFIX}{story.index + 1:05d}",
                "status": story.status,
                "jurisdiction": STATE,
                "expected_release_date": story.expected_release or story.release,
                "release_date": story.release,
                "supervision_start": story.supervision_start,
                "supervision_end": story.supervision_end,
                "supervision_level": story.level,
            },
            offender_id=offender,
            lead_agency_id=ctx.agencies[lead],
            case_manager_id=ctx.staff[manager],
            officer_id=ctx.staff[officer] if officer else None,
        )
        story.manager, story.officer = manager, officer

    def assign(
        self,
        story: Story,
        agency: str,
        role: str,
        start: date,
        staff: str | None = None,
        end: date | None = None,
    ) -> None:
        self.add(
            CaseAssignment,
            {"role": role, "start_date": start, "end_date": end},
            case_id=story.case,
            agency_id=self.ctx.agencies[agency],
            staff_id=self.ctx.staff[staff] if staff else None,
        )

    def team(self, story: Story) -> None:
        opened = story.convicted + timedelta(days=30)
        lead = "PCSA" if story.probation else "PDOC"
        self.assign(story, lead, TeamRole.CASE_MANAGER, opened, story.manager)
        if story.status in (S.INCARCERATED, S.PRE_RELEASE):
            start = max(opened, (story.expected_release or self.ctx.anchor) - timedelta(days=300))
            start = min(start, self.ctx.anchor)
            self.assign(
                story, "PDOC", TeamRole.RELEASE_PLANNER, start, self.rng.choice(self.planners)
            )
        officer = story.officer
        if officer and story.supervision_start is not None:
            end = story.supervision_end if story.status in (S.DISCHARGED, S.DECEASED) else None
            self.assign(
                story, "PCSA", TeamRole.SUPERVISION_OFFICER, story.supervision_start, officer, end
            )
        elif officer:
            self.assign(story, "PCSA", TeamRole.SUPERVISION_OFFICER, self.ctx.days_ago(30), officer)

    def victims(self, story: Story) -> None:
        if not story.offense.contact or self.rng.random() > 0.45:
            return
        for _ in range(1 if self.rng.random() < 0.85 else 2):
            channel = self.rng.choice(["phone", "email", "mail"])
            address = {
                "phone": self.ctx.phone(),
                "email": f"{self.fake.user_name()}@mail.example",
                "mail": f"PO Box {self.rng.randint(100, 9999)}, {self.rng.choice(COUNTIES['Cedar County'][0])}",
            }[channel]
            story.victims.append(
                self.add(
                    Victim,
                    {
                        "name": self.fake.name(),
                        "no_contact": True,
                        "notify": self.rng.random() < 0.9,
                        "notification_channel": channel,
                        "notification_address": address,
                    },
                    case_id=story.case,
                    advocate_agency_id=self.ctx.agencies["HVS"],
                )
            )
        if story.status not in (S.DISCHARGED, S.DECEASED):
            self.assign(
                story,
                "HVS",
                TeamRole.VICTIM_ADVOCATE,
                story.convicted + timedelta(days=40),
                self.pick(self.advocates, "advocate.vs", 0.7),
            )

    def address(self) -> str:
        street = f"{self.fake.building_number()} {self.fake.street_name()}"
        if self.rng.random() < 0.3:
            street += f", Apt {self.rng.randint(1, 24)}"
        return street

    def residences(self, story: Story) -> None:
        if story.supervision_start is None:
            return
        rng, ctx = self.rng, self.ctx
        end_of_story = story.supervision_end if story.status == S.DECEASED else None
        start = story.supervision_start
        moves = rng.choice((0, 0, 1, 1, 2))
        last_day = story.absconded_on or story.supervision_end or ctx.anchor
        dates = sorted(
            {
                start + timedelta(days=rng.randint(30, max(31, (last_day - start).days - 10)))
                for _ in range(moves)
                if (last_day - start).days > 80
            }
        )
        periods = list(zip([start, *dates], [*dates, None], strict=True))
        wha = story.index % 19 == 5 and story.status == S.SUPERVISED
        for n, (begin, until) in enumerate(periods):
            current = until is None
            transient = current and rng.random() < 0.1 and not wha
            if wha and current:
                status = HousingStatus.TRANSITIONAL
            elif transient:
                status = HousingStatus.TRANSIENT
            else:
                status = rng.choice(
                    [HousingStatus.HOUSED, HousingStatus.WITH_FAMILY, HousingStatus.WITH_FAMILY]
                    + ([HousingStatus.SHELTER] if n == 0 else [])
                )
            lat, lon = ctx.coordinates()
            story.residences.append(
                self.add(
                    Residence,
                    {
                        "start_date": begin,
                        "end_date": (until - timedelta(days=1)) if until else end_of_story,
                        "address": "" if transient else self.address(),
                        "city": story.town,
                        "county": story.county,
                        "housing_status": status,
                        "latitude": None if transient else lat,
                        "longitude": None if transient else lon,
                    },
                    case_id=story.case,
                )
            )
        if wha:
            # Placed during WHA's (now expired) housing pilot; WHA is still on the team.
            self.assign(
                story,
                "WHA",
                TeamRole.OTHER,
                story.residences[-1].values["start_date"],
                "nomou.user",
            )

    def contacts(self, story: Story) -> None:
        if story.supervision_start is None or story.brand_new:
            return
        rng, ctx = self.rng, self.ctx
        window_end = story.absconded_on or story.supervision_end or ctx.days_ago(1)
        window_start = max(story.supervision_start, window_end - timedelta(days=548))
        if story.behind:
            # Behind on contacts: nothing since well over a period ago.
            face_to_face_period = SCHEDULE[story.level][0][1]
            window_end = ctx.days_ago(face_to_face_period + rng.randint(20, 50))
        officer = self.ctx.staff[story.officer] if story.officer else None
        employer = rng.choice(EMPLOYERS)
        used: set[tuple] = set()
        for contact_type, interval in SCHEDULE[story.level]:
            day = window_start + timedelta(days=rng.randint(1, max(2, interval // 2)))
            while day <= window_end:
                kind = contact_type
                if kind == ContactType.OFFICE and story.level == SupervisionLevel.HIGH:
                    kind = ContactType.FIELD if rng.random() < 0.3 else kind
                weekday = ctx.weekday_on_or_before(day)
                at = ctx.at(weekday, rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
                if (at, kind) not in used:
                    used.add((at, kind))
                    outcome = ContactOutcome.COMPLETED
                    draw = rng.random()
                    if kind == ContactType.HOME_VISIT and draw < 0.1:
                        outcome = ContactOutcome.ATTEMPTED
                    elif draw < 0.02:
                        outcome = ContactOutcome.VIOLATION
                    location = {
                        ContactType.OFFICE: f"PCSA {story.town} office",
                        ContactType.FIELD: employer,
                        ContactType.HOME_VISIT: "Residence",
                        ContactType.TREATMENT_COLLATERAL: "Telephone",
                        ContactType.EMPLOYMENT_VERIFICATION: employer,
                    }[kind]
                    note = rng.choice(CONTACT_NOTES[kind])
                    if outcome == ContactOutcome.ATTEMPTED:
                        note = "No answer at the door; card left. Follow-up scheduled."
                    elif outcome == ContactOutcome.VIOLATION:
                        note = "Violation observed: curfew not kept. Reported to supervisor."
                    self.add(
                        SupervisionContact,
                        {
                            "contact_at": at,
                            "contact_type": kind,
                            "face_to_face": kind in FACE_TO_FACE,
                            "location": location,
                            "outcome": outcome,
                            "notes": note,
                        },
                        case_id=story.case,
                        officer_id=officer,
                    )
                day += timedelta(days=interval - rng.randint(0, interval // 6))
        if story.absconded_on:
            at = ctx.at(ctx.weekday_on_or_before(story.absconded_on), 10)
            self.add(
                SupervisionContact,
                {
                    "contact_at": at,
                    "contact_type": ContactType.HOME_VISIT,
                    "face_to_face": True,
                    "location": "Residence",
                    "outcome": ContactOutcome.ATTEMPTED,
                    "notes": "Residence vacant; belongings gone. Landlord has not seen him "
                    "in a week. Warrant requested.",
                },
                case_id=story.case,
                officer_id=officer,
            )

    def treatment(self, story: Story) -> None:
        rng, ctx = self.rng, self.ctx
        in_prison = story.status in (S.INCARCERATED, S.PRE_RELEASE) and rng.random() < 0.55
        if story.supervision_start is None and not in_prison:
            return
        if story.supervision_start is not None and (story.brand_new or rng.random() > 0.82):
            return
        if in_prison:
            provider, therapists = "PDOC", ["pdoc.clinician"]
            program = "PDOC Sex Offender Treatment Program (institutional)"
            intake = story.convicted + timedelta(days=rng.randint(120, 400))
            intake = min(intake, ctx.days_ago(45))
        else:
            provider = "NTA" if rng.random() < 0.7 else "BRC"
            therapists = ctx.staff_of(provider, Role.TREATMENT_PROVIDER)
            program = "Outpatient sex offense-specific treatment (group and individual)"
            intake = story.supervision_start + timedelta(days=rng.randint(7, 30))  # type: ignore[operator]
        therapist = self.pick(therapists, "tx.provider", 0.6)
        expected = add_months(intake, 24)
        status, discharged = DischargeStatus.ACTIVE, None
        ended = story.supervision_end or story.absconded_on
        if story.status == S.ABSCONDED:
            status, discharged = DischargeStatus.UNSUCCESSFUL, story.absconded_on
        elif story.status == S.DECEASED:
            status, discharged = DischargeStatus.TRANSFERRED, ended
        elif ended is not None:
            status, discharged = DischargeStatus.COMPLETED, min(ended, expected)
        elif expected < ctx.anchor and rng.random() < 0.7:
            status, discharged = DischargeStatus.COMPLETED, expected
        elif intake < ctx.days_ago(200) and rng.random() < 0.06:
            status = DischargeStatus.UNSUCCESSFUL
            discharged = intake + timedelta(days=rng.randint(90, 180))
        enrollment = self.add(
            TreatmentEnrollment,
            {
                "program": program,
                "intake_date": intake,
                "expected_completion": expected,
                "discharge_status": status,
                "discharged_on": discharged,
            },
            case_id=story.case,
            provider_id=ctx.agencies[provider],
        )
        story.enrollment, story.provider = enrollment, provider
        if provider != "PDOC" and story.status not in (S.DISCHARGED, S.DECEASED):
            self.assign(
                story,
                provider,
                TeamRole.TREATMENT_PROVIDER,
                intake,
                therapist,
                discharged if status != DischargeStatus.ACTIVE else None,
            )
        # Monthly reports for each finished month; a few skipped, and for some active
        # enrollments the latest month is still missing.
        month = add_months(first_of_month(intake), 1)
        last = first_of_month(discharged or ctx.anchor)
        if status == DischargeStatus.ACTIVE and rng.random() < 0.18:
            last = add_months(last, -1)
        while month < last:
            if rng.random() > 0.06:
                scheduled = rng.choice((4, 4, 5))
                attended = scheduled - rng.choice((0, 0, 0, 0, 1, 2))
                participation = rng.choices(
                    [Rating.GOOD, Rating.FAIR, Rating.POOR], weights=[6, 3, 1]
                )[0]
                progress = rng.choices([Rating.GOOD, Rating.FAIR, Rating.POOR], weights=[4, 5, 1])[
                    0
                ]
                self.add(
                    TreatmentReport,
                    {
                        "month": month,
                        "sessions_scheduled": scheduled,
                        "sessions_attended": attended,
                        "participation": participation,
                        "progress": progress,
                        "concerns": "Minimizes responsibility in group; defensive about "
                        "offense cycle."
                        if participation == Rating.POOR or progress == Rating.POOR
                        else "",
                    },
                    enrollment_id=enrollment,
                    case_id=story.case,
                    author_id=ctx.staff[therapist],
                )
            month = add_months(month, 1)
        if provider != "PDOC":
            self.polygraphs(story, intake, discharged or ctx.anchor)

    def polygraphs(self, story: Story, intake: date, until: date) -> None:
        rng = self.rng
        examiner = f"{self.fake.name()}, Prairie Polygraph Services"
        day = intake + timedelta(days=rng.randint(80, 110))
        exam_type = PolygraphType.SEXUAL_HISTORY
        while day < min(until, self.ctx.days_ago(1)):
            result = rng.choices(
                [
                    PolygraphResult.NDI,
                    PolygraphResult.DI,
                    PolygraphResult.INCONCLUSIVE,
                    PolygraphResult.NO_OPINION,
                ],
                weights=[75, 10, 8, 7],
            )[0]
            deceptive = result == PolygraphResult.DI
            self.add(
                PolygraphExam,
                {
                    "exam_type": exam_type,
                    "exam_date": day,
                    "examiner": examiner,
                    "result": result,
                    "disclosures": "Disclosed two additional victims not in the record; "
                    "referred to treatment team."
                    if deceptive and exam_type == PolygraphType.SEXUAL_HISTORY
                    else ("Admitted unapproved internet use." if deceptive else ""),
                    "flagged": deceptive,
                    "notes": "Results discussed at containment team meeting.",
                },
                case_id=story.case,
            )
            exam_type = PolygraphType.MAINTENANCE
            day += timedelta(days=rng.randint(170, 200))

    def registration(self, story: Story) -> None:
        if story.supervision_start is None:
            return
        rng, ctx = self.rng, self.ctx
        tier = story.offense.tier
        sheriff = COUNTIES[story.county][1]
        officers = ctx.staff_of(sheriff, Role.REGISTRY_OFFICER)
        officer = self.pick(officers, "registry.so", 0.6)
        start = story.supervision_start
        current = story.residences[-1] if story.residences else None
        transient = bool(current and current.values["housing_status"] == HousingStatus.TRANSIENT)
        interval = REG_INTERVAL_MONTHS[tier]
        stop = story.absconded_on or (story.supervision_end if story.status == S.DECEASED else None)
        overdue = story.status == S.SUPERVISED and not story.brand_new and rng.random() < 0.14
        failed_here = (
            story.status == S.SUPERVISED
            and not overdue
            and not story.brand_new
            and not self._used_failed_verification
            and start < ctx.days_ago(200)
        )
        if failed_here:
            self._used_failed_verification = True
        record = self.add(
            RegistrationRecord,
            {
                "tier": tier,
                "jurisdiction": STATE,
                "start_date": start,
                "period_years": REG_PERIOD_YEARS[tier],
                "transient": transient,
                "juvenile": False,
                "custody_days_excluded": 0,
            },
            case_id=story.case,
            registering_agency_id=ctx.agencies[sheriff],
        )
        self.assign(story, sheriff, TeamRole.REGISTRY, start, officer)
        officer_row = ctx.staff[officer]

        def event(kind: str, changed: date, reported: date, due: date | None, details: str) -> None:
            self.add(
                RegistrationEvent,
                {
                    "kind": kind,
                    "changed_on": changed,
                    "reported_on": reported,
                    "due_by": due,
                    "late": due is not None and reported > due,
                    "details": details,
                },
                registration_id=record,
                case_id=story.case,
                recorded_by_id=officer_row,
            )

        event(
            RegistrationEventKind.INITIAL,
            start,
            start,
            ctx.business_days_after(start, 3),
            "Initial registration completed before release."
            if story.release
            else "Initial registration at sentencing.",
        )
        # Residence changes after the first residence: reported within 3 business days, or late.
        for residence in story.residences[1:]:
            changed = residence.values["start_date"]
            due = ctx.business_days_after(changed, 3)
            reported = (
                changed + timedelta(days=rng.randint(5, 20))
                if rng.random() < 0.15
                else changed + timedelta(days=rng.randint(0, 2))
            )
            if reported < ctx.anchor:
                event(
                    RegistrationEventKind.RESIDENCE,
                    changed,
                    reported,
                    due,
                    f"New address: {residence.values['address'] or 'transient'}, {residence.values['city']}.",
                )
        # Periodic in-person verifications at the tier's interval (monthly when transient).
        months = 1 if transient else interval
        due = add_months(start, months)
        last_reported, cycle = start, 0
        verification_days: set[date] = set()
        horizon = stop or ctx.anchor
        while due <= horizon:
            is_last_due = add_months(due, months) > horizon
            if overdue and is_last_due:
                break  # the registrant has not come in for the latest one: overdue
            late = rng.random() < 0.07
            reported = (
                due + timedelta(days=rng.randint(3, 25))
                if late
                else due - timedelta(days=rng.randint(0, 12))
            )
            reported = max(reported, last_reported + timedelta(days=1))
            if reported >= ctx.anchor:
                break
            event(
                RegistrationEventKind.PERIODIC,
                reported,
                reported,
                due,
                "In-person verification; photograph updated.",
            )
            last_reported = reported
            cycle += 1
            # Officers visit the registered address every second cycle (every cycle for tier III).
            visit = reported + timedelta(days=rng.randint(3, 20))
            if (
                (tier == "III" or cycle % 2 == 0)
                and visit < ctx.anchor
                and visit not in verification_days
            ):
                verification_days.add(visit)
                self.verification(story, record, officer_row, visit, VerificationResult.VERIFIED)
            due = add_months(due, months)
        status = RegistrationStatus.COMPLIANT
        end_date = None
        if story.status == S.ABSCONDED:
            status = RegistrationStatus.ABSCONDED
            visit = story.absconded_on + timedelta(days=rng.randint(2, 10))  # type: ignore[operator]
            visit = min(visit, ctx.days_ago(1))
            if visit not in verification_days:
                self.verification(
                    story,
                    record,
                    officer_row,
                    visit,
                    rng.choice([VerificationResult.NOT_AT_ADDRESS, VerificationResult.VACANT]),
                )
        elif story.status == S.DECEASED:
            status, end_date = RegistrationStatus.ENDED, story.supervision_end
        elif failed_here:
            status = RegistrationStatus.ABSCONDER_REVIEW
            visit = ctx.days_ago(rng.randint(2, 6))
            if visit not in verification_days:
                self.verification(
                    story, record, officer_row, visit, VerificationResult.NOT_AT_ADDRESS
                )
        elif due < ctx.anchor:
            status = RegistrationStatus.NON_COMPLIANT
        elif due <= ctx.anchor + timedelta(days=14):
            status = RegistrationStatus.DUE
        record.values.update(
            {
                "status": status,
                "last_verified_on": last_reported,
                "next_verification_due": None if status == RegistrationStatus.ENDED else due,
                "end_date": end_date,
            }
        )

    def verification(self, story: Story, record: Row, officer: Row, day: date, result: str) -> None:
        residence = next(
            (r for r in reversed(story.residences) if r.values["start_date"] <= day),
            story.residences[0] if story.residences else None,
        )
        address = (
            f"{residence.values['address']}, {residence.values['city']}"
            if residence is not None and residence.values["address"]
            else f"Transient, {story.town}"
        )
        notes = {
            VerificationResult.VERIFIED: "Registrant present; identity and address confirmed.",
            VerificationResult.NOT_AT_ADDRESS: "Not at address; neighbour says he moved out. "
            "Absconder review started.",
            VerificationResult.VACANT: "Unit vacant and listed for rent. Absconder review started.",
        }[result]
        self.add(
            AddressVerification,
            {"verified_on": day, "address": address, "result": result, "notes": notes},
            registration_id=record,
            case_id=story.case,
            officer_id=officer,
        )

    # --- release plans and the board ---------------------------------------------------------
    def release_plans(self, story: Story) -> None:
        rng, ctx = self.rng, self.ctx
        statuses: list[str] = []
        if story.status == S.PRE_RELEASE:
            status = PRE_RELEASE_PLANS[self._plan_cycle % len(PRE_RELEASE_PLANS)]
            self._plan_cycle += 1
            statuses = [status]
            if status in (P.RETURNED, P.DENIED):
                statuses.append(P.DRAFT)  # the planner is working on the next version
        elif story.status == S.INCARCERATED and rng.random() < 0.35:
            statuses = [P.DRAFT]
        elif story.release is not None and story.release > ctx.days_ago(1100):
            statuses = [P.RELEASED]
        for status in statuses:
            self.plan(story, status)

    def plan(self, story: Story, status: str) -> None:
        rng, ctx = self.rng, self.ctx
        release = story.expected_release or story.release or ctx.anchor
        referred = status not in (P.DRAFT, P.SUBMITTED)
        decided = status in DECISION_FOR
        housing = rng.choice(
            [
                HousingStatus.WITH_FAMILY,
                HousingStatus.WITH_FAMILY,
                HousingStatus.HOUSED,
                HousingStatus.TRANSITIONAL,
            ]
        )
        if status == P.DENIED:
            housing = HousingStatus.WITH_FAMILY
        officer = story.officer
        investigated = status not in (P.DRAFT,) and officer is not None
        # Board activity happens before release; for pre-release cases, before today.
        hearing_day = (
            min(release, ctx.anchor) - timedelta(days=rng.randint(10, 45))
            if decided
            else ctx.anchor + timedelta(days=rng.randint(5, 25))
        )
        submitted = min(hearing_day - timedelta(days=rng.randint(20, 40)), ctx.days_ago(2))
        provider = "NTA" if rng.random() < 0.7 else "BRC"
        lat, lon = ctx.coordinates()
        checklist_done = status in (P.APPROVED, P.APPROVED_WITH_CONDITIONS, P.RELEASED)
        plan = self.add(
            ReleasePlan,
            {
                "status": status,
                "release_date": release,
                "residence_address": self.address(),
                "residence_city": story.town,
                "residence_latitude": lat,
                "residence_longitude": lon,
                "housing_status": housing,
                "landlord": "" if housing == HousingStatus.WITH_FAMILY else self.fake.company(),
                "residence_approved": (
                    False if status == P.DENIED else True if investigated else None
                ),
                "home_investigated_on": submitted - timedelta(days=5) if investigated else None,
                "treatment_referral": f"{provider} outpatient group; intake within 14 days of release",
                "treatment_intake_date": release + timedelta(days=rng.randint(5, 14)),
                "employment": rng.choice(EMPLOYERS)
                if rng.random() < 0.5
                else "Seeking work; referred to the Prairie Workforce Center",
                "income_source": rng.choice(["Employment", "Family support", "SSI", "Savings"]),
                "transportation": rng.choice(
                    [
                        "Bus pass (Tallgrass Transit)",
                        "Family member drives",
                        "Own vehicle",
                        "Bicycle",
                    ]
                ),
                "support_network": f"{self.fake.first_name()} ({rng.choice(['mother', 'brother', 'pastor', 'sponsor'])}); "
                "weekly support group",
                "exclusion_zones": "Exclusion zone around the victim's home and workplace "
                "as mapped with HVS."
                if story.victims
                else "",
                "notification_wishes": "Victim asks to be called before release and on any "
                "change of address."
                if story.victims
                else "",
                "transition_services": {
                    "id": "State ID ordered",
                    "benefits": "SNAP application filed",
                    "medication": "30-day supply on release",
                    "first_appointments": ["PCSA report within 24 hours", f"{provider} intake"],
                },
                "pre_registered": checklist_done,
                "checklist": {
                    code: checklist_done or n % 2 == 0 for n, code in enumerate(ctx.checklist_codes)
                },
                "version": 1,
                "submitted_at": ctx.at(submitted, 11) if status != P.DRAFT else None,
            },
            case_id=story.case,
            planner_id=ctx.staff[self.pick(self.planners, "planner.doc", 0.6)],
            home_investigated_by_id=ctx.staff[officer] if investigated else None,
            treatment_provider_id=ctx.agencies[provider],
            supervision_agency_id=ctx.agencies["PCSA"],
            supervision_officer_id=ctx.staff[officer] if officer else None,
        )
        if housing == HousingStatus.WITH_FAMILY:
            names: set[str] = set()
            for n in range(rng.randint(1, 3)):
                minor = status == P.DENIED and n == 0 or rng.random() < 0.1
                age = rng.randint(4, 16) if minor else rng.randint(19, 78)
                name = self.fake.name()
                if name in names:
                    continue
                names.add(name)
                self.add(
                    HouseholdMember,
                    {
                        "name": name,
                        "relationship": rng.choice(
                            ["nephew", "niece", "grandchild"]
                            if minor
                            else ["mother", "father", "sister", "brother", "partner", "cousin"]
                        ),
                        "age": age,
                        "is_minor": age < 18,
                    },
                    plan_id=plan,
                    case_id=story.case,
                )
        if status != P.DRAFT:
            for condition in self.pick_conditions(story, 3):
                self.add(
                    PlanCondition,
                    {"details": "", "condition_id": condition.pk},
                    plan_id=plan,
                    case_id=story.case,
                )
        if not referred:
            return
        # The board joins the case team when the plan is referred; it leaves at release.
        self.assign(
            story,
            "PPRB",
            TeamRole.BOARD,
            submitted,
            None,
            release if status == P.RELEASED else None,
        )
        review = self.add(
            BoardReview,
            {
                "hearing_date": ctx.at(hearing_day, 13, 30),
                "hearing_location": "PPRB hearing room, Capitol Annex, Tallgrass",
                "public_comment": "Written comment received from the victim's family."
                if story.victims and rng.random() < 0.5
                else "",
            },
            plan_id=plan,
            case_id=story.case,
            board_id=ctx.agencies["PPRB"],
        )
        if not decided:
            return
        decision = DECISION_FOR[status]
        decision_row = self.add(
            BoardDecision,
            {
                "decision": decision,
                "decided_on": hearing_day,
                "conditions": "Polygraph within 90 days of release; no unsupervised contact "
                "with minors; no internet-capable devices without approval."
                if decision == Decision.APPROVE_WITH_CONDITIONS
                else "",
                "rationale": RATIONALE[decision],
                "supersedes_id": None,
            },
            review_id=review,
            case_id=story.case,
            recorded_by_id=ctx.staff["pprb.chair"],
        )
        dissent = rng.random() < 0.3
        for n, member in enumerate(self.board):
            vote = str(decision)
            if dissent and n == len(self.board) - 1:
                vote = (
                    Vote.APPROVE_WITH_CONDITIONS if decision == Decision.APPROVE else Vote.ABSTAIN
                )
            self.add(
                BoardVote,
                {"vote": vote, "comment": ""},
                decision_id=decision_row,
                case_id=story.case,
                member_id=ctx.staff[member],
            )

    def pick_conditions(self, story: Story, count: int) -> list:
        conditions = self.ctx.conditions
        if not conditions:
            return []
        victim = [c for c in conditions if c.protects_victim]
        other = [c for c in conditions if not c.protects_victim]
        # Reference data may arrive later (load_standards): draw from a separate generator so
        # its arrival adds conditions without reshuffling everything else.
        chosen = self.aux.sample(other, min(count, len(other)))
        if story.victims and victim:
            chosen.append(self.aux.choice(victim))
        return chosen

    def conditions(self, story: Story) -> None:
        if story.status != S.SUPERVISED or story.supervision_start is None:
            return
        for condition in self.pick_conditions(story, 2):
            self.add(
                CaseCondition,
                {
                    "details": "",
                    "start_date": story.supervision_start,
                    "end_date": None,
                    "condition_id": condition.pk,
                },
                case_id=story.case,
            )

    # --- case plan and level history ----------------------------------------------------
    def goals(self, story: Story) -> None:
        if story.status not in (S.SUPERVISED, S.PRE_RELEASE, S.INCARCERATED):
            return
        rng, ctx = self.rng, self.ctx
        for need, goal_text, area in rng.sample(NEEDS, rng.randint(1, 3)):
            if area == "treatment":
                agency = story.provider or ("NTA" if story.supervision_start else "PDOC")
                staff_pool = ctx.staff_of(agency, Role.TREATMENT_PROVIDER) or self.case_managers
            else:
                agency = "PCSA" if story.supervision_start is not None else "PDOC"
                staff_pool = self.officers if agency == "PCSA" else self.case_managers
            responsible = rng.choice(staff_pool)
            status = rng.choice(
                [GoalStatus.OPEN, GoalStatus.IN_PROGRESS, GoalStatus.IN_PROGRESS, GoalStatus.MET]
            )
            goal = self.add(
                CasePlanGoal,
                {
                    "need": need,
                    "goal": goal_text,
                    "interventions": "Weekly group; homework reviewed in individual session."
                    if area == "treatment"
                    else "Reviewed at each office contact.",
                    "target_date": ctx.anchor + timedelta(days=rng.randint(30, 200)),
                    "status": status,
                },
                case_id=story.case,
                responsible_agency_id=ctx.agencies[agency],
                responsible_staff_id=ctx.staff[responsible],
                source_assessment_id=None,
            )
            for day in sorted({rng.randint(5, 150) for _ in range(rng.randint(0, 2))}):
                self.add(
                    ProgressNote,
                    {
                        "written_on": ctx.days_ago(day),
                        "note": rng.choice(
                            [
                                "Completed the workbook chapter; discussed in group.",
                                "Some progress; still struggles to name warning signs.",
                                "Met with officer; plan reviewed and on track.",
                            ]
                        ),
                    },
                    goal_id=goal,
                    case_id=story.case,
                    author_id=ctx.staff[responsible],
                )

    def level_history(self, story: Story) -> None:
        if not story.level:
            return
        changer = (
            self.ctx.staff["sup.doc"] if not story.probation else self.ctx.staff["pcsa.supervisor"]
        )
        if self.rng.random() < 0.2:
            earlier = (
                SupervisionLevel.HIGH
                if story.level != SupervisionLevel.HIGH
                else SupervisionLevel.MODERATE
            )
            self.add(
                SupervisionLevelChange,
                {
                    "from_level": "",
                    "to_level": earlier,
                    "reason": "Initial level from the intake assessment.",
                },
                case_id=story.case,
                changed_by_id=changer,
                assessment_id=None,
            )
            self.add(
                SupervisionLevelChange,
                {
                    "from_level": earlier,
                    "to_level": story.level,
                    "reason": "Reassessment: stable dynamic risk changed; level adjusted.",
                },
                case_id=story.case,
                changed_by_id=changer,
                assessment_id=None,
            )
        else:
            self.add(
                SupervisionLevelChange,
                {
                    "from_level": "",
                    "to_level": story.level,
                    "reason": "Initial level from the intake assessment.",
                },
                case_id=story.case,
                changed_by_id=changer,
                assessment_id=None,
            )
