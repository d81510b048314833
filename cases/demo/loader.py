"""`load_demo`: the fictional Prairie State, end to end, idempotently.

Order: reference data (standards, instruments) → agencies, staff, training → MOUs → offenders
and cases with their histories → assessments (through the scoring service) → grant sync →
demo MFA devices. Every row has a natural key; a second run creates and updates nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord, TrainingRequirement
from cases.demo import hooks
from cases.demo.agencies import build_agencies
from cases.demo.catalog import SEED, STATE
from cases.demo.context import DemoContext
from cases.demo.histories import CaseBuilder, Story
from cases.demo.mous import build_mous
from cases.demo.rows import SyncStats, Writer
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
    RiskAssessment,
    SupervisionContact,
    SupervisionLevelChange,
    TreatmentEnrollment,
    TreatmentReport,
    Victim,
)
from mou.models import MOU, DataSharingTerm, MOUParty, Signature
from protocols.choices import InstrumentKind, SupervisionLevel
from protocols.models import ChecklistItem, Holiday, Instrument, SpecialCondition

DEFAULT_OFFENDERS = 160

# Natural keys (attnames) per model; the case models are synced in this order.
NATURAL_KEYS: dict[type, tuple[str, ...]] = {
    Agency: ("short_name",),
    get_user_model(): ("username",),
    StaffMember: ("user_id",),
    TrainingCourse: ("title",),
    TrainingRequirement: ("role", "course_id", "agency_id"),
    TrainingRecord: ("staff_id", "course_id", "completed_on"),
    MOU: ("title",),
    MOUParty: ("mou_id", "agency_id"),
    Signature: ("mou_id", "agency_id", "terms_version"),
    DataSharingTerm: ("mou_id", "provider_id", "recipient_id", "record_type", "superseded_at"),
    Offender: ("state_id",),
    OffenderAlias: ("offender_id", "last_name", "first_name"),
    Conviction: ("offender_id", "statute", "conviction_date"),
    Case: ("case_number",),
    CaseAssignment: ("case_id", "agency_id", "role", "start_date"),
    Victim: ("case_id", "name"),
    Residence: ("case_id", "start_date"),
    SupervisionContact: ("case_id", "contact_at", "contact_type"),
    TreatmentEnrollment: ("case_id", "provider_id", "intake_date"),
    TreatmentReport: ("enrollment_id", "month"),
    PolygraphExam: ("case_id", "exam_type", "exam_date"),
    RegistrationRecord: ("case_id", "jurisdiction", "start_date"),
    RegistrationEvent: ("registration_id", "kind", "changed_on"),
    AddressVerification: ("registration_id", "verified_on"),
    ReleasePlan: ("case_id", "status"),
    HouseholdMember: ("plan_id", "name"),
    PlanCondition: ("plan_id", "condition_id"),
    BoardReview: ("plan_id", "board_id"),
    BoardDecision: ("review_id", "decision", "decided_on"),
    BoardVote: ("decision_id", "member_id"),
    CasePlanGoal: ("case_id", "need"),
    ProgressNote: ("goal_id", "written_on"),
    SupervisionLevelChange: ("case_id", "from_level", "to_level"),
    CaseCondition: ("case_id", "condition_id", "start_date"),
}
CASE_MODELS_IN_ORDER = list(NATURAL_KEYS)[list(NATURAL_KEYS).index(Offender) :]


@dataclass
class DemoResult:
    """What a load did: rows created/updated per model, and notes on optional steps."""

    anchor: date
    stats: SyncStats
    notes: list[str] = field(default_factory=list)
    assessments_created: int = 0


def demo_anchor(as_of: date | None = None) -> date:
    """The date the demo data is relative to: the first load's date once the demo exists,
    so a re-run on a later day describes the same rows."""
    created = Agency.objects.filter(short_name="PDOC").values_list("created_at", flat=True).first()
    if created is not None:
        return timezone.localdate(created)
    return as_of or timezone.localdate()


def load_demo(offenders: int = DEFAULT_OFFENDERS, as_of: date | None = None) -> DemoResult:
    """Load (or top up) the demo data. Idempotent: a second run changes nothing."""
    notes: list[str] = []
    hooks.run_reference_commands(notes)
    anchor = demo_anchor(as_of)
    if as_of is not None and as_of != anchor:
        notes.append(f"demo already loaded relative to {anchor}; --as-of {as_of} ignored")
    ctx = DemoContext(anchor=anchor)
    ctx.closed_days = set(
        Holiday.objects.filter(jurisdiction__in=["", STATE]).values_list("date", flat=True)
    )
    ctx.conditions = list(SpecialCondition.objects.in_force(anchor).order_by("code", "pk"))
    ctx.checklist_codes = list(
        ChecklistItem.objects.in_force(anchor)
        .order_by("order", "code")
        .values_list("code", flat=True)
    )
    if not ctx.conditions:
        notes.append("no special conditions in force: plan and case conditions skipped")
    writer = Writer(NATURAL_KEYS)
    with transaction.atomic():
        build_agencies(ctx, writer)
        build_mous(ctx, writer)
        builder = CaseBuilder(ctx, offenders)
        rows = builder.build()
        for model in CASE_MODELS_IN_ORDER:
            writer.sync(rows.get(model, []))
        result = DemoResult(anchor=anchor, stats=writer.stats, notes=notes)
        # grants first: partner officers record assessments under their MOU
        hooks.sync_grants(notes)
        result.assessments_created = _load_assessments(ctx, builder.stories, notes)
    hooks.ensure_demo_devices(notes)
    return result


def _load_assessments(ctx: DemoContext, stories: list[Story], notes: list[str]) -> int:
    """Static-99R at intake, STABLE-2007 every 6 months, ACUTE-2007 monthly for high risk,
    over the last 18 months — recorded through the scoring service, never scored here.

    Answers are drawn from each instrument's own definition (items that are computed,
    such as age at release, are left to the scoring code), so the item codes always match.
    """
    from cases.services.assessments import record_assessment

    instruments = {
        kind: Instrument.objects.filter(kind=kind, builtin=True, active=True)
        .order_by("-version")
        .first()
        for kind in (InstrumentKind.STATIC, InstrumentKind.STABLE, InstrumentKind.ACUTE)
    }
    if not all(instruments.values()):
        notes.append("built-in instruments not loaded: assessments skipped")
        return 0
    existing = set(
        RiskAssessment.objects.filter(
            case_id__in=[s.case.pk for s in stories if s.case is not None]
        ).values_list("case_id", "instrument_id", "assessed_on")
    )
    staff = {
        row.pk: row
        for row in StaffMember.objects.filter(
            pk__in=[r.pk for r in ctx.staff.values()]
        ).select_related("user")
    }
    cases = Case.objects.select_related("offender").in_bulk(
        [s.case.pk for s in stories if s.case is not None]
    )
    created = 0
    today = date.today()
    for story in stories:
        case = cases[story.case.pk]  # type: ignore[union-attr]
        for instrument, on, assessor in _schedule(ctx, story, instruments):
            if (case.pk, instrument.pk, on) in existing or on > today:
                continue
            answers = _answers(instrument, f"{SEED}:{case.case_number}:{instrument.code}:{on}")
            assessor_row = staff[ctx.staff[assessor].pk]  # type: ignore[index]
            # Static-99R's age item needs a (expected) release date; a case without one (a long
            # sentence) is scored as if released three years after the assessment
            release = (
                case.release_date or case.expected_release_date or on + timedelta(days=3 * 365)
            )
            adult_at_release = release >= _add_years(case.offender.date_of_birth, 18)
            if instrument.kind == InstrumentKind.STATIC and not adult_at_release:
                continue  # Static-99R applies only from age 18 at release
            record_assessment(
                case, instrument, answers, on, assessor_row, assessor_row.user, release_date=release
            )
            created += 1
    notes.append(f"assessments recorded: {created}")
    return created


def _schedule(
    ctx: DemoContext, story: Story, instruments: dict[str, Any]
) -> list[tuple[Any, date, str]]:
    """(instrument, date, assessor username) for one case."""
    anchor = ctx.anchor
    pivot = story.release or story.supervision_start or story.expected_release or anchor
    static_on = max(
        story.convicted + timedelta(days=45),
        min(anchor - timedelta(days=7), pivot - timedelta(days=60)),
    )
    plan: list[tuple[Any, date, str]] = [
        (instruments[InstrumentKind.STATIC], static_on, story.manager)
    ]
    assessor = story.officer or story.manager
    if story.status in ("supervised", "pre_release") and not story.brand_new:
        start = max(
            story.supervision_start or anchor - timedelta(days=540), anchor - timedelta(days=540)
        )
        day = start + timedelta(days=20)
        while day < anchor:
            plan.append((instruments[InstrumentKind.STABLE], day, assessor))
            day += timedelta(days=182)
    if (
        story.status == "supervised"
        and story.level == SupervisionLevel.HIGH
        and not story.brand_new
    ):
        day = max(story.supervision_start or anchor, anchor - timedelta(days=180)) + timedelta(
            days=10
        )
        while day < anchor:
            plan.append((instruments[InstrumentKind.ACUTE], day, assessor))
            day += timedelta(days=30)
    return plan


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _answers(instrument: Any, seed: str) -> dict[str, Any]:
    """An answer for every non-computed item, favouring the lower-scoring answers."""
    rng = random.Random(seed)
    answers: dict[str, Any] = {}

    def count(item: dict[str, Any]) -> int:
        # a number inside one of the item's ranges, mostly the lowest-scoring one
        ranges = item["ranges"]
        band = ranges[0] if rng.random() < 0.6 else rng.choice(ranges)
        top = band["max"] if band["max"] is not None else band["min"] + 4
        return rng.randint(band["min"], top)

    for item in instrument.definition.get("items", []):
        if item.get("type") == "count":
            answers[item["code"]] = count(item)
            continue
        if item.get("type") == "higher_of":
            for reading in item.get("readings", []):
                answers[reading["code"]] = count(reading)
            continue
        if item.get("computed") or not item.get("answers"):
            continue
        options = item["answers"]
        lowest = min(option.get("points", 0) for option in options)
        weights = [3 if option.get("points", 0) == lowest else 1 for option in options]
        answers[item["code"]] = rng.choices(options, weights=weights)[0]["value"]
    return answers
