"""Specialized staff training: the catalogue, requirements by role, completions and compliance.

Who manages training: an agency administrator or supervisor, for their own agency's staff
(`can_manage_training`); everyone records and sees their own. The TrainingRecord queryset's
`restrict()` says the same, and every write is re-checked against it inside the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet

from agencies.choices import Role
from agencies.dates import add_months
from agencies.models import (
    StaffMember,
    TrainingCourse,
    TrainingRecord,
    TrainingRequirement,
)
from agencies.querysets import staff_of
from sartcm import audit
from sartcm.models import AuditAction

MANAGER_ROLES: frozenset[str] = frozenset({Role.AGENCY_ADMIN, Role.SUPERVISOR})
DUE_SOON_DAYS = 30
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg")


def can_manage_training(user: Any) -> bool:
    """Administrators and supervisors manage their agency's training (superusers: all)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.has_role(*MANAGER_ROLES)


def trainable_staff(user: Any) -> QuerySet[StaffMember]:
    """Staff whose training the user may record: their agency's (managers) or themselves."""
    if can_manage_training(user):
        return StaffMember.objects.restrict(user, "view").active()
    return StaffMember.objects.active().filter(user_id=getattr(user, "pk", None))


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(f, models.FileField):
            value = value.name or ""
        data[f.attname] = value
    return data


# --------------------------------------------------------------------------- requirements


def requirements_for(staff: StaffMember) -> list[TrainingRequirement]:
    """Requirements that apply to a staff member: their roles, statewide or their agency's."""
    return list(
        TrainingRequirement.objects.filter(role__in=staff.roles)
        .filter(Q(agency__isnull=True) | Q(agency_id=staff.agency_id))
        .select_related("course")
    )


def renewal_months_for(staff: StaffMember, course: TrainingCourse) -> int | None:
    """The shortest renewal period among the requirements of `course` that apply to the staff
    member; 0 = complete once; None = the course is not required of them."""
    periods = [r.renewal_months for r in requirements_for(staff) if r.course_id == course.pk]
    if not periods:
        return None
    renewing = [p for p in periods if p > 0]
    return min(renewing) if renewing else 0


def expiry_for(staff: StaffMember, course: TrainingCourse, completed_on: date) -> date | None:
    """When a completion expires: completion + the renewal period (None: never)."""
    months = renewal_months_for(staff, course)
    return add_months(completed_on, months) if months else None


def visible_requirements(user: Any) -> QuerySet[TrainingRequirement]:
    """Requirements that concern the user's agency: statewide ones and its own."""
    if getattr(user, "is_superuser", False):
        return TrainingRequirement.objects.all()
    staff = staff_of(user)
    if staff is None:
        return TrainingRequirement.objects.none()
    return TrainingRequirement.objects.filter(Q(agency__isnull=True) | Q(agency_id=staff.agency_id))


def removable_requirements(user: Any) -> QuerySet[TrainingRequirement]:
    """Requirements the user may change or remove: their own agency's, if they manage."""
    staff = staff_of(user)
    if staff is None or not can_manage_training(user):
        return TrainingRequirement.objects.none()
    return TrainingRequirement.objects.filter(agency_id=staff.agency_id)


def set_requirement(
    user: Any,
    *,
    role: str,
    course: TrainingCourse,
    renewal_months: int,
    grace_days: int = 30,
) -> TrainingRequirement:
    """Require a course of a role in the manager's own agency (or change the renewal)."""
    staff = staff_of(user)
    if staff is None or not can_manage_training(user):
        raise PermissionDenied("Only administrators and supervisors set training requirements.")
    if role not in Role.values:
        raise ValidationError({"role": ["Choose one of the roles."]})
    if renewal_months < 0 or grace_days < 0:
        raise ValidationError({"renewal_months": ["Must be zero (once) or more months."]})
    with transaction.atomic():
        requirement = TrainingRequirement.objects.filter(
            role=role, course=course, agency_id=staff.agency_id
        ).first()
        before = _snapshot(requirement) if requirement else {}
        if requirement is None:
            requirement = TrainingRequirement(role=role, course=course, agency_id=staff.agency_id)
        requirement.renewal_months = renewal_months
        requirement.grace_days = grace_days
        requirement.save()
        audit.record(
            user,
            AuditAction.CHANGE if before else AuditAction.CREATE,
            requirement,
            changes={"before": before, "after": _snapshot(requirement)},
        )
    return requirement


def remove_requirement(requirement: TrainingRequirement, user: Any) -> None:
    """Remove one of the manager's own agency's requirements (statewide ones stay)."""
    staff = staff_of(user)
    if staff is None or not can_manage_training(user) or requirement.agency_id != staff.agency_id:
        raise PermissionDenied("Only your agency's own requirements can be removed.")
    with transaction.atomic():
        audit.record(
            user, AuditAction.DELETE, requirement, changes={"before": _snapshot(requirement)}
        )
        requirement.delete()


# --------------------------------------------------------------------------- courses


def save_course(
    user: Any, values: dict[str, Any], course: TrainingCourse | None = None
) -> TrainingCourse:
    """Add or change a course in the statewide catalogue (administrators, supervisors)."""
    if not can_manage_training(user):
        raise PermissionDenied("Only administrators and supervisors change the course catalogue.")
    with transaction.atomic():
        if course is None:
            course, before = TrainingCourse(), {}
        else:
            course = TrainingCourse.objects.select_for_update().get(pk=course.pk)
            before = _snapshot(course)
        for name, value in values.items():
            setattr(course, name, value)
        if not (course.title or "").strip():
            raise ValidationError({"title": ["A course needs a title."]})
        try:
            with transaction.atomic():
                course.save()
        except IntegrityError:
            raise ValidationError({"title": ["A course with this title already exists."]})
        audit.record(
            user,
            AuditAction.CHANGE if before else AuditAction.CREATE,
            course,
            changes={"before": before, "after": _snapshot(course)},
        )
    return course


# --------------------------------------------------------------------------- completions


def _check_evidence(evidence: UploadedFile | None) -> None:
    if evidence is None:
        return
    name = (evidence.name or "").lower()
    if not name.endswith(EVIDENCE_EXTENSIONS):
        raise ValidationError({"evidence": ["Upload a PDF, PNG or JPEG file."]})
    if evidence.size and evidence.size > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence": ["The file is larger than 10 MB."]})


def record_completion(
    user: Any,
    *,
    staff: StaffMember,
    course: TrainingCourse,
    completed_on: date,
    evidence: UploadedFile | None = None,
    evidence_note: str = "",
    today: date | None = None,
) -> TrainingRecord:
    """Record that `staff` completed `course` on `completed_on`, with optional evidence.

    The expiry comes from the renewal period of the requirements that apply to them. Managers
    record for their agency's staff; everyone may record their own. The write is re-checked
    against TrainingRecord.objects.restrict(user, 'add') inside the transaction.
    """
    recorder = staff_of(user)
    if recorder is None and not getattr(user, "is_superuser", False):
        raise PermissionDenied("Only agency staff record training.")
    today = today or date.today()
    if completed_on > today:
        raise ValidationError({"completed_on": ["The completion date cannot be in the future."]})
    if not course.active:
        raise ValidationError({"course": ["This course is no longer offered."]})
    _check_evidence(evidence)
    if not trainable_staff(user).filter(pk=staff.pk).exists():
        raise PermissionDenied("You may not record training for this person.")
    with transaction.atomic():
        record = TrainingRecord(
            staff=staff,
            course=course,
            completed_on=completed_on,
            expires_on=expiry_for(staff, course, completed_on),
            evidence_note=evidence_note,
            recorded_by=recorder,
        )
        record.save()
        if not TrainingRecord.objects.restrict(user, "add").filter(pk=record.pk).exists():
            # Outside the recorder's scope: roll back (checked before the file is stored).
            raise PermissionDenied("You may not record training for this person.")
        if evidence is not None:
            record.evidence.save(evidence.name, evidence, save=True)
        audit.record(user, AuditAction.CREATE, record, changes={"after": _snapshot(record)})
    return record


# --------------------------------------------------------------------------- compliance


class Status:
    CURRENT = "current"
    DUE = "due"
    EXPIRED = "expired"
    MISSING = "missing"

    LABELS = {
        CURRENT: "Current",
        DUE: "Due within 30 days",
        EXPIRED: "Expired",
        MISSING: "Missing",
    }


@dataclass
class ComplianceItem:
    """One staff member × one required course."""

    staff: StaffMember
    course: TrainingCourse
    status: str
    record: TrainingRecord | None
    due_on: date | None
    renewal_months: int

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]


@dataclass
class ComplianceSummary:
    items: list[ComplianceItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in Status.LABELS}


def compliance(
    staff: QuerySet[StaffMember], on: date, due_within: int = DUE_SOON_DAYS
) -> ComplianceSummary:
    """Each active staff member × each course required of them, with its status on `on`:
    current; due (expires within `due_within` days, or not done yet but still within the
    grace period after joining); expired; missing. Three queries whatever the headcount.
    """
    people = list(
        staff.active()
        .select_related("user", "agency")
        .order_by("agency__name", "user__last_name", "user__first_name")
    )
    agency_ids = {p.agency_id for p in people}
    requirements = list(
        TrainingRequirement.objects.filter(Q(agency__isnull=True) | Q(agency_id__in=agency_ids))
        .select_related("course")
        .filter(course__active=True)
    )
    latest = {
        (r.staff_id, r.course_id): r
        for r in TrainingRecord.objects.filter(staff__in=[p.pk for p in people])
        .most_recent()
        .select_related("course")
    }
    summary = ComplianceSummary()
    horizon = on + timedelta(days=due_within)
    for person in people:
        applicable: dict[int, list[TrainingRequirement]] = {}
        for req in requirements:
            if req.role in person.roles and req.agency_id in (None, person.agency_id):
                applicable.setdefault(req.course_id, []).append(req)
        for course_reqs in applicable.values():
            course = course_reqs[0].course
            renewing = [r.renewal_months for r in course_reqs if r.renewal_months > 0]
            renewal = min(renewing) if renewing else 0
            grace = max(r.grace_days for r in course_reqs)
            record = latest.get((person.pk, course.pk))
            if record is None:
                joined = person.user.date_joined.date()
                due_on = joined + timedelta(days=grace)
                status = Status.DUE if due_on >= on else Status.MISSING
            else:
                due_on = record.expires_on
                if due_on is None or due_on > horizon:
                    status = Status.CURRENT
                elif due_on >= on:
                    status = Status.DUE
                else:
                    status = Status.EXPIRED
            summary.items.append(ComplianceItem(person, course, status, record, due_on, renewal))
    return summary
