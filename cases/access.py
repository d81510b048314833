"""Enforcement on case data: field allow-lists and (filled in by the access issue) grant sync.

Effective access = role ∩ agency standing ∩ permitted fields.
- Standing: CaseQuerySet.restrict / standing_q (lead agency, or guardian grant on the case).
- Fields: `allowed_fields(user, case, record_type)`: every field for the lead agency (and
  superusers); for a partner, the union of the `fields` of the in-force terms that give its
  agency standing on this case (provider = the case's lead agency; scope `all`, or scope
  `assigned` with the partner on the case team).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agencies.querysets import staff_of
from agencies.vocabulary import SHAREABLE_FIELDS


class AllFields(frozenset):
    """Marker: every field (lead agency, superuser)."""

    def __contains__(self, item: object) -> bool:  # noqa: D105
        return True

    def __repr__(self) -> str:
        return "AllFields()"


ALL_FIELDS = AllFields()


@dataclass
class AccessCache:
    """Per-request cache of one user's terms and case-team membership (kept on the user)."""

    on: date
    terms: dict[tuple[int, str], list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    assigned: dict[int, bool] = field(default_factory=dict)
    loaded: bool = False


def _cache(user: Any) -> AccessCache:
    today = date.today()
    cache = getattr(user, "_sartcm_access", None)
    if cache is None or cache.on != today:
        cache = AccessCache(on=today)
        user._sartcm_access = cache
    return cache


def _load_terms(user: Any, agency_id: int, cache: AccessCache) -> None:
    from mou.models import DataSharingTerm

    rows = (
        DataSharingTerm.objects.in_force(cache.on)
        .for_recipient(agency_id)
        .values_list("provider_id", "record_type", "scope", "fields")
    )
    for provider_id, record_type, scope, fields in rows:
        cache.terms.setdefault((provider_id, record_type), []).append((scope, frozenset(fields)))
    cache.loaded = True


def prefetch_assignments(user: Any, case_ids: list[int]) -> None:
    """Load, in one query, whether the user's agency is on the team of each case of a page."""
    from cases.models import CaseAssignment

    staff = staff_of(user)
    if staff is None:
        return
    cache = _cache(user)
    missing = [cid for cid in case_ids if cid not in cache.assigned]
    if not missing:
        return
    on_team = set(
        CaseAssignment.objects.filter(
            case_id__in=missing, agency_id=staff.agency_id, end_date__isnull=True
        ).values_list("case_id", flat=True)
    )
    for cid in missing:
        cache.assigned[cid] = cid in on_team


def allowed_fields(user: Any, case: Any, record_type: str) -> frozenset[str]:
    """The fields of `record_type` on `case` this user may see (ALL_FIELDS for the lead agency)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_FIELDS
    staff = staff_of(user)
    if staff is None:
        return frozenset()
    if case.lead_agency_id == staff.agency_id:
        return ALL_FIELDS
    cache = _cache(user)
    if not cache.loaded:
        _load_terms(user, staff.agency_id, cache)
    terms = cache.terms.get((case.lead_agency_id, record_type), [])
    if not terms:
        return frozenset()
    result: set[str] = set()
    for scope, fields in terms:
        if scope == "all":
            result |= fields
        else:
            if case.pk not in cache.assigned:
                prefetch_assignments(user, [case.pk])
            if cache.assigned.get(case.pk):
                result |= fields
    vocabulary = set(SHAREABLE_FIELDS[record_type])
    return frozenset(result & vocabulary)


def agencies_with_standing(case: Any, record_type: str | None = None) -> set[int]:
    """Agency ids that may view `record_type` (any record type if None) on the case:
    the lead agency plus every agency whose group holds a matching grant."""
    from agencies.models import Agency
    from cases.models import CaseGroupObjectPermission

    grants = CaseGroupObjectPermission.objects.filter(content_object_id=case.pk)
    if record_type is not None:
        grants = grants.filter(permission__codename=f"view_{record_type}")
    else:
        grants = grants.filter(permission__codename__startswith="view_")
    partner_ids = set(
        Agency.objects.filter(group_id__in=grants.values("group_id")).values_list("pk", flat=True)
    )
    return {case.lead_agency_id} | partner_ids


def agency_allowed_fields(
    agency_id: int, case: Any, record_type: str, on: date | None = None
) -> frozenset[str]:
    """Like allowed_fields, for an agency rather than a person (notifications, webhooks)."""
    from cases.models import CaseAssignment
    from mou.models import DataSharingTerm

    if case.lead_agency_id == agency_id:
        return ALL_FIELDS
    on = on or date.today()
    result: set[str] = set()
    assigned: bool | None = None
    for scope, fields in (
        DataSharingTerm.objects.in_force(on)
        .filter(recipient_id=agency_id, provider_id=case.lead_agency_id, record_type=record_type)
        .values_list("scope", "fields")
    ):
        if scope == "assigned":
            if assigned is None:
                assigned = CaseAssignment.objects.filter(
                    case=case, agency_id=agency_id, end_date__isnull=True
                ).exists()
            if not assigned:
                continue
        result |= set(fields)
    return frozenset(result & set(SHAREABLE_FIELDS[record_type]))
