"""The world every authorization test runs in: the agencies and MOUs of personas.py, one user
per persona, and a sample case of the lead agency with a unique marker string in every
sensitive text field (for the leak test)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agencies.choices import Role
from agencies.models import Agency, StaffMember
from cases.choices import AlertSeverity, Decision, ReleasePlanStatus, Vote
from cases.models import (
    Alert,
    BoardDecision,
    BoardReview,
    BoardVote,
    Case,
    CaseAssignment,
    CaseCondition,
    Conviction,
    Offender,
    OffenderAlias,
    ReleasePlan,
    RiskAssessment,
    Victim,
)
from mou.models import MOU
from protocols.choices import AlertRuleCode
from protocols.models import SpecialCondition
from tests.authz.personas import AGENCIES, LEAD, PERSONAS, R
from tests.factories import CaseFactory, OffenderFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.factories_assessments import GoalFactory
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    TreatmentEnrollmentFactory,
    TreatmentReportFactory,
)
from tests.factories_registration import (
    EventFactory,
    RegistrationFactory,
    VerificationFactory,
    instrument,
)


@dataclass
class World:
    agencies: dict[str, Agency]
    users: dict[str, Any]  # persona name -> user (None for anonymous)
    case: Case  # the sample case (lead: PDOC)
    other_case: Case  # another PDOC case with no team
    foreign_case: Case  # a case led by another agency
    offender: Offender
    mous: dict[str, MOU]
    # sample records on the sample case, by resource name (tests/authz/resources.py)
    samples: dict[str, Any] = field(default_factory=dict)
    # marker string -> (record type, field name) of where it was planted
    markers: dict[str, tuple[str, str]] = field(default_factory=dict)


class Markers:
    def __init__(self) -> None:
        self.planted: dict[str, tuple[str, str]] = {}

    def __call__(self, record_type: str, name: str) -> str:
        marker = f"MKR{len(self.planted):02d}Q"  # short enough for 20-character fields
        self.planted[marker] = (record_type, name)
        return marker


def build_world() -> World:
    today = dt.date.today()
    mark = Markers()
    agencies = {
        code: agency(code, name=setup.name, kind=setup.kind) for code, setup in AGENCIES.items()
    }
    lead = agencies[LEAD]

    # the sample case, with markers in every sensitive text field
    offender = OffenderFactory(
        first_name=mark(R.IDENTITY, "first_name"),
        middle_name=mark(R.IDENTITY, "middle_name"),
        last_name=mark(R.IDENTITY, "last_name"),
        state_id=mark(R.IDENTITY, "state_id"),
        doc_number=mark(R.IDENTITY, "doc_number"),
        fbi_number=mark(R.IDENTITY, "fbi_number"),
        eye_color=mark(R.IDENTITY, "eye_color"),
        hair_color=mark(R.IDENTITY, "hair_color"),
        scars_marks_tattoos=mark(R.IDENTITY, "scars_marks_tattoos"),
        photo_note=mark(R.IDENTITY, "photo_note"),
    )
    OffenderAlias.objects.create(
        offender=offender, first_name="Alias", last_name=mark(R.IDENTITY, "aliases")
    )
    Conviction.objects.create(
        offender=offender,
        statute="21-5506",
        description=mark(R.IDENTITY, "convictions"),
        jurisdiction="Prairie State",
        conviction_date=dt.date(2015, 3, 2),
    )
    officer = staff(
        lead,
        "supervision_officer",
        first_name=mark(R.STATUS, "officer_name"),
        last_name="Officer",
        phone=mark(R.STATUS, "officer_phone"),
    )
    manager = staff(
        lead, "case_manager", first_name=mark(R.STATUS, "case_manager_name"), last_name="Manager"
    )
    case = CaseFactory(
        offender=offender,
        lead_agency=lead,
        officer=officer,
        case_manager=manager,
        jurisdiction=mark(R.STATUS, "jurisdiction"),  # not in the vocabulary: lead agency only
        release_date=dt.date(2025, 6, 1),
    )
    condition = SpecialCondition.objects.create(
        code="no-contact-victim",
        category="victim",
        title=mark(R.STATUS, "active_conditions"),
        text="No contact with the victim.",
        effective_from=dt.date(2020, 1, 1),
    )
    CaseCondition.objects.create(
        case=case,
        condition=condition,
        details=mark(R.STATUS, "active_conditions"),
        start_date=dt.date(2025, 6, 1),
    )
    samples = build_samples(case, officer, agencies, mark)
    other_case = CaseFactory(lead_agency=lead)
    foreign_case = CaseFactory(lead_agency=agencies["WHA"])

    # MOUs: one active agreement with every active partner, one expired
    mous: dict[str, MOU] = {}
    for status in ("active", "expired"):
        recipients = {
            agencies[code]: [
                term_spec(t.record_type, sorted(t.fields), t.actions, t.scope) for t in setup.terms
            ]
            for code, setup in AGENCIES.items()
            if setup.terms and setup.mou_status == status
        }
        mous[status] = mou_with_terms(
            lead,
            recipients,
            status=status,
            title=f"Prairie partners ({status})",
            effective=today - dt.timedelta(days=400 if status == "expired" else 30),
            expiration=today - dt.timedelta(days=10) if status == "expired" else None,
        )
    for code, setup in AGENCIES.items():
        if setup.on_team:
            CaseAssignment.objects.create(case=case, agency=agencies[code], role=setup.on_team)

    users: dict[str, Any] = {}
    for persona in PERSONAS:
        if persona.agency is None:
            users[persona.name] = None
            continue
        member: StaffMember = staff(
            agencies[persona.agency], *persona.roles, username=f"persona-{persona.name}"
        )
        if not persona.active:
            member.user.is_active = False
            member.user.save(update_fields=["is_active"])
        users[persona.name] = member.user
    return World(
        agencies=agencies,
        users=users,
        case=case,
        other_case=other_case,
        foreign_case=foreign_case,
        offender=offender,
        mous=mous,
        samples=samples,
        markers=mark.planted,
    )


def build_samples(
    case: Case, officer: StaffMember, agencies: dict[str, Agency], mark: Markers
) -> dict[str, Any]:
    """One record of each case-data resource on the sample case, markers in its text fields."""
    contact = SupervisionContactFactory(
        case=case,
        officer=officer,
        location=mark(R.CONTACTS, "location"),
        notes=mark(R.CONTACTS, "notes"),
    )
    enrollment = TreatmentEnrollmentFactory(
        case=case,
        provider=agencies["NTA"],
        program=mark(R.TREATMENT, "program"),
        intake_date=dt.date(2025, 9, 1),
    )
    report = TreatmentReportFactory(enrollment=enrollment, concerns=mark(R.TREATMENT, "reports"))
    polygraph = PolygraphExamFactory(
        case=case,
        examiner=mark(R.POLYGRAPH, "examiner"),
        disclosures=mark(R.POLYGRAPH, "disclosures"),
        notes=mark(R.POLYGRAPH, "notes"),
    )
    assessment = RiskAssessment.objects.create(
        case=case,
        instrument=instrument(),
        assessed_on=dt.date(2025, 5, 1),
        answers={},
        total_score=6,
        computed_level="IVb",
        final_level="IVb",
        override_reason=mark(R.ASSESSMENTS, "override_reason"),
        next_due=dt.date(2026, 5, 1),
    )
    goal = GoalFactory(
        case=case,
        responsible_agency=agencies[LEAD],
        goal=mark(R.CASE_PLAN, "goal"),
        interventions=mark(R.CASE_PLAN, "interventions"),
    )
    registration = RegistrationFactory(case=case, jurisdiction=mark(R.REGISTRATION, "jurisdiction"))
    event = EventFactory(registration=registration, details=mark(R.REGISTRATION, "events"))
    verification = VerificationFactory(
        registration=registration, notes=mark(R.REGISTRATION, "verifications")
    )
    plan, review, decision, alert = build_release_samples(case, agencies, mark)
    return {
        "release_plan": plan,
        "board_review": review,
        "board_decision": decision,
        "alert": alert,
        "contact": contact,
        "treatment_enrollment": enrollment,
        "treatment_report": report,
        "polygraph_exam": polygraph,
        "assessment": assessment,
        "case_plan_goal": goal,
        "registration": registration,
        "registration_event": event,
        "address_verification": verification,
    }


def build_release_samples(
    case: Case, agencies: dict[str, Agency], mark: Markers
) -> tuple[ReleasePlan, BoardReview, BoardDecision, Alert]:
    """A release plan referred to the board (PPRB) and returned for revision, with its review,
    the recorded decision with a vote, the victims it protects, and a board-referral alert.
    Returned: its content is editable again, and it was referred to the board."""
    today = dt.date.today()
    rp, bd, vs = R.RELEASE_PLANS, R.BOARD_DECISIONS, R.VICTIM_SAFETY
    planner = staff(agencies[LEAD], Role.RELEASE_PLANNER, first_name="Rosa", last_name="Planner")
    plan = ReleasePlan.objects.create(
        case=case,
        status=ReleasePlanStatus.RETURNED,
        release_date=today + dt.timedelta(days=60),
        planner=planner,
        residence_address=mark(rp, "residence_address"),
        landlord=mark(rp, "landlord"),
        employment=mark(rp, "employment"),
        treatment_referral=mark(rp, "treatment_referral"),
        support_network=mark(rp, "support_network"),
        exclusion_zones=mark(vs, "exclusion_zones"),
        notification_wishes=mark(vs, "notification_wishes"),
    )
    # the victim HVS advocates for, and another victim only the lead agency may know of
    Victim.objects.create(
        case=case, name=mark(vs, "no_contact_persons"), advocate_agency=agencies["HVS"]
    )
    Victim.objects.create(case=case, name=mark(vs, "other_victims"))
    member = staff(agencies["PPRB"], Role.BOARD_MEMBER, first_name="Bertram", last_name="Board")
    review = BoardReview.objects.create(
        plan=plan,
        case=case,
        board=agencies["PPRB"],
        hearing_date=dt.datetime.combine(today, dt.time(9, 30), tzinfo=dt.UTC),
        hearing_location=mark(bd, "hearing_date"),
    )
    decision = BoardDecision.objects.create(
        review=review,
        case=case,
        decision=Decision.RETURN,
        decided_on=today,
        conditions=mark(bd, "conditions"),
        rationale=mark(bd, "rationale"),
        recorded_by=member,
    )
    BoardVote.objects.create(
        decision=decision, case=case, member=member, vote=Vote.RETURN, comment=mark(bd, "votes")
    )
    alert = Alert.objects.create(
        rule=AlertRuleCode.BOARD_REFERRAL,
        subject_key=f"boardreview:{review.pk}:member:{member.pk}",
        record_type=rp,
        case=case,
        agency=agencies["PPRB"],
        due_date=plan.release_date,
        severity=AlertSeverity.INFO,
        message=f"Release plan referred to PPRB for review — case {case.case_number}",
        facts={"planner_name": mark(rp, "planner_name"), "status": "Under board review"},
        assignee=member,
    )
    return plan, review, decision, alert
