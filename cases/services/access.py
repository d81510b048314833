"""Access services: "why can I see this / why not", the grant reconcile, and audit-trail reads.

`explain(user, case)` answers per record type from the same facts enforcement uses: the role
(agencies.roles), the lead agency, the MOU terms (in force or not, and why not), the case team
and the guardian grants actually held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.choices import Action, RecordType, Role, permission_codename
from agencies.querysets import staff_of
from agencies.roles import AUDIT_ROLES, ROLE_PERMISSIONS
from cases.access import ALL_FIELDS, GrantRow, SyncResult, diff_grants, sync_grants
from cases.models import AgencyWideGrant, Case, CaseAssignment, CaseGroupObjectPermission
from mou.choices import MOUStatus, TermScope
from mou.models import DataSharingTerm
from sartcm import audit
from sartcm.models import AuditAction, AuditEvent

# --- explainer ----------------------------------------------------------------------------


@dataclass
class RecordTypeAccess:
    """What one user may do with one record type of one case, and why."""

    record_type: str
    label: str
    visible: bool = False
    fields: list[str] | None = field(default_factory=list)  # None: every field
    actions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def all_fields(self) -> bool:
        return self.fields is None


@dataclass
class Explanation:
    """The answer to "why can I (not) see this case?"."""

    case_id: int
    case_number: str
    lead_agency: str
    summary: str
    record_types: list[RecordTypeAccess]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "case_number": self.case_number,
            "lead_agency": self.lead_agency,
            "summary": self.summary,
            "record_types": [
                {
                    "record_type": r.record_type,
                    "label": r.label,
                    "visible": r.visible,
                    "all_fields": r.all_fields,
                    "fields": r.fields or [],
                    "actions": r.actions,
                    "reasons": r.reasons,
                }
                for r in self.record_types
            ],
        }


def _role_actions(roles: list[str], record_type: str) -> set[str]:
    return {a for role in roles for a in ROLE_PERMISSIONS.get(role, {}).get(record_type, ())}


def _roles_label(roles: list[str]) -> str:
    return ", ".join(str(Role(r).label) for r in roles) or "no role"


def _mou_name(term: DataSharingTerm) -> str:
    return f"MOU “{term.mou.title}”"


def _in_force(term: DataSharingTerm, on: date) -> bool:
    return (
        term.superseded_at is None
        and term.version == term.mou.terms_version
        and term.mou.is_active_on(on)
    )


def _why_not_in_force(term: DataSharingTerm, on: date) -> str:
    mou = term.mou
    name = _mou_name(term)
    if mou.status == MOUStatus.TERMINATED:
        when = timezone.localdate(mou.ended_at) if mou.ended_at else "an earlier date"
        return f"{name} was terminated on {when}: {mou.termination_reason}"
    if mou.status == MOUStatus.EXPIRED or (
        mou.status == MOUStatus.ACTIVE and mou.expiration_date and mou.expiration_date < on
    ):
        return f"{name} expired on {mou.expiration_date}."
    if mou.status == MOUStatus.DRAFT:
        return f"{name} is still a draft; it shares nothing until every party signs it."
    if mou.status == MOUStatus.AWAITING_SIGNATURES:
        return f"{name} is awaiting signatures; it shares nothing until every party signs it."
    if mou.effective_date > on:
        return f"{name} takes effect on {mou.effective_date}."
    if term.version > mou.terms_version:
        return (
            f"A pending amendment (version {term.version}) of {name} would share this once "
            "every party signs it."
        )
    return f"Term #{term.pk} of {name} was amended away (version {term.version} is history)."


def explain(user: Any, case: Case, on: date | None = None) -> Explanation:
    """Per record type: visible or not, with the lead agency, the MOU term(s) granting
    standing and the fields they share, or what is missing, expired or not allowed."""
    on = on or timezone.localdate()
    lead = case.lead_agency
    rts = list(RecordType)

    def result(summary: str, rows: list[RecordTypeAccess]) -> Explanation:
        return Explanation(case.pk, case.case_number, lead.name, summary, rows)

    def rows_with(reason: str) -> list[RecordTypeAccess]:
        return [RecordTypeAccess(rt, str(rt.label), reasons=[reason]) for rt in rts]

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        reason = "You are not signed in, or your account is deactivated: you see no case data."
        return result(reason, rows_with(reason))
    if user.is_superuser:
        rows = [
            RecordTypeAccess(
                rt,
                str(rt.label),
                visible=True,
                fields=None,
                actions=list(Action.values),
                reasons=["Superuser: operations access to every case (audited)."],
            )
            for rt in rts
        ]
        return result("You are a superuser: operations access, audited.", rows)
    staff = staff_of(user)
    if staff is None:
        reason = "Your account is not linked to an active agency: you see no case data."
        return result(reason, rows_with(reason))

    roles = list(staff.roles)
    roles_label = _roles_label(roles)
    if case.lead_agency_id == staff.agency_id:
        rows = []
        for rt in rts:
            row = RecordTypeAccess(rt, str(rt.label))
            actions = _role_actions(roles, rt)
            if Action.VIEW in actions:
                row.visible, row.fields = True, None
                row.actions = [a for a in Action.values if a in actions]
                row.reasons.append(
                    f"Your agency, {lead.name}, is the lead agency on this case: full standing."
                )
            else:
                row.reasons.append(f"Your role ({roles_label}) may not view {rt.label.lower()}.")
            rows.append(row)
        return result(f"Your agency, {lead.name}, leads this case.", rows)

    # A partner: terms from the lead agency to this agency, in force or not.
    terms = list(
        DataSharingTerm.objects.filter(provider_id=case.lead_agency_id, recipient=staff.agency_id)
        .select_related("mou")
        .order_by("-mou__updated_at", "-version", "pk")
    )
    on_team = CaseAssignment.objects.filter(
        case=case, agency_id=staff.agency_id, end_date__isnull=True
    ).exists()
    held = set(
        CaseGroupObjectPermission.objects.filter(
            content_object=case, group_id=staff.agency.group_id
        ).values_list("permission__codename", flat=True)
    ) | set(
        AgencyWideGrant.objects.filter(
            provider_id=case.lead_agency_id, group_id=staff.agency.group_id
        ).values_list("permission__codename", flat=True)
    )
    rows = []
    for rt in rts:
        row = RecordTypeAccess(rt, str(rt.label))
        role_actions = _role_actions(roles, rt)
        mine = [t for t in terms if t.record_type == rt]
        in_force = [t for t in mine if _in_force(t, on)]
        covering = [t for t in in_force if t.scope == TermScope.ALL or on_team]
        for t in in_force:
            if t not in covering:
                row.reasons.append(
                    f"{_mou_name(t)} term #{t.pk} covers assigned cases only and your agency "
                    "is not on the case team."
                )
        if covering:
            fields: set[str] = set()
            term_actions: set[str] = set()
            for t in covering:
                fields |= set(t.fields)
                term_actions |= set(t.actions)
                scope = (
                    "all cases of the lead agency"
                    if t.scope == TermScope.ALL
                    else "assigned cases, and your agency is on the case team"
                )
                row.reasons.append(
                    f"{_mou_name(t)} term #{t.pk} ({scope}) shares {', '.join(t.fields)} "
                    f"with {', '.join(t.actions)}."
                )
            row.fields = sorted(fields)
            row.actions = [a for a in Action.values if a in term_actions and a in role_actions]
            if Action.VIEW not in role_actions:
                row.reasons.append(f"Your role ({roles_label}) may not view {rt.label.lower()}.")
            elif permission_codename(Action.VIEW, rt) not in held:
                row.reasons.append(
                    "The grant for this term is not in place yet (the grant sync or the nightly "
                    "reconcile will add it)."
                )
            else:
                row.visible = True
        else:
            seen_mous: set[int] = set()
            for t in mine:
                if t in in_force or t.mou_id in seen_mous:
                    continue
                seen_mous.add(t.mou_id)
                row.reasons.append(_why_not_in_force(t, on))
            if not mine:
                row.reasons.append(
                    f"No MOU term shares {rt.label.lower()} of {lead.name}'s cases with your "
                    f"agency, {staff.agency.name}."
                )
            if Action.VIEW not in role_actions:
                row.reasons.append(f"Your role ({roles_label}) may not view {rt.label.lower()}.")
        rows.append(row)
    visible = [r for r in rows if r.visible]
    summary = (
        f"Your agency, {staff.agency.name}, sees {len(visible)} of {len(rows)} record types of "
        f"this case through MOU terms with the lead agency, {lead.name}."
        if visible
        else f"Your agency, {staff.agency.name}, has no standing on this case (lead agency: "
        f"{lead.name})."
    )
    return result(summary, rows)


# --- reconcile ----------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    missing: list[GrantRow]
    extra: list[GrantRow]
    applied: SyncResult | None = None

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra)


def reconcile(*, check: bool = False) -> ReconcileReport:
    """Compare every grant with what the in-force terms call for; unless `check`, repair the
    drift (with audited GRANT/REVOKE batches). Expected drift: 0."""
    missing, extra = diff_grants()
    report = ReconcileReport(missing=missing, extra=extra)
    if not check and report.drift:
        report.applied = sync_grants(reason="nightly reconcile")
    return report


# --- audit trail --------------------------------------------------------------------------


def can_read_case_audit(user: Any, case: Case) -> bool:
    """Only the lead agency's administrators and auditors (and superusers) see who saw a case."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return (
        staff is not None
        and staff.agency_id == case.lead_agency_id
        and any(role in AUDIT_ROLES for role in staff.roles)
    )


def can_read_agency_audit(user: Any) -> bool:
    staff = staff_of(user)
    return staff is not None and any(role in AUDIT_ROLES for role in staff.roles)


def case_audit_trail(user: Any, case: Case, *, action: str = "") -> QuerySet[AuditEvent]:
    """Every audited event on the case, newest first; the read itself is audited."""
    events = AuditEvent.objects.filter(case_id=case.pk).order_by("-at", "-pk")
    if action:
        events = events.filter(action=action)
    audit.record(
        user,
        AuditAction.AUDIT_READ,
        case,
        detail="read the case audit trail" + (f" (action={action})" if action else ""),
    )
    return events


@dataclass
class AuditFilters:
    """Filters of the agency audit trail (all optional)."""

    date_from: date | None = None
    date_to: date | None = None
    username: str = ""
    action: str = ""
    case_id: int | None = None
    outcome: str = ""
    about: str = "staff"  # staff: what our people did; cases: what anyone did on our cases

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v not in (None, "")]
        return ", ".join(parts)


def agency_audit_trail(
    user: Any, filters: AuditFilters, *, export: bool = False
) -> QuerySet[AuditEvent]:
    """The agency's own trail (its staff's actions and what was released to it), or everything
    done on its cases; newest first. The read (or export) is itself audited."""
    staff = staff_of(user)
    assert staff is not None  # views check can_read_agency_audit first
    if filters.about == "cases":
        events = AuditEvent.objects.filter(
            case_id__in=Case.objects.unrestricted()
            .filter(lead_agency_id=staff.agency_id)
            .values("pk")
        )
    else:
        events = AuditEvent.objects.filter(
            Q(agency_id=staff.agency_id) | Q(recipient_agency_id=staff.agency_id)
        )
    tz = timezone.get_current_timezone()
    if filters.date_from:
        events = events.filter(
            at__gte=timezone.make_aware(
                datetime.combine(filters.date_from, datetime.min.time()), tz
            )
        )
    if filters.date_to:
        events = events.filter(
            at__lt=timezone.make_aware(datetime.combine(filters.date_to, datetime.max.time()), tz)
        )
    if filters.username:
        events = events.filter(username__iexact=filters.username)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.case_id:
        events = events.filter(case_id=filters.case_id)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    audit.record(
        user,
        AuditAction.AUDIT_READ,
        object_type="sartcm.auditevent",
        detail=("exported" if export else "read")
        + f" the agency audit trail ({filters.describe() or 'no filters'})",
    )
    return events.order_by("-at", "-pk")


def fields_for(user: Any, case: Case, record_type: str) -> frozenset[str] | None:
    """Allowed fields as a set, or None for every field (templates and explainers)."""
    from cases.access import allowed_fields

    allowed = allowed_fields(user, case, record_type)
    return None if allowed is ALL_FIELDS else allowed
