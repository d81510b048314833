"""Assessments, supervision levels and the case plan: the state changes.

Every function validates first (ValidationError naming the field and what is valid), writes in
one transaction, audits there, and leaves the case's supervision level consistent with its
latest valid assessments.

Supervision-level rule (`derive_supervision_level`): take the latest valid assessment of each
instrument (by instrument code, latest `assessed_on`) on the case; map each one's *final*
level through the protocols LevelMapping in force today for the case's jurisdiction (falling
back to the default rows); the case's level is the highest of the mapped levels (low <
moderate < high). Instruments without a mapping for their level don't take part; with no
mapped assessment at all the level is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agencies.choices import Action, RecordType, Role
from agencies.models import Agency, StaffMember
from agencies.querysets import staff_of
from cases.choices import AssessmentStatus, GoalStatus
from cases.models import Case, CasePlanGoal, ProgressNote, RiskAssessment, SupervisionLevelChange
from cases.scoring import ScoreResult, level_order, preview_score, score, validate_definition
from protocols.choices import InstrumentKind, SupervisionLevel
from protocols.models import Instrument, LevelMapping, ReassessmentInterval
from sartcm import audit
from sartcm.models import AuditAction

SUPERVISION_ORDER = [SupervisionLevel.LOW, SupervisionLevel.MODERATE, SupervisionLevel.HIGH]
OPEN_GOAL_STATUSES = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)
# Target date of a goal made from a need when the assessment has no reassessment due date.
DEFAULT_GOAL_DAYS = 180


# --- small helpers ----------------------------------------------------------------------------


def _staff(user: Any) -> StaffMember | None:
    return staff_of(user)


def _require_case(user: Any, action: str, record_type: str, case: Case) -> None:
    """The user may do `action` on `record_type` of this case (role ∩ standing), else 403."""
    if not Case.objects.restrict_record(user, action, record_type).filter(pk=case.pk).exists():
        raise PermissionDenied(f"You may not {action} {RecordType(record_type).label.lower()}.")


def _today() -> date:
    return timezone.localdate()


def usable_instruments(user: Any, case: Case) -> QuerySet[Instrument]:
    """Active instruments usable on this case: built-ins and those of the user's agency or the
    case's lead agency."""
    staff = _staff(user)
    owners = [case.lead_agency_id] + ([staff.agency_id] if staff else [])
    return Instrument.objects.restrict(user, "view").filter(
        Q(builtin=True) | Q(owner_agency_id__in=owners), active=True
    )


def release_date_for(case: Case) -> date | None:
    """The date the Static-99R age is computed to: actual release, else expected release."""
    return case.release_date or case.expected_release_date


def preview_for_case(
    case: Case, instrument: Instrument, answers: Mapping[str, Any], *, release_date: date | None
) -> ScoreResult:
    """The running score of a partly filled form (never raises)."""
    return preview_score(
        instrument,
        answers,
        offender=case.offender,
        release_date=release_date or release_date_for(case),
    )


# --- reassessment intervals and level mappings ------------------------------------------------


def reassessment_due(
    case: Case, instrument_code: str, assessed_on: date, supervision_level: str = ""
) -> date | None:
    """assessed_on + the ReassessmentInterval in force on that date for the case's jurisdiction
    (default rows otherwise): the row for the supervision level if there is one, else the row
    for every level. None when the protocol sets no interval."""
    rows = list(
        ReassessmentInterval.objects.in_force(assessed_on)
        .filter(instrument_code=instrument_code)
        .for_jurisdiction(case.jurisdiction)
        .filter(supervision_level__in=[supervision_level, ""])
        .values_list("supervision_level", "interval_days")
    )
    by_level = dict(rows)
    days = by_level.get(supervision_level) if supervision_level else None
    days = days or by_level.get("")
    return assessed_on + timedelta(days=days) if days else None


def mapped_level(case: Case, instrument_code: str, assessment_level: str, on: date) -> str | None:
    """The supervision level a protocol maps an assessment level to, or None."""
    return (
        LevelMapping.objects.in_force(on)
        .filter(instrument_code=instrument_code)
        .for_jurisdiction(case.jurisdiction)
        .filter(assessment_level=assessment_level)
        .values_list("supervision_level", flat=True)
        .first()
    )


def latest_valid_assessments(case: Case) -> list[RiskAssessment]:
    """The latest valid assessment of each instrument code on the case."""
    return list(
        RiskAssessment.objects.filter(case=case, status=AssessmentStatus.VALID)
        .select_related("instrument")
        .order_by("instrument__code", "-assessed_on", "-created_at", "-pk")
        .distinct("instrument__code")
    )


def derive_supervision_level(
    case: Case, user: Any, reason: str, *, on: date | None = None
) -> SupervisionLevelChange | None:
    """Re-derive the case's supervision level from its latest valid assessments (rule in the
    module docstring). Writes a SupervisionLevelChange and bumps case.version when it changes;
    returns the change, or None when the level stays."""
    on = on or _today()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        votes: list[tuple[int, date, RiskAssessment, str]] = []
        for assessment in latest_valid_assessments(locked):
            level = mapped_level(locked, assessment.instrument.code, assessment.final_level, on)
            if level in SUPERVISION_ORDER:
                votes.append(
                    (SUPERVISION_ORDER.index(level), assessment.assessed_on, assessment, level)
                )
        if not votes:
            return None
        _, _, deciding, new_level = max(votes, key=lambda v: (v[0], v[1], v[2].pk))
        if new_level == locked.supervision_level:
            return None
        why = (
            f"{reason} — {deciding.instrument.name} of {deciding.assessed_on} "
            f"(level {deciding.final_level}) maps to {new_level}"
        )[:300]
        change = SupervisionLevelChange.objects.create(
            case=locked,
            from_level=locked.supervision_level,
            to_level=new_level,
            reason=why,
            assessment=deciding,
            changed_by=_staff(user),
        )
        Case.objects.filter(pk=locked.pk).update(
            supervision_level=new_level, version=F("version") + 1, updated_at=timezone.now()
        )
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={
                "before": {"supervision_level": locked.supervision_level},
                "after": {"supervision_level": new_level},
            },
            detail=why,
        )
        case.supervision_level = new_level
        case.version = locked.version + 1
        return change


# --- assessments ------------------------------------------------------------------------------


def _check_assessor(user: Any, assessor: StaffMember | None) -> None:
    staff = _staff(user)
    if assessor is None:
        raise ValidationError({"assessor": "Name the staff member who did the assessment."})
    if not assessor.active:
        raise ValidationError({"assessor": "The assessor must be an active staff member."})
    if staff is not None and assessor.agency_id != staff.agency_id:
        raise ValidationError({"assessor": "The assessor must be a member of your agency."})


def record_assessment(
    case: Case,
    instrument: Instrument,
    answers: Mapping[str, Any],
    assessed_on: date,
    assessor: StaffMember | None,
    user: Any,
    *,
    release_date: date | None = None,
) -> RiskAssessment:
    """Score `answers` server-side and save the assessment with its reassessment due date,
    then re-derive the case's supervision level. Nothing is saved when any item is missing or
    out of range: ValidationError({item code: [message naming the item and allowed answers]}).
    `release_date` overrides the case's (expected) release date for the computed age."""
    _require_case(user, Action.ADD, RecordType.ASSESSMENTS, case)
    if not usable_instruments(user, case).filter(pk=instrument.pk).exists():
        raise ValidationError(
            {"instrument": "This instrument is not active or not available to your agency."}
        )
    if assessed_on is None or assessed_on > _today():
        raise ValidationError({"assessed_on": "The assessment date must be today or earlier."})
    if assessed_on < case.offender.date_of_birth:
        raise ValidationError(
            {"assessed_on": "The assessment date is before the offender's date of birth."}
        )
    _check_assessor(user, assessor)
    used_release = release_date or release_date_for(case)
    result = score(instrument, answers, offender=case.offender, release_date=used_release)

    with transaction.atomic():
        assessment = RiskAssessment.objects.create(
            case=case,
            instrument=instrument,
            assessed_on=assessed_on,
            assessor=assessor,
            answers={**result.answers, **result.computed},
            item_scores=result.item_scores,
            subscores=result.subscores,
            total_score=result.total,
            computed_level=result.level,
            final_level=result.level,
        )
        audit.record(
            user,
            AuditAction.CREATE,
            assessment,
            changes={
                "after": {
                    "instrument": instrument.code,
                    "total_score": result.total,
                    "computed_level": result.level,
                }
            },
        )
        derive_supervision_level(case, user, f"New {instrument.name} assessment")
        case.refresh_from_db(fields=["supervision_level", "version"])
        assessment.next_due = reassessment_due(
            case, instrument.code, assessed_on, case.supervision_level
        )
        if assessment.next_due:
            assessment.save(update_fields=["next_due", "updated_at"])
    return assessment


def override_level(
    assessment: RiskAssessment, level: str, reason: str, user: Any
) -> RiskAssessment:
    """A supervisor of the case's lead agency sets the final level, with a written reason. The
    computed level is kept; the supervision level is re-derived."""
    case = assessment.case
    staff = _staff(user)
    if (
        staff is None
        or not staff.has_role(Role.SUPERVISOR)
        or staff.agency_id != case.lead_agency_id
    ):
        raise PermissionDenied(
            "Only a supervisor of the case's lead agency may override an assessment level."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"override_reason": "A written reason is required to override the level."}
        )
    levels = level_order(assessment.instrument.definition)
    if level not in levels:
        raise ValidationError(
            {
                "final_level": f"'{level}' is not a level of {assessment.instrument.name}; "
                f"allowed: {', '.join(levels)}."
            }
        )
    with transaction.atomic():
        locked = RiskAssessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != AssessmentStatus.VALID:
            raise ValidationError({"status": "A voided assessment cannot be overridden."})
        before = {"final_level": locked.final_level, "override_reason": locked.override_reason}
        locked.final_level = level
        locked.override_reason = reason
        locked.override_by = staff
        locked.save(update_fields=["final_level", "override_reason", "override_by", "updated_at"])
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"before": before, "after": {"final_level": level, "override_reason": reason}},
            detail="supervisor override of the assessment level",
        )
        derive_supervision_level(
            case, user, f"Supervisor override of {locked.instrument.name} level: {reason}"
        )
    return locked


def void_assessment(assessment: RiskAssessment, reason: str, user: Any) -> RiskAssessment:
    """Mark an assessment void (kept as history) and re-derive the supervision level."""
    if not RiskAssessment.objects.restrict(user, Action.CHANGE).filter(pk=assessment.pk).exists():
        raise PermissionDenied("You may not change this assessment.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": "A written reason is required to void."})
    with transaction.atomic():
        # Compare-and-swap: only a valid assessment becomes void, exactly once.
        changed = RiskAssessment.objects.filter(
            pk=assessment.pk, status=AssessmentStatus.VALID
        ).update(
            status=AssessmentStatus.VOIDED,
            void_reason=reason,
            voided_at=timezone.now(),
            voided_by=_staff(user),
            updated_at=timezone.now(),
        )
        if changed != 1:
            raise ValidationError({"status": "This assessment is already void."})
        assessment.refresh_from_db()
        audit.record(
            user,
            AuditAction.CHANGE,
            assessment,
            changes={"before": {"status": "valid"}, "after": {"status": "voided"}},
            detail=f"voided: {reason}",
        )
        derive_supervision_level(
            assessment.case, user, f"{assessment.instrument.name} assessment voided: {reason}"
        )
    return assessment


def define_instrument(
    user: Any, *, code: str, name: str, kind: str, definition: Mapping[str, Any]
) -> Instrument:
    """An agency's own instrument (items, answers, points, bands as data). A supervisor or an
    agency administrator defines it for their agency; redefining a code makes the next version."""
    staff = _staff(user)
    if staff is None or not staff.has_role(Role.SUPERVISOR, Role.AGENCY_ADMIN):
        raise PermissionDenied("Only a supervisor or agency administrator may define instruments.")
    errors: dict[str, list[str]] = {}
    if kind not in InstrumentKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(InstrumentKind.values)}."]
    if not (name or "").strip():
        errors["name"] = ["Give the instrument a name."]
    others = Instrument.objects.filter(code=code).exclude(owner_agency_id=staff.agency_id)
    if others.exists():
        errors["code"] = ["This code belongs to another agency's or a built-in instrument."]
    if errors:
        raise ValidationError(errors)
    validate_definition(definition)
    with transaction.atomic():
        latest = (
            Instrument.objects.select_for_update()
            .filter(code=code)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        instrument = Instrument.objects.create(
            code=code,
            name=name.strip(),
            kind=kind,
            version=(latest or 0) + 1,
            definition=dict(definition),
            builtin=False,
            owner_agency_id=staff.agency_id,
        )
        audit.record(user, AuditAction.CREATE, instrument)
    return instrument


# --- the case plan ----------------------------------------------------------------------------


def _responsible_agencies(case: Case) -> QuerySet[Agency]:
    """The lead agency and the agencies on the case team may be responsible for a goal."""
    team = case.assignments.filter(end_date__isnull=True).values("agency_id")
    return Agency.objects.filter(Q(pk=case.lead_agency_id) | Q(pk__in=team), active=True)


def _check_goal_fields(case: Case, fields: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "goal" in fields and not (fields["goal"] or "").strip():
        errors["goal"] = ["Describe the goal."]
    if "status" in fields and fields["status"] not in GoalStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(GoalStatus.values)}."]
    agency = fields.get("responsible_agency")
    if agency is not None and not _responsible_agencies(case).filter(pk=agency.pk).exists():
        errors["responsible_agency"] = [
            "The responsible agency must be the lead agency or an agency on the case team."
        ]
    staff = fields.get("responsible_staff")
    if staff is not None:
        owner = agency or fields.get("_current_agency")
        if owner is not None and staff.agency_id != owner.pk:
            errors["responsible_staff"] = ["The responsible person must work for that agency."]
    if errors:
        raise ValidationError(errors)


def create_goal(
    case: Case,
    user: Any,
    *,
    goal: str,
    need: str = "",
    interventions: str = "",
    responsible_agency: Agency | None = None,
    responsible_staff: StaffMember | None = None,
    target_date: date | None = None,
    status: str = GoalStatus.OPEN,
    source_assessment: RiskAssessment | None = None,
) -> CasePlanGoal:
    """Add a case-plan goal (responsible agency defaults to the case's lead agency)."""
    _require_case(user, Action.ADD, RecordType.CASE_PLAN, case)
    agency = responsible_agency or case.lead_agency
    _check_goal_fields(
        case,
        {
            "goal": goal,
            "status": status,
            "responsible_agency": agency,
            "responsible_staff": responsible_staff,
        },
    )
    with transaction.atomic():
        created = CasePlanGoal.objects.create(
            case=case,
            need=need,
            source_assessment=source_assessment,
            goal=goal.strip(),
            interventions=interventions,
            responsible_agency=agency,
            responsible_staff=responsible_staff,
            target_date=target_date,
            status=status,
        )
        audit.record(user, AuditAction.CREATE, created)
    return created


GOAL_CHANGEABLE = (
    "goal",
    "interventions",
    "responsible_agency",
    "responsible_staff",
    "target_date",
    "status",
)


def update_goal(goal: CasePlanGoal, user: Any, /, **changes: Any) -> CasePlanGoal:
    """Change a goal's text, interventions, responsibility, target date or status."""
    if not CasePlanGoal.objects.restrict(user, Action.CHANGE).filter(pk=goal.pk).exists():
        raise PermissionDenied("You may not change this goal.")
    unknown = sorted(set(changes) - set(GOAL_CHANGEABLE))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    _check_goal_fields(goal.case, {**changes, "_current_agency": goal.responsible_agency})
    with transaction.atomic():
        locked = CasePlanGoal.objects.select_for_update().get(pk=goal.pk)
        before = {name: _plain(getattr(locked, name)) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.save()
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"before": before, "after": {n: _plain(v) for n, v in changes.items()}},
        )
    return locked


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


def add_progress_note(
    goal: CasePlanGoal, user: Any, note: str, written_on: date | None = None
) -> ProgressNote:
    """A dated progress note on a goal; the first note moves an open goal to in progress."""
    _require_case(user, Action.ADD, RecordType.CASE_PLAN, goal.case)
    written_on = written_on or _today()
    errors: dict[str, list[str]] = {}
    if not (note or "").strip():
        errors["note"] = ["Write the progress note."]
    if written_on > _today():
        errors["written_on"] = ["The note date must be today or earlier."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        created = ProgressNote.objects.create(
            goal=goal, case=goal.case, written_on=written_on, author=_staff(user), note=note.strip()
        )
        CasePlanGoal.objects.filter(pk=goal.pk, status=GoalStatus.OPEN).update(
            status=GoalStatus.IN_PROGRESS, updated_at=timezone.now()
        )
        audit.record(user, AuditAction.CREATE, created)
    return created


def needs_of(assessment: RiskAssessment) -> list[dict[str, Any]]:
    """The dynamic items of an assessment scored above 0, with suggested goal texts."""
    needs = []
    for item in assessment.instrument.definition.get("items", []):
        points = assessment.item_scores.get(item["code"], 0)
        if item.get("dynamic") and points > 0:
            needs.append(
                {
                    "code": f"{assessment.instrument.code}.{item['code']}",
                    "label": item.get("label", item["code"]),
                    "points": points,
                    "goal": item.get("goal") or f"Address: {item.get('label', item['code'])}",
                    "interventions": item.get("interventions", ""),
                }
            )
    return needs


def goals_from_needs(assessment: RiskAssessment, user: Any) -> list[CasePlanGoal]:
    """Create a case-plan goal for each need of the assessment that has no open goal yet
    (suggested goal text and interventions per item, lead agency and case manager
    responsible, target date = the reassessment due date or 180 days)."""
    case = assessment.case
    _require_case(user, Action.ADD, RecordType.CASE_PLAN, case)
    if assessment.status != AssessmentStatus.VALID:
        raise ValidationError({"status": "Goals come only from a valid assessment."})
    needs = needs_of(assessment)
    target = assessment.next_due or assessment.assessed_on + timedelta(days=DEFAULT_GOAL_DAYS)
    created: list[CasePlanGoal] = []
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one writer per case plan
        open_needs = set(
            CasePlanGoal.objects.filter(
                case=case, need__in=[n["code"] for n in needs], status__in=OPEN_GOAL_STATUSES
            ).values_list("need", flat=True)
        )
        manager = case.case_manager if case.case_manager_id else None
        if manager is not None and manager.agency_id != case.lead_agency_id:
            manager = None
        for need in needs:
            if need["code"] in open_needs:
                continue
            goal = CasePlanGoal.objects.create(
                case=case,
                need=need["code"],
                source_assessment=assessment,
                goal=need["goal"],
                interventions=need["interventions"],
                responsible_agency_id=case.lead_agency_id,
                responsible_staff=manager,
                target_date=target,
            )
            audit.record(user, AuditAction.CREATE, goal, detail=f"from need {need['code']}")
            created.append(goal)
    return created


def open_needs_without_goal(assessment: RiskAssessment) -> list[dict[str, Any]]:
    """Needs of the assessment that have no open goal yet (for the detail page's button)."""
    needs = needs_of(assessment)
    taken = set(
        CasePlanGoal.objects.filter(
            case_id=assessment.case_id,
            need__in=[n["code"] for n in needs],
            status__in=OPEN_GOAL_STATUSES,
        ).values_list("need", flat=True)
    )
    return [n for n in needs if n["code"] not in taken]


def assessments_due(user: Any, within_days: int = 30) -> QuerySet[RiskAssessment]:
    """Latest valid assessments visible to the user whose reassessment is due within N days
    (or overdue). Superseded assessments (a later valid one of the same instrument) are left out."""
    from django.db.models import Exists, OuterRef

    later = RiskAssessment.objects.filter(
        case_id=OuterRef("case_id"),
        instrument__code=OuterRef("instrument__code"),
        status=AssessmentStatus.VALID,
        assessed_on__gt=OuterRef("assessed_on"),
    )
    return (
        RiskAssessment.objects.restrict(user, Action.VIEW)
        .filter(status=AssessmentStatus.VALID, next_due__lte=_today() + timedelta(days=within_days))
        .exclude(Exists(later))
        .select_related("instrument", "case", "case__offender")
        .order_by("next_due", "pk")
    )


__all__: Iterable[str] = (
    "add_progress_note",
    "assessments_due",
    "create_goal",
    "define_instrument",
    "derive_supervision_level",
    "goals_from_needs",
    "latest_valid_assessments",
    "needs_of",
    "override_level",
    "preview_for_case",
    "reassessment_due",
    "record_assessment",
    "release_date_for",
    "update_goal",
    "usable_instruments",
    "void_assessment",
)
