"""Treatment (containment model): enrollments, monthly progress reports and polygraph exams.

A treatment provider adds monthly reports under its MOU: the lead agency's term gives the
provider agency `add` on record type treatment, which the grant sync turns into the
`add_treatment` object permission; restrict(user, 'add') is the check. One report per
enrollment and month (a database constraint; violations become a message naming `month`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from agencies.models import Agency
from agencies.querysets import staff_of
from cases.choices import DischargeStatus, PolygraphResult, PolygraphType, Rating
from cases.models import Case, PolygraphExam, TreatmentEnrollment, TreatmentReport
from cases.services.contacts import CLOSED_STATUSES, bump_case_version, ensure_in_scope, snapshot
from sartcm import audit
from sartcm.models import AuditAction

ENROLLMENT_FIELDS = ("provider", "program", "intake_date", "expected_completion")
REPORT_FIELDS = (
    "month",
    "sessions_scheduled",
    "sessions_attended",
    "participation",
    "progress",
    "concerns",
)
POLYGRAPH_FIELDS = (
    "exam_type",
    "exam_date",
    "examiner",
    "result",
    "disclosures",
    "flagged",
    "notes",
)


class _Errors(dict):
    """Collects {field: message}; raise() if any."""

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _date(value: Any, field: str, errors: _Errors, *, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = "This date is required (YYYY-MM-DD)."
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        errors[field] = "Enter a date as YYYY-MM-DD."
    return parsed


def _text(value: Any, field: str, errors: _Errors, *, required: bool, limit: int | None) -> str:
    text = (value or "").strip() if isinstance(value, str | type(None)) else None
    if text is None:
        errors[field] = "Must be text."
        return ""
    if required and not text:
        errors[field] = "This field is required."
    elif limit and len(text) > limit:
        errors[field] = f"At most {limit} characters (this has {len(text)})."
    return text


def _choice(value: Any, choices: Any, field: str, errors: _Errors) -> str:
    if value in choices.values:
        return str(value)
    errors[field] = "Choose one of: " + ", ".join(choices.values) + "."
    return ""


def _count(value: Any, field: str, errors: _Errors) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = "Enter a whole number (0 or more)."
        return 0
    if number < 0 or number > 100:
        errors[field] = "Enter a whole number from 0 to 100."
    return number


def _not_future(day: date | None, field: str, errors: _Errors) -> None:
    if day is not None and day > timezone.localdate():
        errors.setdefault(field, f"{field} cannot be in the future.")


def _open_case(case: Case) -> None:
    if case.status in CLOSED_STATUSES:
        raise ValidationError({"case": f"The case is {case.status}; it takes no new records."})


# --- enrollments ---------------------------------------------------------------------------


def enroll_in_treatment(case: Case, data: Mapping[str, Any], user: Any) -> TreatmentEnrollment:
    """Enroll the person in a provider agency's program.

    `data`: provider (Agency or id, active), program, intake_date, expected_completion
    (optional, on or after intake).
    """
    _open_case(case)
    errors = _Errors()
    provider = data.get("provider")
    if not isinstance(provider, Agency):
        provider = Agency.objects.active().filter(pk=provider).first() if provider else None
    if provider is None or not provider.active:
        errors["provider"] = "Choose an active provider agency."
    program = _text(data.get("program"), "program", errors, required=True, limit=200)
    intake = _date(data.get("intake_date"), "intake_date", errors)
    expected = _date(data.get("expected_completion"), "expected_completion", errors, required=False)
    if intake and expected and expected < intake:
        errors["expected_completion"] = "Expected completion must be on or after the intake date."
    errors.raise_if_any()
    with transaction.atomic():
        enrollment = TreatmentEnrollment.objects.create(
            case=case,
            provider=provider,
            program=program,
            intake_date=intake,
            expected_completion=expected,
        )
        ensure_in_scope(user, enrollment, "add")
        bump_case_version(case)
        audit.record(
            user,
            AuditAction.CREATE,
            enrollment,
            changes={"after": snapshot(enrollment, (*ENROLLMENT_FIELDS, "discharge_status"))},
        )
    return enrollment


def discharge_from_treatment(
    enrollment: TreatmentEnrollment, data: Mapping[str, Any], user: Any
) -> TreatmentEnrollment:
    """Record the discharge: discharge_status (completed, unsuccessful, transferred) and
    discharged_on (between intake and today)."""
    errors = _Errors()
    status = data.get("discharge_status")
    if status == DischargeStatus.ACTIVE or status not in DischargeStatus.values:
        valid = ", ".join(v for v in DischargeStatus.values if v != DischargeStatus.ACTIVE)
        errors["discharge_status"] = f"Choose one of: {valid}."
    discharged_on = _date(data.get("discharged_on"), "discharged_on", errors)
    _not_future(discharged_on, "discharged_on", errors)
    if discharged_on and discharged_on < enrollment.intake_date:
        errors["discharged_on"] = (
            f"The discharge date must be on or after the intake date ({enrollment.intake_date})."
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = TreatmentEnrollment.objects.select_for_update().get(pk=enrollment.pk)
        if locked.discharge_status != DischargeStatus.ACTIVE:
            raise ValidationError(
                {"discharge_status": "This enrollment has already been discharged."}
            )
        before = snapshot(locked, ("discharge_status", "discharged_on"))
        locked.discharge_status = status
        locked.discharged_on = discharged_on
        locked.save(update_fields=["discharge_status", "discharged_on", "updated_at"])
        ensure_in_scope(user, locked, "change")
        bump_case_version(locked.case)
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"before": before, "after": snapshot(locked, before)},
        )
    return locked


# --- monthly reports -----------------------------------------------------------------------


def first_of_month(value: Any) -> date | None:
    """A date (any day) or 'YYYY-MM' / 'YYYY-MM-DD' → the first day of that month."""
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        text = value.strip()
        parsed = parse_date(text + "-01") if len(text) == 7 else parse_date(text)
        return parsed.replace(day=1) if parsed else None
    return None


def may_report_on(user: Any, enrollment: TreatmentEnrollment) -> bool:
    """The enrollment's own provider agency reports on it (the lead agency may too)."""
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.agency_id in (
        enrollment.provider_id,
        enrollment.case.lead_agency_id,
    )


def add_treatment_report(
    enrollment: TreatmentEnrollment, data: Mapping[str, Any], user: Any
) -> TreatmentReport:
    """Add the monthly progress report of an enrollment.

    `data`: month (any day of it, or 'YYYY-MM'; stored as the first day), sessions_scheduled,
    sessions_attended (≤ scheduled), participation and progress (good/fair/poor), concerns.
    The month must be between the intake month and the current month (and not after the
    discharge month). One report per month: a second one is refused naming `month`.
    """
    if not may_report_on(user, enrollment):
        raise ValidationError(
            {
                "enrollment": f"Only {enrollment.provider.name} (the provider) or the lead agency "
                "may report on this enrollment."
            }
        )
    errors = _Errors()
    month = first_of_month(data.get("month"))
    if month is None:
        errors["month"] = "Enter the month reported on as YYYY-MM."
    else:
        this_month = timezone.localdate().replace(day=1)
        if month > this_month:
            errors["month"] = "The month cannot be in the future."
        elif month < enrollment.intake_date.replace(day=1):
            errors["month"] = (
                f"The month must be on or after the intake month ({enrollment.intake_date:%Y-%m})."
            )
        elif enrollment.discharged_on and month > enrollment.discharged_on.replace(day=1):
            errors["month"] = (
                f"The month must be on or before the discharge month ({enrollment.discharged_on:%Y-%m})."
            )
    scheduled = _count(data.get("sessions_scheduled"), "sessions_scheduled", errors)
    attended = _count(data.get("sessions_attended"), "sessions_attended", errors)
    if "sessions_attended" not in errors and "sessions_scheduled" not in errors:
        if attended > scheduled:
            errors["sessions_attended"] = (
                f"Sessions attended cannot exceed sessions scheduled ({scheduled})."
            )
    participation = _choice(data.get("participation"), Rating, "participation", errors)
    progress = _choice(data.get("progress"), Rating, "progress", errors)
    concerns = _text(data.get("concerns"), "concerns", errors, required=False, limit=None)
    errors.raise_if_any()
    duplicate = ValidationError(
        {"month": f"There is already a report for {month:%B %Y} on this enrollment."}
    )
    if TreatmentReport.objects.filter(enrollment=enrollment, month=month).exists():
        raise duplicate
    with transaction.atomic():
        try:
            # Savepoint: a concurrent report for the same month loses on the unique constraint.
            with transaction.atomic():
                report = TreatmentReport.objects.create(
                    enrollment=enrollment,
                    case_id=enrollment.case_id,
                    month=month,
                    sessions_scheduled=scheduled,
                    sessions_attended=attended,
                    participation=participation,
                    progress=progress,
                    concerns=concerns,
                    author=staff_of(user),
                )
        except IntegrityError as exc:
            if "cases_treatmentreport_unique_month" in str(exc):
                raise duplicate
            raise
        ensure_in_scope(user, report, "add")
        bump_case_version(enrollment.case)
        audit.record(
            user, AuditAction.CREATE, report, changes={"after": snapshot(report, REPORT_FIELDS)}
        )
    return report


# --- polygraph -----------------------------------------------------------------------------


def record_polygraph(case: Case, data: Mapping[str, Any], user: Any) -> PolygraphExam:
    """Record a polygraph exam: exam_type (sexual history, maintenance, specific issue),
    exam_date (not in the future), examiner, result (NDI, DI, no opinion, inconclusive),
    disclosures, flagged (disclosures needing follow-up), notes."""
    _open_case(case)
    errors = _Errors()
    exam_type = _choice(data.get("exam_type"), PolygraphType, "exam_type", errors)
    exam_date = _date(data.get("exam_date"), "exam_date", errors)
    _not_future(exam_date, "exam_date", errors)
    examiner = _text(data.get("examiner"), "examiner", errors, required=True, limit=120)
    result = _choice(data.get("result"), PolygraphResult, "result", errors)
    disclosures = _text(data.get("disclosures"), "disclosures", errors, required=False, limit=None)
    notes = _text(data.get("notes"), "notes", errors, required=False, limit=None)
    flagged = bool(data.get("flagged", False))
    if flagged and not disclosures:
        errors["flagged"] = "Only disclosures can be flagged: describe them under disclosures."
    errors.raise_if_any()
    with transaction.atomic():
        exam = PolygraphExam.objects.create(
            case=case,
            exam_type=exam_type,
            exam_date=exam_date,
            examiner=examiner,
            result=result,
            disclosures=disclosures,
            flagged=flagged,
            notes=notes,
        )
        ensure_in_scope(user, exam, "add")
        bump_case_version(case)
        audit.record(
            user,
            AuditAction.CREATE,
            exam,
            # Disclosures stay out of the audit trail, which more people read than the exam.
            changes={"after": snapshot(exam, POLYGRAPH_FIELDS, redact=("disclosures", "notes"))},
        )
    return exam
