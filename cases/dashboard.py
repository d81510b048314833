"""Dashboard panels by role (registered on sartcm.views' panel registry).

Each panel reads through restrict() and renders only permitted fields; its query count does
not grow with the number of cases (tests/sartcm/test_dashboard_*.py pins it).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest

from agencies.choices import RecordType, Role
from cases.access import allowed_fields, prefetch_assignments
from cases.choices import CaseStatus, RegistrationStatus, ReleasePlanStatus
from cases.compliance import today
from sartcm.views import dashboard_panel

R = RecordType
TOP = 8  # rows a panel shows before "see all"


def _names(user: Any, cases: list[Any]) -> dict[int, str]:
    from cases.views.contacts import offender_names

    return offender_names(user, cases)


# --- case manager / supervision officer -----------------------------------------------------


@dashboard_panel(
    "caseload",
    "My caseload: due and overdue first",
    {Role.CASE_MANAGER, Role.SUPERVISION_OFFICER, Role.SUPERVISOR},
    "dashboards/caseload.html",
    order=10,
)
def caseload_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """The caseload page's cases and compliance (same definition: cases.views.contacts), the
    earliest next-due first."""
    from cases.views.contacts import CaseloadView

    view = CaseloadView()
    view.setup(request)
    cases = list(view.get_queryset())  # sorted by next due; one compliance query
    compliance = getattr(view, "compliance", {})
    on = today()
    soon = on + timedelta(days=7)
    top = cases[:TOP]
    names = _names(request.user, top)
    rows = []
    for case in top:
        statuses = compliance.get(case.pk, [])
        due = min((s.due_date for s in statuses), default=None)
        problems = [s for s in statuses if s.is_problem]
        rows.append(
            {
                "case": case,
                "name": names.get(case.pk, ""),
                "next_due": due,
                "overdue": bool(problems),
                "soon": due is not None and not problems and due <= soon,
                "problems": problems,
            }
        )
    overdue = sum(1 for c in cases if any(s.is_problem for s in compliance.get(c.pk, [])))
    due_soon = sum(
        1
        for c in cases
        if not any(s.is_problem for s in compliance.get(c.pk, []))
        and any(s.due_date <= soon for s in compliance.get(c.pk, []))
    )
    return {"rows": rows, "total": len(cases), "overdue": overdue, "due_soon": due_soon}


# --- parole board member --------------------------------------------------------------------


@dashboard_panel(
    "board-queue",
    "Board review queue",
    {Role.BOARD_MEMBER},
    "dashboards/board_queue.html",
    order=20,
)
def board_queue_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """Plans submitted or under review, soonest release date first (the full queue is the
    release topic's page)."""
    from cases.models import ReleasePlan

    user = request.user
    queue = (
        ReleasePlan.objects.restrict(user, "view")
        .filter(status__in=[ReleasePlanStatus.SUBMITTED, ReleasePlanStatus.UNDER_REVIEW])
        .select_related("case__offender")
        .order_by("release_date", "pk")
    )
    plans = list(queue[:TOP])
    names = _names(user, [p.case for p in plans])
    prefetch_assignments(user, [p.case_id for p in plans])
    rows = []
    for plan in plans:
        fields = allowed_fields(user, plan.case, R.RELEASE_PLANS)
        rows.append(
            {
                "plan": plan,
                "name": names.get(plan.case_id, ""),
                "release_date": plan.release_date if "release_date" in fields else None,
                "status": plan.get_status_display() if "status" in fields else "",
            }
        )
    return {"rows": rows, "total": queue.count()}


# --- registry officer -----------------------------------------------------------------------


@dashboard_panel(
    "verification",
    "Verification work list",
    {Role.REGISTRY_OFFICER},
    "dashboards/verification.html",
    order=30,
)
def verification_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """Open registrations by next in-person verification due, soonest (overdue) first."""
    from cases.models import RegistrationRecord

    user = request.user
    work = (
        RegistrationRecord.objects.restrict(user, "view")
        .exclude(status=RegistrationStatus.ENDED)
        .filter(next_verification_due__isnull=False)
        .select_related("case__offender")
        .order_by("next_verification_due", "pk")
    )
    on = today()
    records = list(work[:TOP])
    names = _names(user, [r.case for r in records])
    prefetch_assignments(user, [r.case_id for r in records])
    rows = []
    for record in records:
        fields = allowed_fields(user, record.case, R.REGISTRATION)
        due = record.next_verification_due if "next_verification_due" in fields else None
        rows.append(
            {
                "record": record,
                "name": names.get(record.case_id, ""),
                "tier": record.get_tier_display() if "tier" in fields else "",
                "status": record.get_status_display() if "status" in fields else "",
                "due": due,
                "overdue": due is not None and due < on,
            }
        )
    counts = work.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_verification_due__lt=on)),
    )
    return {"rows": rows, **counts}


# --- victim advocate ------------------------------------------------------------------------

# What the advocate panel may show, per record type, each only where the terms share it.
ADVOCATE_STATUS_FIELDS = ("status", "release_date", "expected_release_date", "officer_name")


@dashboard_panel(
    "advocate",
    "My cases",
    {Role.VICTIM_ADVOCATE},
    "dashboards/advocate.html",
    order=40,
)
def advocate_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """Cases my agency is on the team of or advocates a victim on: only the fields our terms
    share, and the latest release and status changes we may see."""
    from cases.models import (
        BoardDecision,
        Case,
        CaseAssignment,
        ReleasePlan,
        SupervisionLevelChange,
        Victim,
    )

    user = request.user
    team = CaseAssignment.objects.filter(agency_id=staff.agency_id, end_date__isnull=True)
    victims = Victim.objects.restrict(user, "view").filter(advocate_agency_id=staff.agency_id)
    mine = Case.objects.restrict(user, "view").filter(
        Q(pk__in=team.values("case_id")) | Q(pk__in=victims.values("case_id"))
    )
    cases = list(
        mine.select_related("offender", "officer__user").order_by("-updated_at", "pk")[:20]
    )
    ids = [c.pk for c in cases]
    by_id = {c.pk: c for c in cases}
    names = _names(user, cases)
    prefetch_assignments(user, ids)
    rows = []
    for case in cases:
        fields = allowed_fields(user, case, R.STATUS)
        rows.append(
            {
                "case": case,
                "name": names.get(case.pk, ""),
                "status": case.get_status_display() if "status" in fields else None,
                "release_date": case.release_date if "release_date" in fields else None,
                "expected_release_date": case.expected_release_date
                if "expected_release_date" in fields
                else None,
                "officer": case.officer.full_name
                if "officer_name" in fields and case.officer
                else None,
                "officer_phone": case.officer.phone
                if "officer_phone" in fields and case.officer
                else None,
                "shows": {f for f in ADVOCATE_STATUS_FIELDS + ("officer_phone",) if f in fields},
            }
        )
    changes: list[dict[str, Any]] = []
    if ids:
        for change in (
            SupervisionLevelChange.objects.restrict(user, "view")
            .filter(case_id__in=ids)
            .order_by("-changed_at")[:10]
        ):
            case = by_id[change.case_id]
            if "supervision_level" in allowed_fields(user, case, R.STATUS):
                changes.append(
                    {
                        "at": change.changed_at,
                        "case": case,
                        "text": f"Supervision level now {change.get_to_level_display()}",
                    }
                )
        for plan in (
            ReleasePlan.objects.restrict(user, "view")
            .filter(case_id__in=ids)
            .order_by("-updated_at")[:10]
        ):
            fields = allowed_fields(user, by_id[plan.case_id], R.RELEASE_PLANS)
            if "status" in fields:
                text = f"Release plan {plan.get_status_display().lower()}"
                if "release_date" in fields:
                    text += f", release date {plan.release_date:%Y-%m-%d}"
                changes.append({"at": plan.updated_at, "case": by_id[plan.case_id], "text": text})
        for decision in (
            BoardDecision.objects.restrict(user, "view")
            .filter(case_id__in=ids)
            .order_by("-recorded_at")[:10]
        ):
            fields = allowed_fields(user, by_id[decision.case_id], R.BOARD_DECISIONS)
            if "decision" in fields:
                text = f"Board decision: {decision.get_decision_display()}"
                if "decided_on" in fields:
                    text += f" on {decision.decided_on:%Y-%m-%d}"
                changes.append(
                    {"at": decision.recorded_at, "case": by_id[decision.case_id], "text": text}
                )
    changes.sort(key=lambda c: c["at"], reverse=True)
    return {"rows": rows, "changes": changes[:10]}


# --- agency administrator -------------------------------------------------------------------


@dashboard_panel(
    "agency-admin",
    "Agency overview",
    {Role.AGENCY_ADMIN},
    "dashboards/agency_admin.html",
    order=50,
)
def agency_admin_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """MOUs of my agency by status with expiry dates, staff, training compliance and access
    (counts only)."""
    from agencies.models import StaffMember, TrainingRecord, TrainingRequirement
    from cases.models import AgencyWideGrant, Case, CaseGroupObjectPermission
    from mou.choices import MOUStatus
    from mou.models import MOU

    user = request.user
    on = today()
    mous = MOU.objects.restrict(user, "view")
    by_status = dict(mous.values_list("status").annotate(n=Count("pk")).order_by())
    mou_counts = [(s.label, by_status.get(s.value, 0)) for s in MOUStatus]
    live = list(
        mous.filter(status__in=[MOUStatus.ACTIVE, MOUStatus.AWAITING_SIGNATURES]).order_by(
            "expiration_date", "title"
        )[:TOP]
    )
    members = list(StaffMember.objects.restrict(user, "view").active().values_list("pk", "roles"))
    requirements = list(
        TrainingRequirement.objects.filter(
            Q(agency__isnull=True) | Q(agency_id=staff.agency_id)
        ).values_list("role", "course_id")
    )
    current = TrainingRecord.objects.restrict(user, "view").filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on)
    )
    done: dict[int, set[int]] = {}
    expiring: set[int] = set()
    for staff_id, course_id, expires_on in current.values_list(
        "staff_id", "course_id", "expires_on"
    ):
        done.setdefault(staff_id, set()).add(course_id)
        if expires_on is not None and expires_on <= on + timedelta(days=30):
            expiring.add(staff_id)
    training = Counter()
    for staff_id, roles in members:
        needed = {course for role, course in requirements if role in roles}
        if not needed:
            training["not_required"] += 1
        elif needed <= done.get(staff_id, set()):
            training["current"] += 1
        else:
            training["missing"] += 1
    training["expiring"] = len(expiring & {pk for pk, _ in members})
    lead = Case.objects.unrestricted().filter(lead_agency_id=staff.agency_id)  # counts only
    access = {
        "lead_cases": lead.count(),
        # an agency-wide grant shares every case of the provider; per-case grants the rest
        "shared_out": lead.filter(
            Exists(AgencyWideGrant.objects.filter(provider_id=OuterRef("lead_agency_id")))
            | Exists(CaseGroupObjectPermission.objects.filter(content_object_id=OuterRef("pk")))
        ).count(),
        "shared_in": Case.objects.unrestricted()
        .filter(
            Q(
                lead_agency_id__in=AgencyWideGrant.objects.filter(
                    group_id=staff.agency.group_id
                ).values("provider_id")
            )
            | Q(
                pk__in=CaseGroupObjectPermission.objects.filter(
                    group_id=staff.agency.group_id
                ).values("content_object_id")
            )
        )
        .count(),
    }
    return {
        "mou_counts": mou_counts,
        "mous": live,
        "on": on,
        "staff_count": len(members),
        "training": dict(training),
        "access": access,
    }


# --- analyst (and supervisor): aggregates only ----------------------------------------------


@dashboard_panel(
    "aggregates",
    "Caseload figures",
    {Role.ANALYST, Role.SUPERVISOR},
    "dashboards/aggregates.html",
    order=60,
)
def aggregates_panel(request: HttpRequest, staff: Any) -> dict[str, Any]:
    """Counts by case status and supervision level for the agencies the user may report on:
    numbers only, never names or rows (cases.reports decides the agencies)."""
    from cases import reports
    from cases.models import Case
    from protocols.choices import SupervisionLevel

    agencies = reports.reportable_agencies(request.user)
    # Aggregates: deliberately unrestricted over the reportable agencies (cases.reports).
    cases = Case.objects.unrestricted().filter(lead_agency__in=agencies)
    by_status = dict(cases.values_list("status").annotate(n=Count("pk")).order_by())
    supervised = cases.filter(status=CaseStatus.SUPERVISED)
    by_level = dict(supervised.values_list("supervision_level").annotate(n=Count("pk")).order_by())
    return {
        "statewide": reports.is_statewide(request.user),
        "by_status": [(s.label, by_status.get(s.value, 0)) for s in CaseStatus],
        "by_level": [(lv.label, by_level.get(lv.value, 0)) for lv in SupervisionLevel],
        "total": sum(by_status.values()),
    }
