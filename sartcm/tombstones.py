"""Tombstones: what agency systems must drop from their copies (deletions and revocations).

- Deleted: every model with `RECORD_TYPE` gets a pre_delete receiver that notes which agencies
  had standing on the object's case for its record type *at that moment* (the lead agency
  plus agencies holding the `view_<record type>` grant on the case or agency-wide), and a post_delete receiver that
  writes one `SyncTombstone` row per such agency, in the deleting transaction. Agencies that
  never saw the case never learn of the deletion.
- Revoked: `record_revocations(rows)` is called by the grant-sync service with the view grants
  it deletes; each row tells one agency to drop every record of one record type on one case.

`/api/v1/sync/removed/` (sartcm.api.sync) serves these rows to each agency.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from sartcm.models import SyncTombstone, TombstoneReason

_AGENCIES_ATTR = "_sartcm_tombstone_agencies"
_CACHE_ATTR = "_sartcm_tombstone_cache"


def agencies_with_view(
    case_ids: Iterable[int], record_type: str, leads: dict[int, int] | None = None
) -> dict[int, set[int]]:
    """case id -> agency ids that may view `record_type` on it: the lead agency plus the
    agencies whose group holds the view grant. `leads` (case id -> lead agency id) saves the
    query for leads already known."""
    from agencies.choices import permission_codename
    from cases.models import AgencyWideGrant, Case, CaseGroupObjectPermission

    ids = sorted(set(case_ids))
    known = leads if leads is not None else {}
    missing = [pk for pk in ids if pk not in known]
    if missing:
        known.update(Case.objects.filter(pk__in=missing).values_list("pk", "lead_agency_id"))
    result: dict[int, set[int]] = {pk: {known[pk]} for pk in ids if pk in known}
    codename = permission_codename("view", record_type)
    for case_id, agency_id in CaseGroupObjectPermission.objects.filter(
        content_object_id__in=ids, permission__codename=codename, group__agency__isnull=False
    ).values_list("content_object_id", "group__agency__id"):
        result.setdefault(case_id, set()).add(agency_id)
    # agency-wide grants (scope-`all` terms): every case of the provider
    wide: dict[int, set[int]] = {}
    for provider_id, agency_id in AgencyWideGrant.objects.filter(
        provider_id__in={known[pk] for pk in ids if pk in known},
        permission__codename=codename,
        group__agency__isnull=False,
    ).values_list("provider_id", "group__agency__id"):
        wide.setdefault(provider_id, set()).add(agency_id)
    for pk in ids:
        if pk in known and known[pk] in wide:
            result.setdefault(pk, set()).update(wide[known[pk]])
    return result


def _case_ids_of(instance: Any) -> list[int]:
    """The cases through which an object is seen: its case, or its offender's cases."""
    if instance._meta.label_lower == "cases.case":
        return [instance.pk]
    case_id = getattr(instance, "case_id", None)
    if case_id is not None:
        return [case_id]
    offender_id = getattr(instance, "offender_id", None)
    if instance._meta.label_lower == "cases.offender":
        offender_id = instance.pk
    if offender_id is not None:
        from cases.models import Case

        return list(Case.objects.filter(offender_id=offender_id).values_list("pk", flat=True))
    return []


def _note_standing(sender: Any, instance: Any, origin: Any = None, **kwargs: Any) -> None:
    """pre_delete: remember who had standing, before the cascade removes grants and cases.

    Memoised per delete operation (on `origin`) so deleting a case with many records costs one
    query per record type (plus one for the case's lead agency), not per record.
    """
    record_type = str(sender.RECORD_TYPE)
    holder = origin if origin is not None else instance
    try:
        cache = getattr(holder, _CACHE_ATTR)
    except AttributeError:
        cache = {}
        try:
            setattr(holder, _CACHE_ATTR, cache)
        except (AttributeError, TypeError):
            pass
    case_ids = _case_ids_of(instance)
    missing = [cid for cid in case_ids if (cid, record_type) not in cache]
    if missing:
        found = agencies_with_view(missing, record_type, leads=cache.setdefault("leads", {}))
        for cid in missing:
            cache[(cid, record_type)] = found.get(cid, set())
    agencies: set[int] = set()
    for cid in case_ids:
        agencies |= cache[(cid, record_type)]
    if not case_ids and getattr(instance, "agency_id", None) is not None:
        agencies.add(instance.agency_id)  # e.g. an agency-level alert (no case)
    setattr(instance, _AGENCIES_ATTR, (case_ids[0] if len(case_ids) == 1 else None, agencies))


def _write_tombstones(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_delete: one row per agency that had standing (inside the deleting transaction)."""
    noted = getattr(instance, _AGENCIES_ATTR, None)
    if noted is None:
        return
    case_id, agencies = noted
    now = timezone.now()
    SyncTombstone.objects.bulk_create(
        SyncTombstone(
            object_type=instance._meta.label_lower,
            object_id=instance.pk,
            case_id=case_id,
            agency_id=agency_id,
            record_type=str(sender.RECORD_TYPE),
            reason=TombstoneReason.DELETED,
            at=now,
        )
        for agency_id in sorted(agencies)
    )


def record_revocations(rows: Iterable[tuple[int, int, str]]) -> int:
    """Record that agencies lost standing: rows of (agency_id, case_id, record_type).

    Called by the grant-sync service, in its transaction, with the *view* grants it deletes
    (and, when a case changes lead agency, with the old lead agency for every record type).
    The agency's systems then drop every record of that record type on that case. Returns the
    number of rows written (duplicates in `rows` are written once).
    """
    now = timezone.now()
    unique = sorted({(int(a), int(c), str(rt)) for a, c, rt in rows})
    SyncTombstone.objects.bulk_create(
        SyncTombstone(
            object_type="cases.case",
            object_id=case_id,
            case_id=case_id,
            agency_id=agency_id,
            record_type=record_type,
            reason=TombstoneReason.REVOKED,
            at=now,
        )
        for agency_id, case_id, record_type in unique
    )
    return len(unique)


def tracked_models() -> list[type]:
    """Every model holding case data (it declares RECORD_TYPE)."""
    return [model for model in apps.get_models() if hasattr(model, "RECORD_TYPE")]


def connect() -> None:
    for model in tracked_models():
        label = model._meta.label_lower
        pre_delete.connect(_note_standing, sender=model, dispatch_uid=f"tombstone-pre-{label}")
        post_delete.connect(_write_tombstones, sender=model, dispatch_uid=f"tombstone-{label}")


def visible_tombstones(user: Any) -> Any:
    """The tombstones meant for this user's agency, of the record types the user may view
    (role ∩ API-key scopes). Superusers (operations) see every row."""
    from django.db.models import Q

    from agencies.choices import RecordType
    from agencies.querysets import staff_of
    from agencies.roles import roles_allow

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return SyncTombstone.objects.none()
    scopes = getattr(user, "_sartcm_scopes", None)
    if user.is_superuser:
        types = [str(rt) for rt in RecordType]
        agency_q = Q()
    else:
        staff = staff_of(user)
        if staff is None:
            return SyncTombstone.objects.none()
        types = [str(rt) for rt in RecordType if roles_allow(staff.roles, "view", rt)]
        agency_q = Q(agency_id=staff.agency_id) | Q(agency_id__isnull=True)
    if scopes is not None:
        types = [rt for rt in types if f"view:{rt}" in scopes]
    return SyncTombstone.objects.filter(agency_q, record_type__in=types)
