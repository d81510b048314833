"""Release planning, parole board review and the hand-off to community supervision.

The plan's life (ReleasePlanStatus):

    draft ──submit──▶ submitted ──refer_to_board──▶ under_review ──record_decision──▶
        approved | approved_with_conditions | returned | denied
    submitted ──withdraw──▶ draft          returned ──(edit, submit)──▶ submitted
    approved | approved_with_conditions | denied ──record_decision (supersedes)──▶ decided
    approved | approved_with_conditions ──record_release──▶ released

Every write is a conditional UPDATE on the row's `version` (and on the statuses it may come
from), so two people never silently overwrite each other: a stale write changes nothing and
raises `PlanConflict`. Each service validates, writes in one transaction, audits, and writes
its notifications to the outbox in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from agencies.choices import AgencyKind, RecordType, Role
from agencies.models import Agency, StaffMember
from agencies.querysets import staff_of
from agencies.vocabulary import SHAREABLE_FIELDS
from cases import geo, webhooks
from cases.access import ALL_FIELDS, AllFields, allowed_fields, prefetch_assignments
from cases.choices import (
    CaseStatus,
    Decision,
    HousingStatus,
    ReleasePlanStatus,
    TeamRole,
    Vote,
)
from cases.models import (
    BoardDecision,
    BoardReview,
    BoardVote,
    Case,
    CaseAssignment,
    CaseCondition,
    HouseholdMember,
    PlanCondition,
    ReleasePlan,
    Victim,
)
from protocols.choices import SupervisionLevel
from protocols.models import (
    ChecklistItem,
    ProtectedSite,
    ResidenceRestrictionRule,
    SpecialCondition,
)
from sartcm import audit
from sartcm.models import AuditAction, AuditEvent, OutboxMessage, WebhookEvent

S = ReleasePlanStatus
RT = RecordType

# Statuses in which the planner may change the plan's content.
EDITABLE = (S.DRAFT, S.RETURNED)
# Statuses from which a (new) board decision may be recorded; a decision on an already
# decided plan supersedes the earlier one (reconsideration).
DECIDABLE = (S.UNDER_REVIEW, S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.DENIED)
RELEASABLE = (S.APPROVED, S.APPROVED_WITH_CONDITIONS)
AWAITING_REVIEW = (S.SUBMITTED, S.UNDER_REVIEW)

DECISION_TO_STATUS = {
    Decision.APPROVE: S.APPROVED,
    Decision.APPROVE_WITH_CONDITIONS: S.APPROVED_WITH_CONDITIONS,
    Decision.RETURN: S.RETURNED,
    Decision.DENY: S.DENIED,
}

TRANSITION_SERVICES = {
    "id": "Identification (state ID / birth certificate)",
    "benefits": "Benefits (SNAP, Medicaid, SSI)",
    "medication": "Medication supply and prescriptions",
    "first_appointments": "First appointments",
}

# Plan fields a planner edits directly (the workflow sets the rest).
PLAN_CONTENT_FIELDS = (
    "release_date",
    "residence_address",
    "residence_city",
    "residence_latitude",
    "residence_longitude",
    "housing_status",
    "landlord",
    "treatment_referral",
    "treatment_provider",
    "treatment_intake_date",
    "employment",
    "income_source",
    "transportation",
    "support_network",
    "exclusion_zones",
    "notification_wishes",
    "transition_services",
    "pre_registered",
    "supervision_agency",
    "supervision_officer",
)
RESIDENCE_FIELDS = frozenset(
    {
        "residence_address",
        "residence_city",
        "residence_latitude",
        "residence_longitude",
        "housing_status",
        "release_date",  # the rules in force on the release date apply
    }
)
_HOME_FIELDS = frozenset(
    {"residence_address", "residence_city", "residence_latitude", "residence_longitude"}
)

# Which record type and shareable field (agencies/vocabulary.py) governs each plan field a
# page or the API can show. A field mapped to None is for the lead agency only.
PLAN_FIELD_SOURCES: dict[str, tuple[str, str] | None] = {
    "status": (RT.RELEASE_PLANS, "status"),
    "submitted_at": (RT.RELEASE_PLANS, "status"),
    "release_date": (RT.RELEASE_PLANS, "release_date"),
    "planner_name": (RT.RELEASE_PLANS, "planner_name"),
    "residence_address": (RT.RELEASE_PLANS, "residence_address"),
    "residence_city": (RT.RELEASE_PLANS, "residence_address"),
    "residence_latitude": (RT.RELEASE_PLANS, "residence_address"),
    "residence_longitude": (RT.RELEASE_PLANS, "residence_address"),
    "restriction_check": (RT.RELEASE_PLANS, "residence_address"),
    "housing_status": (RT.RELEASE_PLANS, "housing_status"),
    "household_members": (RT.RELEASE_PLANS, "household_members"),
    "landlord": (RT.RELEASE_PLANS, "landlord"),
    "residence_approved": (RT.RELEASE_PLANS, "residence_approved"),
    "home_investigated_by_name": (RT.RELEASE_PLANS, "residence_approved"),
    "home_investigated_on": (RT.RELEASE_PLANS, "residence_approved"),
    "treatment_referral": (RT.RELEASE_PLANS, "treatment_referral"),
    "treatment_provider": (RT.RELEASE_PLANS, "treatment_referral"),
    "treatment_intake_date": (RT.RELEASE_PLANS, "treatment_referral"),
    "employment": (RT.RELEASE_PLANS, "employment"),
    "income_source": (RT.RELEASE_PLANS, "employment"),
    "transportation": (RT.RELEASE_PLANS, "transportation"),
    "support_network": (RT.RELEASE_PLANS, "support_network"),
    "special_conditions": (RT.RELEASE_PLANS, "special_conditions"),
    "transition_services": (RT.RELEASE_PLANS, "transition_services"),
    "pre_registered": (RT.RELEASE_PLANS, "pre_registered"),
    "exclusion_zones": (RT.VICTIM_SAFETY, "exclusion_zones"),
    "notification_wishes": (RT.VICTIM_SAFETY, "notification_wishes"),
    "no_contact_persons": (RT.VICTIM_SAFETY, "no_contact_persons"),
    "victims": (RT.VICTIM_SAFETY, "no_contact_persons"),
    "supervision_agency": None,
    "supervision_officer": None,
    "checklist": None,
}

# What a victim service agency may ever receive in a notification, whatever its terms say:
# never assessment items, treatment notes, rationale or votes, or other victims' identity.
VICTIM_SAFE_FIELDS: dict[str, frozenset[str]] = {
    RT.VICTIM_SAFETY: frozenset(SHAREABLE_FIELDS[RT.VICTIM_SAFETY]),
    RT.BOARD_DECISIONS: frozenset({"decision", "decided_on", "conditions", "hearing_date"}),
    RT.IDENTITY: frozenset({"first_name", "last_name"}),
}

NOTIFICATION_KIND = "notification.email"


# --------------------------------------------------------------------------- errors


class PlanConflict(Exception):
    """The plan changed since the version the edit was based on; nothing was written."""

    def __init__(self, plan: ReleasePlan, expected_version: int | None) -> None:
        self.plan_id = plan.pk
        self.expected_version = expected_version
        self.current_version = plan.version
        self.saved_at: datetime = plan.updated_at
        self.saved_by = _last_editor(plan)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        when = timezone.localtime(self.saved_at)
        who = f" ({self.saved_by})" if self.saved_by else ""
        return (
            f"Someone else{who} saved this release plan at {date_format(when, 'H:i')} on "
            f"{date_format(when, 'DATE_FORMAT')} (version {self.current_version}; your edit "
            f"was based on version {self.expected_version}). Your changes were not saved. "
            "Reload the plan to see the current version, then make your changes again."
        )


def _last_editor(plan: ReleasePlan) -> str:
    event = (
        AuditEvent.objects.filter(
            object_type="cases.releaseplan",
            object_id=str(plan.pk),
            action__in=[AuditAction.CHANGE, AuditAction.CREATE],
        )
        .order_by("-at")
        .values_list("username", flat=True)
        .first()
    )
    return event or ""


def _status_error(plan: ReleasePlan, verb: str, allowed: Iterable[str]) -> ValidationError:
    labels = " or ".join(f"“{S(s).label}”" for s in allowed)
    return ValidationError(
        {
            "status": (
                f"This plan cannot be {verb}: it is “{S(plan.status).label}”. "
                f"Only a plan that is {labels} can be {verb}."
            )
        }
    )


# --------------------------------------------------------------------------- access helpers


def _user_cache(user: Any) -> dict[tuple[int, str], frozenset[str]]:
    cache = getattr(user, "_release_visible", None)
    if cache is None:
        cache = {}
        user._release_visible = cache
    return cache


def visible_fields(user: Any, case: Case, record_type: str) -> frozenset[str]:
    """Fields of `record_type` on `case` the user may see: role ∩ standing ∩ allow-list.

    `allowed_fields` alone answers the field question from the MOU terms; this also asks the
    restricted queryset whether the user's role and agency have standing for the record type.
    """
    key = (case.pk, str(record_type))
    cache = _user_cache(user)
    if key not in cache:
        has_standing = (
            Case.objects.restrict_record(user, "view", record_type).filter(pk=case.pk).exists()
        )
        cache[key] = allowed_fields(user, case, record_type) if has_standing else frozenset()
    return cache[key]


def visible_fields_bulk(
    user: Any, cases: Sequence[Case], record_type: str
) -> dict[int, frozenset[str]]:
    """`visible_fields` for the cases of a page, with one standing query per record type."""
    cache = _user_cache(user)
    missing = [c for c in cases if (c.pk, str(record_type)) not in cache]
    if missing:
        prefetch_assignments(user, [c.pk for c in missing])  # one query, not one per case
        standing = set(
            Case.objects.restrict_record(user, "view", record_type)
            .filter(pk__in=[c.pk for c in missing])
            .values_list("pk", flat=True)
        )
        for case in missing:
            cache[(case.pk, str(record_type))] = (
                allowed_fields(user, case, record_type) if case.pk in standing else frozenset()
            )
    return {c.pk: cache[(c.pk, str(record_type))] for c in cases}


def _nothing(fields: frozenset[str]) -> bool:
    """No field at all (ALL_FIELDS is an empty frozenset subclass: never test it for truth)."""
    return not isinstance(fields, AllFields) and not fields


def is_lead(user: Any, case: Case) -> bool:
    return isinstance(allowed_fields(user, case, RT.RELEASE_PLANS), AllFields)


def plan_fields_for(user: Any, plan: ReleasePlan) -> frozenset[str]:
    """The plan fields (keys of PLAN_FIELD_SOURCES) this user may see on this plan."""
    case = plan.case
    lead = is_lead(user, case)
    result = set()
    for name, source in PLAN_FIELD_SOURCES.items():
        if source is None:
            if lead:
                result.add(name)
        elif source[1] in visible_fields(user, case, source[0]):
            result.add(name)
    return frozenset(result)


def plan_fields_writable(user: Any, plan: ReleasePlan) -> frozenset[str]:
    """The plan fields this user may change: visible, and 'change' standing for the record type."""
    case = plan.case
    visible = plan_fields_for(user, plan)
    writable = set()
    for name in visible:
        source = PLAN_FIELD_SOURCES[name]
        record_type = source[0] if source else RT.RELEASE_PLANS
        if can(user, case, "change", record_type):
            writable.add(name)
    return frozenset(writable)


def can(user: Any, case: Case, action: str, record_type: str) -> bool:
    """Role ∩ standing for an action on a record type of this case (one query, cached)."""
    cache = getattr(user, "_release_can", None)
    if cache is None:
        cache = {}
        user._release_can = cache
    key = (case.pk, action, str(record_type))
    if key not in cache:
        cache[key] = (
            Case.objects.restrict_record(user, action, record_type).filter(pk=case.pk).exists()
        )
    return cache[key]


def _require(user: Any, obj: Any, action: str) -> None:
    """Defence in depth: the object must be within restrict(user, action), else 'not found'."""
    if not type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied("Not found.")


def _staff(user: Any) -> StaffMember | None:
    return staff_of(user)


def agency_allowed_fields(
    agency: Agency, case: Case, record_type: str, on: date | None = None
) -> frozenset[str]:
    """The fields of `record_type` on `case` an AGENCY may receive (for notifications).

    Same semantics as cases.access.allowed_fields, for an agency mailbox rather than a person:
    every field for the lead agency; otherwise the union of the in-force terms from the lead
    agency to this agency for the record type (scope `all`, or `assigned` with the agency on
    the case team).
    """
    from mou.models import DataSharingTerm

    if agency.pk == case.lead_agency_id:
        return ALL_FIELDS
    on = on or timezone.localdate()
    terms = (
        DataSharingTerm.objects.in_force(on)
        .filter(recipient_id=agency.pk, provider_id=case.lead_agency_id, record_type=record_type)
        .values_list("scope", "fields")
    )
    result: set[str] = set()
    on_team: bool | None = None
    for scope, fields in terms:
        if scope == "all":
            result |= set(fields)
            continue
        if on_team is None:
            on_team = CaseAssignment.objects.filter(
                case_id=case.pk, agency_id=agency.pk, end_date__isnull=True
            ).exists()
        if on_team:
            result |= set(fields)
    return frozenset(result & set(SHAREABLE_FIELDS[record_type]))


# --------------------------------------------------------------------------- catalogue & rules


def conditions_in_force(case: Case, on: date | None = None) -> QuerySet[SpecialCondition]:
    """The special-conditions catalogue in force for the case's jurisdiction."""
    on = on or timezone.localdate()
    return SpecialCondition.objects.in_force(on).for_jurisdiction(case.jurisdiction)


def checklist_in_force(case: Case, on: date | None = None) -> QuerySet[ChecklistItem]:
    """The release-planning protocol's checklist in force for the case's jurisdiction."""
    on = on or timezone.localdate()
    return (
        ChecklistItem.objects.in_force(on)
        .for_jurisdiction(case.jurisdiction)
        .order_by("order", "code")
    )


def residence_restriction_check(plan: ReleasePlan) -> dict[str, Any]:
    """Check the proposed residence against protected sites within the protocol's distances.

    Only where a ResidenceRestrictionRule is in force for the case's jurisdiction on the plan's
    release date (NIJ: check only where a protocol sets a distance; some states bar local
    restrictions). The result is stored on the plan: status, rules, nearest site, violations.
    """
    case = plan.case
    on = plan.release_date
    result: dict[str, Any] = {
        "checked_at": timezone.now().isoformat(),
        "rules_in_force_on": on.isoformat(),
        "jurisdiction": case.jurisdiction,
        "rules": [],
        "nearest": None,
        "violations": [],
    }
    rules = list(
        ResidenceRestrictionRule.objects.in_force(on)
        .for_jurisdiction(case.jurisdiction)
        .order_by("site_kind")
    )
    if not rules:
        result.update(
            applies=False,
            status="no_restriction",
            message=f"No residence restriction applies in {case.jurisdiction}: no protocol in "
            "force sets a distance.",
        )
        return result
    limits = {rule.site_kind: rule.distance_feet for rule in rules}
    result["applies"] = True
    result["rules"] = [{"site_kind": k, "distance_feet": v} for k, v in sorted(limits.items())]
    if plan.housing_status == HousingStatus.TRANSIENT:
        result.update(
            status="not_applicable",
            message="Transient: there is no fixed residence to check; transient registration "
            "and reporting rules apply instead.",
        )
        return result
    if plan.residence_latitude is None or plan.residence_longitude is None:
        result.update(
            status="not_checked",
            message="The residence has no coordinates yet; enter latitude and longitude to "
            "run the residence-restriction check.",
        )
        return result
    lat, lon = plan.residence_latitude, plan.residence_longitude
    # Prefilter by a bounding box of the largest distance (generous), exact distance after.
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, max(limits.values()) * 3)
    sites = ProtectedSite.objects.filter(
        jurisdiction=case.jurisdiction,
        kind__in=list(limits),
        latitude__gte=Decimal(str(round(min_lat, 6))),
        latitude__lte=Decimal(str(round(max_lat, 6))),
        longitude__gte=Decimal(str(round(min_lon, 6))),
        longitude__lte=Decimal(str(round(max_lon, 6))),
    ).values("pk", "name", "kind", "latitude", "longitude")
    nearest: dict[str, Any] | None = None
    violations = []
    for site in sites:
        distance = geo.haversine_feet(lat, lon, site["latitude"], site["longitude"])
        entry = {
            "site_id": site["pk"],
            "name": site["name"],
            "kind": site["kind"],
            "distance_feet": round(distance, 1),
            "limit_feet": limits[site["kind"]],
        }
        if nearest is None or distance < nearest["distance_feet"]:
            nearest = entry
        # "Within 1,000 feet" includes exactly 1,000 feet.
        if distance <= limits[site["kind"]]:
            violations.append(entry)
    violations.sort(key=lambda v: v["distance_feet"])
    result["nearest"] = nearest
    result["violations"] = violations
    if violations:
        worst = violations[0]
        result.update(
            status="violation",
            message=f"Within {worst['limit_feet']:,} ft of {worst['name']} "
            f"({worst['kind']}, {worst['distance_feet']:,.0f} ft).",
        )
    else:
        near = (
            f" Nearest: {nearest['name']} at {nearest['distance_feet']:,.0f} ft." if nearest else ""
        )
        result.update(status="compliant", message=f"No protected site within the limits.{near}")
    return result


# --------------------------------------------------------------------------- checklist


def _filled(value: Any) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _transition_done(plan: ReleasePlan, *keys: str) -> bool:
    services = plan.transition_services or {}
    return all(_filled(services.get(key, "")) for key in keys)


Predicate = Callable[[ReleasePlan], bool]
_RESIDENCE_OK = ("no_restriction", "compliant", "not_applicable")

# Release-plan component (ChecklistItem.component) → (predicate on the plan's data, what it
# needs). A component not listed here is confirmed by hand (plan.checklist[code] = True).
COMPONENT_CHECKS: dict[str, tuple[Predicate, str]] = {
    "residence": (
        lambda p: _filled(p.residence_address) or p.housing_status == HousingStatus.TRANSIENT,
        "a proposed address, or housing status “Transient/homeless”",
    ),
    "housing_status": (lambda p: _filled(p.housing_status), "a housing status"),
    "landlord": (lambda p: _filled(p.landlord), "the landlord"),
    "home_investigation": (
        lambda p: p.residence_approved is True,
        "a home investigation by a supervision officer that approved the residence",
    ),
    "residence_restriction": (
        lambda p: (p.restriction_check or {}).get("status") in _RESIDENCE_OK,
        "a residence-restriction check with no protected site within the distance",
    ),
    "treatment": (
        lambda p: _filled(p.treatment_referral) and p.treatment_intake_date is not None,
        "a treatment referral and an intake appointment date",
    ),
    "treatment_referral": (lambda p: _filled(p.treatment_referral), "a treatment referral"),
    "treatment_intake": (
        lambda p: p.treatment_intake_date is not None,
        "an intake appointment date",
    ),
    "employment": (
        lambda p: _filled(p.employment) or _filled(p.income_source),
        "employment or a source of income",
    ),
    "transportation": (lambda p: _filled(p.transportation), "transportation"),
    "support_network": (lambda p: _filled(p.support_network), "a support network"),
    "victim_safety": (
        lambda p: _filled(p.notification_wishes),
        "the victims' notification wishes (or that there are none)",
    ),
    "special_conditions": (
        lambda p: p.conditions.exists(),
        "at least one special condition from the catalogue",
    ),
    "transition_services": (
        lambda p: _transition_done(p, *TRANSITION_SERVICES),
        "ID, benefits, medication and first appointments",
    ),
    "identification": (lambda p: _transition_done(p, "id"), "identification"),
    "benefits": (lambda p: _transition_done(p, "benefits"), "benefits"),
    "medication": (lambda p: _transition_done(p, "medication"), "medication"),
    "first_appointments": (
        lambda p: _transition_done(p, "first_appointments"),
        "first appointments",
    ),
    "pre_registration": (
        lambda p: p.pre_registered,
        "pre-registration with the registry before release",
    ),
    "supervision": (lambda p: p.supervision_agency_id is not None, "a supervising agency"),
}
COMPONENT_ALIASES = {
    "restriction": "residence_restriction",
    "residence_restrictions": "residence_restriction",
    "income": "employment",
    "support": "support_network",
    "conditions": "special_conditions",
    "transition": "transition_services",
    "id": "identification",
    "registration": "pre_registration",
    "victims": "victim_safety",
    "housing": "housing_status",
}


@dataclass
class ChecklistEntry:
    """One checklist item evaluated against a plan."""

    code: str
    text: str
    component: str
    required: bool
    done: bool
    manual: bool
    needs: str = ""


def evaluate_checklist(plan: ReleasePlan, on: date | None = None) -> list[ChecklistEntry]:
    """Every checklist item in force for the case's jurisdiction, checked against the plan."""
    entries = []
    for item in checklist_in_force(plan.case, on):
        component = COMPONENT_ALIASES.get(item.component, item.component)
        check = COMPONENT_CHECKS.get(component)
        if check is None:
            done = bool((plan.checklist or {}).get(item.code))
            entries.append(
                ChecklistEntry(
                    item.code, item.text, item.component, item.required, done, True, "confirmed"
                )
            )
        else:
            predicate, needs = check
            entries.append(
                ChecklistEntry(
                    item.code,
                    item.text,
                    item.component,
                    item.required,
                    bool(predicate(plan)),
                    False,
                    needs,
                )
            )
    return entries


def missing_items(plan: ReleasePlan, on: date | None = None) -> list[ChecklistEntry]:
    """The required checklist items the plan does not yet meet (empty: ready to submit)."""
    return [e for e in evaluate_checklist(plan, on) if e.required and not e.done]


# --------------------------------------------------------------------------- validation


def _validate_content(case: Case, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    unknown = sorted(set(data) - set(PLAN_CONTENT_FIELDS))
    for name in unknown:
        err(name, "This field is set by the workflow, not by editing the plan.")
    lat, lon = data.get("residence_latitude"), data.get("residence_longitude")
    if "residence_latitude" in data or "residence_longitude" in data:
        if (lat is None) != (lon is None):
            err("residence_latitude", "Enter both latitude and longitude, or neither.")
        if lat is not None and not -90 <= Decimal(lat) <= 90:
            err("residence_latitude", "Latitude must be between -90 and 90.")
        if lon is not None and not -180 <= Decimal(lon) <= 180:
            err("residence_longitude", "Longitude must be between -180 and 180.")
    if data.get("housing_status") and data["housing_status"] not in HousingStatus.values:
        err("housing_status", f"Choose one of: {', '.join(HousingStatus.values)}.")
    services = data.get("transition_services")
    if services is not None:
        if not isinstance(services, dict):
            err("transition_services", "Give an object with keys id, benefits, medication, ...")
        else:
            extra = sorted(set(services) - set(TRANSITION_SERVICES))
            if extra:
                err(
                    "transition_services",
                    f"Unknown item(s) {', '.join(extra)}; valid: {', '.join(TRANSITION_SERVICES)}.",
                )
    officer = data.get("supervision_officer")
    agency = data.get("supervision_agency")
    if officer is not None:
        if not officer.has_role(Role.SUPERVISION_OFFICER):
            err("supervision_officer", "Choose a staff member who is a supervision officer.")
        if agency is not None and officer.agency_id != agency.pk:
            err("supervision_officer", "The officer must work for the supervising agency.")
    if errors:
        raise ValidationError(errors)


def _clean_household(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned, errors = [], []
    for n, row in enumerate(rows, start=1):
        name = (row.get("name") or "").strip()
        relationship = (row.get("relationship") or "").strip()
        age = row.get("age")
        if not name or not relationship:
            errors.append(f"Row {n}: a household member needs a name and a relationship.")
            continue
        if age is not None and not 0 <= int(age) <= 120:
            errors.append(f"Row {n}: age must be between 0 and 120.")
            continue
        # Minors in the household matter to the board: anyone under 18 is flagged.
        is_minor = bool(row.get("is_minor")) or (age is not None and int(age) < 18)
        cleaned.append(
            {"name": name, "relationship": relationship, "age": age, "is_minor": is_minor}
        )
    if errors:
        raise ValidationError({"household_members": errors})
    return cleaned


def _clean_conditions(
    case: Case, rows: Iterable[tuple[SpecialCondition, str]]
) -> list[tuple[SpecialCondition, str]]:
    in_force = set(conditions_in_force(case).values_list("pk", flat=True))
    cleaned, errors, seen = [], [], set()
    for condition, details in rows:
        if condition.pk not in in_force:
            errors.append(
                f"“{condition}” is not in the conditions catalogue in force for "
                f"{case.jurisdiction}; choose a current version."
            )
        elif condition.pk not in seen:
            seen.add(condition.pk)
            cleaned.append((condition, details or ""))
    if errors:
        raise ValidationError({"special_conditions": errors})
    return cleaned


def _clean_victims(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned, errors = [], []
    for n, row in enumerate(rows, start=1):
        if row.get("DELETE"):
            cleaned.append(row)
            continue
        if not (row.get("name") or "").strip():
            errors.append(f"Row {n}: a no-contact person or victim needs a name.")
            continue
        cleaned.append(row)
    if errors:
        raise ValidationError({"victims": errors})
    return cleaned


# --------------------------------------------------------------------------- plan content


def _snapshot(plan: ReleasePlan, names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(plan, f"{name}_id" if name in _FK_FIELDS else name)
        out[name] = value if isinstance(value, (str, int, bool, dict, type(None))) else str(value)
    return out


_FK_FIELDS = frozenset({"treatment_provider", "supervision_agency", "supervision_officer"})


def create_plan(case: Case, user: Any, *, release_date: date, **content: Any) -> ReleasePlan:
    """Start a draft release plan for a case (one open plan per case)."""
    if not Case.objects.restrict_record(user, "add", RT.RELEASE_PLANS).filter(pk=case.pk).exists():
        raise PermissionDenied("Not found.")
    if release_date is None:
        raise ValidationError({"release_date": "Enter the expected release date."})
    _validate_content(case, content)
    if case.status not in (CaseStatus.INCARCERATED, CaseStatus.PRE_RELEASE):
        raise ValidationError(
            {
                "case": f"Release plans are made before release; this case is "
                f"“{CaseStatus(case.status).label}”."
            }
        )
    with transaction.atomic():
        if (
            ReleasePlan.objects.filter(case=case)
            .exclude(status__in=[S.DENIED, S.RELEASED, S.RETURNED])
            .exists()
        ):
            raise ValidationError({"case": "This case already has an open release plan."})
        plan = ReleasePlan(case=case, release_date=release_date, planner=_staff(user), **content)
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:  # a concurrent create won the race for the open-plan slot
            raise ValidationError({"case": "This case already has an open release plan."})
        plan.restriction_check = residence_restriction_check(plan)
        ReleasePlan.objects.filter(pk=plan.pk).update(restriction_check=plan.restriction_check)
        if case.status == CaseStatus.INCARCERATED:
            # Planning has started: the case is now pre-release.
            Case.objects.filter(pk=case.pk, status=CaseStatus.INCARCERATED).update(
                status=CaseStatus.PRE_RELEASE, version=F("version") + 1
            )
        _ensure_assignment(case, _staff(user), TeamRole.RELEASE_PLANNER)
        audit.record(user, AuditAction.CREATE, plan, changes={"after": _snapshot(plan, content)})
    return plan


def update_plan(
    plan: ReleasePlan,
    user: Any,
    *,
    expected_version: int | None,
    changes: dict[str, Any] | None = None,
    household: list[dict[str, Any]] | None = None,
    conditions: list[tuple[SpecialCondition, str]] | None = None,
    victims: list[dict[str, Any]] | None = None,
    checklist: dict[str, bool] | None = None,
) -> ReleasePlan:
    """Save an edit of the plan's content, based on `expected_version`.

    The write is `UPDATE ... WHERE id = %s AND version = %s AND status IN (editable)`: if
    someone else saved since, nothing is written and PlanConflict says who and when.
    `household`/`conditions`/`victims` replace the current rows when given (None: unchanged).
    """
    if expected_version is None:
        raise ValidationError(
            {"version": "Send the version your edit is based on (hidden field or If-Match)."}
        )
    _require(user, plan, "change")
    changes = dict(changes or {})
    case = plan.case
    _validate_content(case, changes)
    household_rows = _clean_household(household) if household is not None else None
    condition_rows = _clean_conditions(case, conditions) if conditions is not None else None
    victim_rows = _clean_victims(victims) if victims is not None else None
    if victim_rows is not None and not can(user, case, "change", RT.VICTIM_SAFETY):
        raise ValidationError({"victims": "You may not change victim-safety records."})

    before = _snapshot(plan, changes)
    moved_home = any(
        name in _HOME_FIELDS and changes[name] != getattr(plan, name) for name in changes
    )
    if moved_home:
        # A new address has not been investigated: the approval no longer holds.
        changes.update(
            residence_approved=None, home_investigated_by=None, home_investigated_on=None
        )
    if checklist is not None:
        changes["checklist"] = {code: bool(done) for code, done in checklist.items()}
    with transaction.atomic():
        updated = ReleasePlan.objects.filter(
            pk=plan.pk, version=expected_version, status__in=EDITABLE
        ).update(**changes, version=F("version") + 1, updated_at=timezone.now())
        if updated != 1:
            current = ReleasePlan.objects.get(pk=plan.pk)
            if current.version != expected_version:
                raise PlanConflict(current, expected_version)
            raise _status_error(current, "edited", EDITABLE)
        plan.refresh_from_db()
        if household_rows is not None:
            plan.household_members.all().delete()
            HouseholdMember.objects.bulk_create(
                HouseholdMember(plan=plan, case=case, **row) for row in household_rows
            )
        if condition_rows is not None:
            plan.conditions.all().delete()
            PlanCondition.objects.bulk_create(
                PlanCondition(plan=plan, case=case, condition=c, details=d)
                for c, d in condition_rows
            )
        if victim_rows is not None:
            _save_victims(case, victim_rows)
        if set(changes) & RESIDENCE_FIELDS:
            plan.restriction_check = residence_restriction_check(plan)
            ReleasePlan.objects.filter(pk=plan.pk).update(restriction_check=plan.restriction_check)
        audit.record(
            user,
            AuditAction.CHANGE,
            plan,
            changes={"before": before, "after": _snapshot(plan, before)},
            fields=sorted(
                set(changes)
                | ({"household_members"} if household_rows is not None else set())
                | ({"special_conditions"} if condition_rows is not None else set())
                | ({"victims"} if victim_rows is not None else set())
            ),
        )
    return plan


def _save_victims(case: Case, rows: list[dict[str, Any]]) -> None:
    existing = {v.pk: v for v in Victim.objects.filter(case=case)}
    for row in rows:
        victim = existing.get(row.get("id")) if row.get("id") else None
        if row.get("DELETE"):
            if victim is not None:
                victim.delete()
            continue
        values = {
            "name": row["name"].strip(),
            "no_contact": bool(row.get("no_contact", True)),
            "notify": bool(row.get("notify", True)),
            "notification_channel": row.get("notification_channel") or "",
            "notification_address": row.get("notification_address") or "",
            "advocate_agency": row.get("advocate_agency"),
        }
        if victim is None:
            Victim.objects.create(case=case, **values)
        else:
            Victim.objects.filter(pk=victim.pk).update(**values)


def record_home_investigation(
    plan: ReleasePlan,
    user: Any,
    *,
    expected_version: int | None,
    approved: bool,
    investigated_on: date,
) -> ReleasePlan:
    """A supervision officer records the outcome of the home investigation of the residence."""
    staff = _staff(user)
    if staff is None or not staff.has_role(Role.SUPERVISION_OFFICER, Role.SUPERVISOR):
        raise PermissionDenied("Only a supervision officer records a home investigation.")
    _require(user, plan, "change")
    if plan.housing_status == HousingStatus.TRANSIENT or not _filled(plan.residence_address):
        raise ValidationError(
            {"residence_approved": "There is no proposed residence to investigate."}
        )
    if investigated_on > timezone.localdate():
        raise ValidationError({"home_investigated_on": "The investigation date is in the future."})
    if expected_version is None:
        raise ValidationError({"version": "Send the version your investigation is based on."})
    with transaction.atomic():
        updated = ReleasePlan.objects.filter(
            pk=plan.pk, version=expected_version, status__in=EDITABLE
        ).update(
            residence_approved=approved,
            home_investigated_by=staff,
            home_investigated_on=investigated_on,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if updated != 1:
            current = ReleasePlan.objects.get(pk=plan.pk)
            if current.version != expected_version:
                raise PlanConflict(current, expected_version)
            raise _status_error(current, "investigated", EDITABLE)
        plan.refresh_from_db()
        audit.record(
            user,
            AuditAction.CHANGE,
            plan,
            fields=["residence_approved", "home_investigated_on"],
            changes={"after": {"residence_approved": approved, "on": investigated_on.isoformat()}},
            detail="home investigation",
        )
    return plan


def rerun_restriction_check(
    plan: ReleasePlan, user: Any, *, expected_version: int | None = None
) -> ReleasePlan:
    """Run the residence-restriction check again (e.g. after the protocol or sites changed).

    The result is derived from the plan's residence and the rules in force, so it does not
    change the plan's version; a caller that sends the version it saw is refused with
    PlanConflict if the plan changed since (the check would not be about what it saw).
    """
    _require(user, plan, "change")
    with transaction.atomic():
        if expected_version is not None:
            current = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
            if current.version != expected_version:
                raise PlanConflict(current, expected_version)
        plan.restriction_check = residence_restriction_check(plan)
        ReleasePlan.objects.filter(pk=plan.pk).update(restriction_check=plan.restriction_check)
        audit.record(
            user, AuditAction.CHANGE, plan, fields=["restriction_check"], detail="restriction check"
        )
    return plan


# --------------------------------------------------------------------------- workflow


def _transition(
    plan: ReleasePlan,
    *,
    to: str,
    allowed_from: Sequence[str],
    verb: str,
    expected_version: int | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Compare-and-swap the status: acts only if the row is still in an allowed status (and
    at the expected version when one is given). Call inside a transaction."""
    qs = ReleasePlan.objects.filter(pk=plan.pk, status__in=allowed_from)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    updated = qs.update(
        status=to, version=F("version") + 1, updated_at=timezone.now(), **(extra or {})
    )
    if updated != 1:
        current = ReleasePlan.objects.get(pk=plan.pk)
        if expected_version is not None and current.version != expected_version:
            raise PlanConflict(current, expected_version)
        raise _status_error(current, verb, allowed_from)
    plan.refresh_from_db()


def submit_plan(
    plan: ReleasePlan, user: Any, *, expected_version: int | None = None
) -> ReleasePlan:
    """Submit the plan for board review; refused, listing what is missing, until every
    required item of the release-planning checklist in force is complete."""
    _require(user, plan, "change")
    with transaction.atomic():
        locked = ReleasePlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
        if expected_version is not None and locked.version != expected_version:
            raise PlanConflict(locked, expected_version)
        if locked.status not in EDITABLE:
            raise _status_error(locked, "submitted", EDITABLE)
        # The protocol or the protected sites may have changed since the last save.
        locked.restriction_check = residence_restriction_check(locked)
        ReleasePlan.objects.filter(pk=plan.pk).update(restriction_check=locked.restriction_check)
        missing = missing_items(locked)
        if missing:
            raise ValidationError({"checklist": [f"{e.text} — needs {e.needs}." for e in missing]})
        try:
            with transaction.atomic():
                _transition(
                    plan,
                    to=S.SUBMITTED,
                    allowed_from=EDITABLE,
                    verb="submitted",
                    expected_version=expected_version,
                    extra={"submitted_at": timezone.now()},
                )
        except IntegrityError:  # a returned plan resubmitted while another plan is open
            raise ValidationError({"case": "This case already has another open release plan."})
        audit.record(user, AuditAction.CHANGE, plan, fields=["status"], detail="submitted")
    return plan


def withdraw_plan(
    plan: ReleasePlan, user: Any, *, expected_version: int | None = None
) -> ReleasePlan:
    """Take a submitted plan back to draft before it is referred to the board."""
    _require(user, plan, "change")
    with transaction.atomic():
        _transition(
            plan,
            to=S.DRAFT,
            allowed_from=(S.SUBMITTED,),
            verb="withdrawn",
            expected_version=expected_version,
            extra={"submitted_at": None},
        )
        audit.record(user, AuditAction.CHANGE, plan, fields=["status"], detail="withdrawn")
    return plan


def _ensure_assignment(
    case: Case, staff: StaffMember | None, role: str, agency: Agency | None = None
) -> CaseAssignment | None:
    """An active case-team assignment (created one by one so post_save signals re-sync access)."""
    agency = agency or (staff.agency if staff else None)
    if agency is None:
        return None
    current = CaseAssignment.objects.filter(
        case=case, agency=agency, role=role, end_date__isnull=True
    ).first()
    if current is not None:
        if staff is not None and current.staff_id is None:
            current.staff = staff
            current.save(update_fields=["staff"])
        return current
    return CaseAssignment.objects.create(
        case=case, agency=agency, staff=staff, role=role, start_date=timezone.localdate()
    )


def board_agencies() -> QuerySet[Agency]:
    """Agencies a plan can be referred to."""
    return Agency.objects.active().filter(kind=AgencyKind.PAROLE_BOARD)


def refer_to_board(
    plan: ReleasePlan, board: Agency, user: Any, *, expected_version: int | None = None
) -> BoardReview:
    """Refer a submitted plan to a parole board: under review, a BoardReview, and the board on
    the case team (so the board's `assigned`-scope MOU terms give its members standing)."""
    _require(user, plan, "change")
    if board.kind != AgencyKind.PAROLE_BOARD or not board.active:
        raise ValidationError({"board": "Choose an active parole board."})
    with transaction.atomic():
        _transition(
            plan,
            to=S.UNDER_REVIEW,
            allowed_from=(S.SUBMITTED,),
            verb="referred to the board",
            expected_version=expected_version,
        )
        review = BoardReview.objects.create(plan=plan, case=plan.case, board=board)
        _ensure_assignment(plan.case, None, TeamRole.BOARD, agency=board)
        audit.record(user, AuditAction.CREATE, review, detail=f"referred to {board.short_name}")
        audit.record(
            user,
            AuditAction.CHANGE,
            plan,
            fields=["status"],
            detail=f"referred to {board.short_name}",
        )
        notify_board(review, user)
    return review


BOARD_ALERT_RULES = ("board_referral",)  # protocols.choices.AlertRuleCode.BOARD_REFERRAL


def refresh_board_alerts(case_id: int) -> None:
    """Bring the board-referral alerts of a case in line now (inside the caller's transaction)
    rather than at the next sweep: raised on referral, resolved once the board decides."""
    from cases.alerts.engine import refresh_cases

    refresh_cases([case_id], rule_codes=BOARD_ALERT_RULES)


def notify_board(review: BoardReview, user: Any) -> list[OutboxMessage]:
    """Tell the members of the board a plan was referred to: an alert in each member's inbox
    (the board_referral alert rule) and one email each through the outbox, in the caller's
    transaction. The email is rendered at delivery from the alerts the member can still see,
    with only the facts their terms share. Once per referral: a second call for the same
    review (a retry) queues nothing; a new referral after a return is a new review."""
    from cases.models import Alert
    from sartcm.outbox import nudge_on_commit

    refresh_board_alerts(review.case_id)
    by_member: dict[int, list[int]] = {}
    for alert_id, staff_id in (
        Alert.objects.unrestricted()  # background delivery: routed to each member below
        .open()
        .filter(rule=BOARD_ALERT_RULES[0], subject_key__startswith=f"boardreview:{review.pk}:")
        .exclude(assignee__isnull=True)
        .order_by("pk")
        .values_list("pk", "assignee_id")
    ):
        by_member.setdefault(staff_id, []).append(alert_id)
    queued = set(
        OutboxMessage.objects.filter(
            kind="alert_email", payload__reason="referred", payload__review_id=review.pk
        ).values_list("payload__staff_id", flat=True)
    )
    messages = [
        OutboxMessage.objects.create(
            kind="alert_email",
            payload={
                "staff_id": staff_id,
                "alert_ids": alert_ids,
                "reason": "referred",
                "review_id": review.pk,
            },
        )
        for staff_id, alert_ids in sorted(by_member.items())
        if staff_id not in queued
    ]
    for message in messages:
        audit.record(
            user,
            AuditAction.DISSEMINATE,
            review,
            recipient_agency_id=review.board_id,
            detail=f"board referral notice to member {message.payload['staff_id']}",
        )
    if messages:
        nudge_on_commit()
    return messages


def _require_board_member(user: Any, review: BoardReview) -> StaffMember:
    staff = _staff(user)
    if staff is None or staff.agency_id != review.board_id or not staff.has_role(Role.BOARD_MEMBER):
        raise PermissionDenied(
            f"Only members of {review.board.name} act on this review (role: parole board member)."
        )
    return staff


def _require_latest_review(plan: ReleasePlan, review: BoardReview, what: str) -> None:
    """The board acts on the plan's latest referral only."""
    latest = plan.reviews.order_by("-referred_at", "-pk").values_list("pk", flat=True).first()
    if latest is not None and latest != review.pk:
        raise ValidationError({"review": f"A later referral of this plan exists; {what} on it."})


def schedule_hearing(
    review: BoardReview,
    user: Any,
    *,
    hearing_date: datetime | None,
    hearing_location: str = "",
    public_comment: str = "",
    expected_version: int | None = None,
) -> BoardReview:
    """Schedule (or reschedule) the hearing and record public comment.

    The hearing is part of the plan's review: the plan's version goes up, and a change based
    on an older `expected_version` (two board members rescheduling at once) is refused with
    PlanConflict and writes nothing.
    """
    _require(user, review, "add")
    _require_board_member(user, review)
    plan = review.plan
    if plan.status not in (S.UNDER_REVIEW,):
        raise _status_error(plan, "scheduled for a hearing", (S.UNDER_REVIEW,))
    if hearing_date is not None and hearing_date.date() < review.referred_at.date():
        raise ValidationError({"hearing_date": "The hearing cannot be before the referral."})
    _require_latest_review(plan, review, "schedule the hearing")
    with transaction.atomic():
        _transition(
            plan,
            to=S.UNDER_REVIEW,
            allowed_from=(S.UNDER_REVIEW,),
            verb="scheduled for a hearing",
            expected_version=expected_version,
        )
        locked = BoardReview.objects.select_for_update().get(pk=review.pk)
        before = {
            "hearing_date": locked.hearing_date.isoformat() if locked.hearing_date else None,
            "hearing_location": locked.hearing_location,
        }
        locked.hearing_date = hearing_date
        locked.hearing_location = hearing_location.strip()
        locked.public_comment = public_comment.strip()
        locked.save(update_fields=["hearing_date", "hearing_location", "public_comment"])
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            fields=["hearing_date", "hearing_location", "public_comment"],
            changes={
                "before": before,
                "after": {
                    "hearing_date": hearing_date.isoformat() if hearing_date else None,
                    "hearing_location": locked.hearing_location,
                },
            },
        )
    return locked


@dataclass
class VoteInput:
    """One board member's vote as entered."""

    member: StaffMember
    vote: str
    comment: str = ""


def current_decision(plan: ReleasePlan) -> BoardDecision | None:
    """The plan's decision in effect: the latest one no other decision supersedes."""
    return (
        BoardDecision.objects.filter(review__plan=plan, superseded_by__isnull=True)
        .order_by("-recorded_at", "-pk")
        .first()
    )


def record_decision(
    review: BoardReview,
    user: Any,
    *,
    decision: str,
    decided_on: date,
    rationale: str,
    votes: Sequence[VoteInput],
    conditions: str = "",
    add_conditions: Sequence[tuple[SpecialCondition, str]] = (),
) -> BoardDecision:
    """Record the board's decision with each member's vote, the conditions and the rationale.

    Immutable once recorded; a later decision on the same plan supersedes the current one.
    `add_conditions` are catalogue conditions the board imposes: they join the plan's
    conditions and so become the case's conditions on release.
    """
    _require(user, review, "add")
    staff = _require_board_member(user, review)
    plan = review.plan
    errors: dict[str, list[str]] = {}
    if decision not in Decision.values:
        errors["decision"] = [f"Choose one of: {', '.join(Decision.values)}."]
    if not (rationale or "").strip():
        errors["rationale"] = ["A decision needs a rationale."]
    if decided_on > timezone.localdate():
        errors["decided_on"] = ["The decision date is in the future."]
    elif decided_on < timezone.localtime(review.referred_at).date():
        errors["decided_on"] = ["The decision cannot be dated before the referral."]
    if (
        decision == Decision.APPROVE_WITH_CONDITIONS
        and not (conditions or "").strip()
        and not add_conditions
    ):
        errors["conditions"] = ["An approval with conditions needs the conditions."]
    if not votes:
        errors["votes"] = ["Record at least one board member's vote."]
    members = [v.member.pk for v in votes]
    if len(members) != len(set(members)):
        errors.setdefault("votes", []).append("Each member votes once.")
    for v in votes:
        if v.vote not in Vote.values:
            errors.setdefault("votes", []).append(f"{v.member}: choose a valid vote.")
        if (
            v.member.agency_id != review.board_id
            or not v.member.has_role(Role.BOARD_MEMBER)
            or not v.member.active
        ):
            errors.setdefault("votes", []).append(
                f"{v.member} is not an active member of {review.board.name}."
            )
    if errors:
        raise ValidationError(errors)
    condition_rows = _clean_conditions(plan.case, add_conditions) if add_conditions else []
    _require_latest_review(plan, review, "record the decision")
    new_status = DECISION_TO_STATUS[Decision(decision)]
    with transaction.atomic():
        previous = current_decision(plan)
        try:
            with transaction.atomic():
                _transition(
                    plan,
                    to=new_status,
                    allowed_from=DECIDABLE,
                    verb="decided",
                    expected_version=None,
                )
        except IntegrityError:  # reconsidering a denial while another plan is open
            raise ValidationError({"decision": "This case already has another open release plan."})
        record = BoardDecision.objects.create(
            review=review,
            case=plan.case,
            decision=decision,
            decided_on=decided_on,
            conditions=(conditions or "").strip(),
            rationale=rationale.strip(),
            supersedes=previous,
            recorded_by=staff,
        )
        BoardVote.objects.bulk_create(
            BoardVote(
                decision=record,
                case=plan.case,
                member=v.member,
                vote=v.vote,
                comment=(v.comment or "").strip(),
            )
            for v in votes
        )
        for condition, details in condition_rows:
            PlanCondition.objects.get_or_create(
                plan=plan, condition=condition, defaults={"case": plan.case, "details": details}
            )
        audit.record(
            user,
            AuditAction.CREATE,
            record,
            fields=["decision", "decided_on", "conditions", "rationale", "votes"],
            detail=f"supersedes decision {previous.pk}" if previous else "",
        )
        audit.record(
            user, AuditAction.CHANGE, plan, fields=["status"], detail=f"board decision {decision}"
        )
        notify_victim_agencies(plan, user, event="decision", decision=record)
        refresh_board_alerts(plan.case_id)  # decided: the members' referral alerts resolve
        webhooks.queue(
            WebhookEvent.RELEASE_DECISION,
            RecordType.BOARD_DECISIONS,
            [decision_notice(record, votes)],
        )
    return record


def decision_notice(record: BoardDecision, votes: Sequence[VoteInput]) -> webhooks.Notice:
    """The `release.decision` webhook of a recorded decision: which decision (and the one it
    supersedes) on which plan, for every agency that may see board decisions on the case; the
    decision's fields as far as the agency's allow-list goes."""
    keys = {
        "board_decision": record.pk,
        "case": record.case_id,
        "plan": record.review.plan_id,
        "review": record.review_id,
        "supersedes": record.supersedes_id,
        "recorded_at": record.recorded_at,
    }
    fields = {
        "decision": record.decision,
        "decided_on": record.decided_on,
        "conditions": record.conditions,
        "rationale": record.rationale,
        "votes": [
            {
                "member": v.member.pk,
                "member_name": v.member.full_name,
                "vote": v.vote,
                "comment": (v.comment or "").strip(),
            }
            for v in votes
        ],
        "hearing_date": record.review.hearing_date,
    }
    return webhooks.Notice(record.case_id, keys, fields)


def amend_decision(decision: BoardDecision, user: Any, **changes: Any) -> None:
    """Refused, always: a recorded decision is immutable; record a new one that supersedes it."""
    audit.record(
        user,
        AuditAction.DENIED,
        decision,
        outcome="denied",
        fields=sorted(changes),
        detail="attempt to change a recorded board decision",
    )
    raise ValidationError(
        {
            "decision": "A recorded board decision cannot be changed. Record a new decision; "
            "it will supersede this one."
        }
    )


# --------------------------------------------------------------------------- transition


def record_release(
    plan: ReleasePlan,
    released_on: date,
    user: Any,
    *,
    supervision_level: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Hand the case to community supervision, in one transaction.

    The case becomes supervised (release date, supervision start — which starts the
    contact-standard clock — and level), the plan's conditions become the case's active
    conditions, the supervision team from the plan joins the case team (the assignment
    signals re-sync MOU-scoped access), the officer is set, the plan is released, and victim
    service agencies on the case are notified with victim-safe fields only.
    """
    _require(user, plan, "change")
    case = plan.case
    if not can(user, case, "change", RT.STATUS):
        raise PermissionDenied("Recording a release changes the case status, which you may not.")
    errors: dict[str, str] = {}
    if released_on > timezone.localdate():
        errors["released_on"] = "A release is recorded when it happens, not in advance."
    elif released_on < plan.release_date:
        errors["released_on"] = (
            f"The approved release date is {plan.release_date:%Y-%m-%d}; a release cannot "
            "be recorded before it."
        )
    level = supervision_level or case.supervision_level
    if not level:
        errors["supervision_level"] = (
            "The case has no supervision level; choose low, moderate or high."
        )
    elif level not in SupervisionLevel.values:
        errors["supervision_level"] = f"Choose one of: {', '.join(SupervisionLevel.values)}."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _transition(
            plan,
            to=S.RELEASED,
            allowed_from=RELEASABLE,
            verb="released",
            expected_version=expected_version,
        )
        updated = Case.objects.filter(
            pk=case.pk, status__in=[CaseStatus.INCARCERATED, CaseStatus.PRE_RELEASE]
        ).update(
            status=CaseStatus.SUPERVISED,
            release_date=released_on,
            supervision_start=released_on,
            supervision_level=level,
            officer=plan.supervision_officer or case.officer,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if updated != 1:
            case.refresh_from_db()
            raise ValidationError(
                {
                    "case": f"The case is “{CaseStatus(case.status).label}”; only an "
                    "incarcerated or pre-release case can be released."
                }
            )
        case.refresh_from_db()
        CaseCondition.objects.bulk_create(
            CaseCondition(
                case=case, condition_id=pc.condition_id, details=pc.details, start_date=released_on
            )
            for pc in plan.conditions.all()
        )
        if plan.supervision_agency_id:
            _ensure_assignment(
                case,
                plan.supervision_officer,
                TeamRole.SUPERVISION_OFFICER,
                agency=plan.supervision_agency,
            )
        if plan.treatment_provider_id:
            _ensure_assignment(
                case, None, TeamRole.TREATMENT_PROVIDER, agency=plan.treatment_provider
            )
        audit.record(
            user,
            AuditAction.CHANGE,
            case,
            fields=["status", "release_date", "supervision_start", "supervision_level", "officer"],
            changes={"after": {"status": case.status, "release_date": released_on.isoformat()}},
            detail=f"released under plan {plan.pk}",
        )
        audit.record(user, AuditAction.CHANGE, plan, fields=["status"], detail="released")
        notify_victim_agencies(plan, user, event="release")
    return case


# --------------------------------------------------------------------------- notifications


def victim_service_agencies(case: Case) -> list[Agency]:
    """Victim service agencies on the case: team role victim advocate, or a victim's advocate."""
    ids = set(
        CaseAssignment.objects.filter(
            case=case, role=TeamRole.VICTIM_ADVOCATE, end_date__isnull=True
        ).values_list("agency_id", flat=True)
    ) | set(
        Victim.objects.filter(case=case, advocate_agency__isnull=False).values_list(
            "advocate_agency_id", flat=True
        )
    )
    return list(Agency.objects.filter(pk__in=ids, active=True).order_by("pk"))


def _agency_safe_fields(agency: Agency, case: Case, record_type: str) -> frozenset[str]:
    allowed = agency_allowed_fields(agency, case, record_type)
    safe = VICTIM_SAFE_FIELDS[record_type]
    return safe if isinstance(allowed, AllFields) else frozenset(allowed & safe)


def build_victim_notice(
    plan: ReleasePlan, agency: Agency, event: str, decision: BoardDecision | None = None
) -> tuple[str, str, list[str]]:
    """(subject, body, fields disclosed) for a victim service agency, from victim-safe fields
    its terms allow. Victims named are only those this agency advocates for."""
    case = plan.case
    vs = _agency_safe_fields(agency, case, RT.VICTIM_SAFETY)
    bd = _agency_safe_fields(agency, case, RT.BOARD_DECISIONS)
    ident = _agency_safe_fields(agency, case, RT.IDENTITY)
    lines: list[str] = []
    disclosed: list[str] = []

    def add(record_type: str, name: str, label: str, value: Any) -> None:
        if value in (None, "", []):
            return
        lines.append(f"{label}: {value}")
        disclosed.append(f"{record_type}.{name}")

    subject = {
        "decision": f"Parole board decision — case {case.case_number}",
        "release": f"Release to community supervision — case {case.case_number}",
    }[event]
    lines.append(f"Case: {case.case_number}")
    offender = case.offender
    if "first_name" in ident and "last_name" in ident:
        add(RT.IDENTITY, "name", "Offender", f"{offender.first_name} {offender.last_name}")
    if decision is not None:
        if "decision" in bd:
            add(RT.BOARD_DECISIONS, "decision", "Decision", decision.get_decision_display())
        if "decided_on" in bd:
            add(RT.BOARD_DECISIONS, "decided_on", "Decided on", decision.decided_on.isoformat())
        if "conditions" in bd:
            add(RT.BOARD_DECISIONS, "conditions", "Board conditions", decision.conditions)
        if "hearing_date" in bd and decision.review.hearing_date:
            add(
                RT.BOARD_DECISIONS,
                "hearing_date",
                "Hearing",
                timezone.localtime(decision.review.hearing_date).strftime("%Y-%m-%d %H:%M"),
            )
    if "status" in vs:
        add(RT.VICTIM_SAFETY, "status", "Status", _victim_status(plan, case, event))
    if "release_date" in vs:
        released = case.release_date if event == "release" else plan.release_date
        add(RT.VICTIM_SAFETY, "release_date", "Release date", released.isoformat())
    officer = plan.supervision_officer
    if officer is not None:
        if "officer_name" in vs:
            add(RT.VICTIM_SAFETY, "officer_name", "Supervising officer", officer.full_name)
        if "officer_phone" in vs:
            add(RT.VICTIM_SAFETY, "officer_phone", "Officer phone", officer.phone)
    if "victim_conditions" in vs:
        titles = [
            pc.condition.title
            for pc in plan.conditions.select_related("condition")
            if pc.condition.protects_victim
        ]
        add(
            RT.VICTIM_SAFETY,
            "victim_conditions",
            "Conditions protecting victims",
            "; ".join(titles),
        )
    if "exclusion_zones" in vs:
        add(RT.VICTIM_SAFETY, "exclusion_zones", "Exclusion zones", plan.exclusion_zones)
    if "notification_wishes" in vs:
        add(
            RT.VICTIM_SAFETY, "notification_wishes", "Notification wishes", plan.notification_wishes
        )
    if "no_contact_persons" in vs:
        # Only the victims this agency advocates for: never another victim's identity.
        names = list(
            Victim.objects.filter(case=case, no_contact=True, advocate_agency=agency)
            .order_by("pk")
            .values_list("name", flat=True)
        )
        add(RT.VICTIM_SAFETY, "no_contact_persons", "No contact with", "; ".join(names))
    return subject, "\n".join(lines) + "\n", disclosed


def _victim_status(plan: ReleasePlan, case: Case, event: str) -> str:
    if event == "release":
        return CaseStatus(case.status).label
    return S(plan.status).label


def _recipients(agency: Agency) -> list[str]:
    if agency.email:
        return [agency.email]
    return list(
        StaffMember.objects.active()
        .filter(agency=agency, roles__contains=[Role.VICTIM_ADVOCATE])
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def notify_victim_agencies(
    plan: ReleasePlan, user: Any, *, event: str, decision: BoardDecision | None = None
) -> list[OutboxMessage]:
    """Write one outbox notification per victim service agency on the case (same transaction)."""
    messages = []
    for agency in victim_service_agencies(plan.case):
        subject, body, fields = build_victim_notice(plan, agency, event, decision)
        to = _recipients(agency)
        if not to:
            audit.record(
                user,
                AuditAction.DISSEMINATE,
                plan,
                outcome="failure",
                recipient_agency_id=agency.pk,
                detail=f"{event} notice not sent: {agency.short_name} has no email address",
            )
            continue
        messages.append(
            OutboxMessage.objects.create(
                kind=NOTIFICATION_KIND,
                payload={
                    "to": to,
                    "subject": subject,
                    "body": body,
                    "event": f"release_plan.{event}",
                    "agency_id": agency.pk,
                    "case_id": plan.case_id,
                    "fields": fields,
                },
            )
        )
        audit.record(
            user,
            AuditAction.DISSEMINATE,
            plan,
            recipient_agency_id=agency.pk,
            fields=fields,
            detail=f"{event} notice to {agency.short_name}",
        )
    return messages


# --------------------------------------------------------------------------- presentation


@dataclass
class Row:
    """One labelled value of a plan section (name = the governing vocabulary field)."""

    name: str
    label: str
    value: Any
    items: list[str] = field(default_factory=list)
    warn: bool = False


@dataclass
class Section:
    """A titled group of rows the viewer may see."""

    title: str
    rows: list[Row]
    anchor: str = ""


def _yes_no(value: bool | None, unknown: str = "Not yet") -> str:
    return unknown if value is None else ("Yes" if value else "No")


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def plan_sections(plan: ReleasePlan, user: Any) -> list[Section]:
    """The plan as sections of rows, containing only what this viewer may see.

    One source for the detail page and the printable packet, so both show the same fields.
    """
    case = plan.case
    fields = plan_fields_for(user, plan)
    sections: list[Section] = []

    def section(title: str, anchor: str, rows: list[Row]) -> None:
        rows = [r for r in rows if r is not None]
        if rows:
            sections.append(Section(title, rows, anchor))

    def row(name: str, label: str, value: Any, **kw: Any) -> Row | None:
        return Row(name, label, value, **kw) if name in fields else None

    identity = visible_fields(user, case, RT.IDENTITY)
    offender = case.offender
    id_rows = [Row("case_number", "Case", case.case_number)]
    if "first_name" in identity and "last_name" in identity:
        id_rows.append(Row("name", "Name", f"{offender.first_name} {offender.last_name}"))
    if "date_of_birth" in identity:
        id_rows.append(Row("date_of_birth", "Date of birth", offender.date_of_birth.isoformat()))
    if "state_id" in identity and offender.state_id:
        id_rows.append(Row("state_id", "State ID", offender.state_id))
    if "doc_number" in identity and offender.doc_number:
        id_rows.append(Row("doc_number", "DOC number", offender.doc_number))
    section("Case", "case", id_rows)

    section(
        "Plan",
        "plan",
        [
            row("status", "Status", plan.get_status_display()),
            row("release_date", "Release date", _date(plan.release_date)),
            row("planner_name", "Planner", plan.planner.full_name if plan.planner else ""),
            row("submitted_at", "Submitted", _date(plan.submitted_at)),
        ],
    )
    members = list(plan.household_members.all())
    check = plan.restriction_check or {}
    section(
        "Residence",
        "residence",
        [
            row(
                "residence_address",
                "Proposed address",
                ", ".join(p for p in (plan.residence_address, plan.residence_city) if p),
            ),
            row("housing_status", "Housing status", plan.get_housing_status_display()),
            row("landlord", "Landlord", plan.landlord),
            row(
                "household_members",
                "Household members",
                f"{len(members)} listed"
                + (f", {sum(m.is_minor for m in members)} minor(s)" if members else ""),
                items=[
                    f"{m.name} ({m.relationship}"
                    + (f", age {m.age}" if m.age is not None else "")
                    + ")"
                    + (" — MINOR" if m.is_minor else "")
                    for m in members
                ],
                warn=any(m.is_minor for m in members),
            ),
            row(
                "residence_approved",
                "Home investigation",
                _yes_no(plan.residence_approved)
                + (
                    f" — {plan.home_investigated_by.full_name}, {_date(plan.home_investigated_on)}"
                    if plan.home_investigated_by and plan.home_investigated_on
                    else ""
                ),
                warn=plan.residence_approved is False,
            ),
            row(
                "restriction_check",
                "Residence-restriction check",
                check.get("message", "Not run yet."),
                warn=check.get("status") == "violation",
            ),
        ],
    )
    section(
        "Treatment",
        "treatment",
        [
            row("treatment_referral", "Referral", plan.treatment_referral),
            row(
                "treatment_provider",
                "Provider",
                plan.treatment_provider.name if plan.treatment_provider else "",
            ),
            row("treatment_intake_date", "Intake appointment", _date(plan.treatment_intake_date)),
        ],
    )
    section(
        "Employment, income, transport and support",
        "support",
        [
            row("employment", "Employment", plan.employment),
            row("income_source", "Income source", plan.income_source),
            row("transportation", "Transportation", plan.transportation),
            row("support_network", "Support network", plan.support_network),
        ],
    )
    conditions = list(plan.conditions.select_related("condition"))
    section(
        "Special conditions",
        "conditions",
        [
            row(
                "special_conditions",
                "Conditions",
                f"{len(conditions)} chosen",
                items=[
                    f"{pc.condition.title} ({pc.condition.code} v{pc.condition.version})"
                    + (f": {pc.details}" if pc.details else "")
                    for pc in conditions
                ],
            )
        ],
    )
    services = plan.transition_services or {}
    section(
        "Transition services and registration",
        "transition",
        [
            row(
                "transition_services",
                "Transition services",
                "",
                items=[
                    f"{label}: {services.get(key) or '—'}"
                    for key, label in TRANSITION_SERVICES.items()
                ],
            ),
            row("pre_registered", "Pre-registered with the registry", _yes_no(plan.pre_registered)),
        ],
    )
    section(
        "Supervision team",
        "team",
        [
            row(
                "supervision_agency",
                "Supervising agency",
                plan.supervision_agency.name if plan.supervision_agency else "",
            ),
            row(
                "supervision_officer",
                "Supervision officer",
                plan.supervision_officer.full_name if plan.supervision_officer else "",
            ),
        ],
    )
    sections.extend(_victim_section(plan, user))
    sections.extend(_board_sections(plan, user))
    return sections


def no_contact_names(plan: ReleasePlan, user: Any) -> list[str]:
    """Names of the no-contact persons this viewer may see (call only with the field shared).

    A victim service agency sees only the victims it advocates for, never others' identity.
    Uses `case.victims` so a list can prefetch it.
    """
    case = plan.case
    victims = sorted((v for v in case.victims.all() if v.no_contact), key=lambda v: v.pk)
    staff = _staff(user)
    if (
        staff is not None
        and staff.agency_id != case.lead_agency_id
        and staff.agency.kind == AgencyKind.VICTIM_SERVICES
    ):
        victims = [v for v in victims if v.advocate_agency_id == staff.agency_id]
    return [v.name for v in victims]


def _victim_section(plan: ReleasePlan, user: Any) -> list[Section]:
    case = plan.case
    vs = visible_fields(user, case, RT.VICTIM_SAFETY)
    if _nothing(vs):
        return []
    rows: list[Row] = []
    if "no_contact_persons" in vs:
        names = no_contact_names(plan, user)
        rows.append(
            Row("no_contact_persons", "No contact with", "", items=names or ["None recorded"])
        )
    if "exclusion_zones" in vs and plan.exclusion_zones:
        rows.append(Row("exclusion_zones", "Exclusion zones", plan.exclusion_zones))
    if "notification_wishes" in vs and plan.notification_wishes:
        rows.append(Row("notification_wishes", "Notification wishes", plan.notification_wishes))
    if "victim_conditions" in vs:
        titles = [
            pc.condition.title
            for pc in plan.conditions.select_related("condition")
            if pc.condition.protects_victim
        ]
        rows.append(
            Row("victim_conditions", "Conditions protecting victims", "", items=titles or ["None"])
        )
    officer = plan.supervision_officer
    if officer is not None and "officer_name" in vs:
        rows.append(Row("officer_name", "Supervising officer", officer.full_name))
    if officer is not None and "officer_phone" in vs and officer.phone:
        rows.append(Row("officer_phone", "Officer phone", officer.phone))
    if "release_date" in vs and "release_date" not in plan_fields_for(user, plan):
        rows.append(Row("release_date", "Release date", _date(plan.release_date)))
    if "status" in vs and "status" not in plan_fields_for(user, plan):
        rows.append(Row("status", "Plan status", plan.get_status_display()))
    return [Section("Victim safety", rows, "victim-safety")] if rows else []


def _board_sections(plan: ReleasePlan, user: Any) -> list[Section]:
    case = plan.case
    bd = visible_fields(user, case, RT.BOARD_DECISIONS)
    if _nothing(bd):
        return []
    sections = []
    for review in plan.reviews.select_related("board").order_by("referred_at", "pk"):
        rows = [Row("board", "Board", review.board.name)]
        if "hearing_date" in bd:
            rows.append(
                Row(
                    "hearing_date",
                    "Hearing",
                    (_date(review.hearing_date) or "Not scheduled")
                    + (f" — {review.hearing_location}" if review.hearing_location else ""),
                )
            )
            if review.public_comment:
                rows.append(Row("hearing_date", "Public comment", review.public_comment))
        for record in review.decisions.order_by("recorded_at", "pk").prefetch_related(
            "votes__member__user"
        ):
            label = "Decision" + (" (superseded)" if hasattr(record, "superseded_by") else "")
            if "decision" in bd:
                value = record.get_decision_display()
                if "decided_on" in bd:
                    value += f", {record.decided_on.isoformat()}"
                rows.append(Row("decision", label, value))
            if "conditions" in bd and record.conditions:
                rows.append(Row("conditions", "Board conditions", record.conditions))
            if "rationale" in bd:
                rows.append(Row("rationale", "Rationale", record.rationale))
            if "votes" in bd:
                rows.append(
                    Row(
                        "votes",
                        "Votes",
                        "",
                        items=[
                            f"{v.member.full_name}: {v.get_vote_display()}"
                            + (f" — {v.comment}" if v.comment else "")
                            for v in record.votes.all()
                        ],
                    )
                )
        sections.append(Section(f"Board review ({review.board.short_name})", rows, "board"))
    return sections


def render_release_packet(plan: ReleasePlan, user: Any) -> tuple[bytes, list[str]]:
    """The printable release packet for the hearing (PDF): only what this viewer may see.

    Returns the PDF and the field names it discloses (for the export audit record).
    """
    from fpdf import FPDF

    sections = plan_sections(plan, user)
    staff = _staff(user)
    pdf = FPDF(format="Letter")
    pdf.set_title(f"Release packet {plan.case.case_number}")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(
        0,
        9,
        _pdf_text(f"Release packet — case {plan.case.case_number}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 9)
    prepared_for = staff.agency.name if staff else "operations"
    pdf.multi_cell(
        0,
        5,
        _pdf_text(
            f"RESTRICTED. Prepared {timezone.localtime():%Y-%m-%d %H:%M} for {prepared_for}. "
            "Contains only the information shared with this agency under its MOU terms. "
            "Do not copy or disseminate further."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    disclosed: list[str] = []
    for sec in sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, _pdf_text(sec.title), new_x="LMARGIN", new_y="NEXT")
        for r in sec.rows:
            disclosed.append(r.name)
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(0, 5, _pdf_text(f"{r.label}:"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
            if r.value not in ("", None):
                pdf.multi_cell(0, 5, _pdf_text(str(r.value)), new_x="LMARGIN", new_y="NEXT")
            for item in r.items:
                pdf.multi_cell(0, 5, _pdf_text(f"  - {item}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output()), sorted(set(disclosed))


_PDF_REPLACEMENTS = str.maketrans(
    {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "•": "-"}
)


def _pdf_text(text: str) -> str:
    """The built-in PDF fonts cover Latin-1 only: map typographic marks, replace the rest."""
    return text.translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")
