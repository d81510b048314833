"""What "visible to this user" means for case data: role ∩ agency standing.

Standing on a case: the user's agency is the case's lead agency, or its auth group holds the
permission `<action>_<record_type>` on every case of the lead agency (AgencyWideGrant, from
scope-`all` terms) or on the case itself (guardian object permission, from scope-`assigned`
terms); both derived from the in-force MOU terms by cases.access.sync_grants. Child records inherit standing from their case.
Field allow-lists (the third check) are applied when rendering: cases.access.allowed_fields.
"""

from __future__ import annotations

from typing import Any, Self

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from agencies.choices import AgencyKind, RecordType, permission_codename
from agencies.querysets import staff_of
from agencies.roles import roles_allow
from sartcm.querysets import RestrictedQuerySet

_PERMISSION_IDS: dict[str, int] = {}


def reload_permission_ids(**kwargs: Any) -> None:
    """(Re)load the Case permission ids. Connected to post_migrate for the cases app, which runs
    after auth has (re)created the permissions — also after a test database flush, which
    recreates them with new ids."""
    _PERMISSION_IDS.clear()
    _PERMISSION_IDS.update(
        Permission.objects.filter(
            content_type__app_label="cases", content_type__model="case"
        ).values_list("codename", "id")
    )


def permission_id(codename: str) -> int:
    """Primary key of a Case object permission (cached per process; the set is fixed)."""
    if codename not in _PERMISSION_IDS:
        _PERMISSION_IDS.update(
            Permission.objects.filter(
                content_type__app_label="cases", content_type__model="case"
            ).values_list("codename", "id")
        )
    return _PERMISSION_IDS[codename]


def standing_q(user: Any, action: str, record_type: str, prefix: str = "") -> Q | None:
    """A Q over Case (or over a child via `prefix`, e.g. 'case__') selecting the cases where the
    user may do `action` on `record_type`; None means nothing. Superusers see everything."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    staff = staff_of(user)
    if staff is None or not roles_allow(staff.roles, action, record_type):
        return None
    scopes = getattr(user, "_sartcm_scopes", None)  # set by API-key authentication
    if scopes is not None and f"{action}:{record_type}" not in scopes:
        return None
    from cases.models import AgencyWideGrant, CaseGroupObjectPermission

    held = _held(staff, action, record_type)
    # scope-`all` terms: every case of the providers (one agency-wide row per permission)
    providers = AgencyWideGrant.objects.filter(**held).values("provider_id")
    # scope-`assigned` terms: the cases the agency is on the team of (one row per case)
    granted = CaseGroupObjectPermission.objects.filter(**held).values("content_object_id")
    id_field = f"{prefix}id" if prefix else "pk"
    facts = _standing_facts(staff, held)
    if facts is None:  # outside a read-only request: the general form, no query here
        return (
            Q(**{f"{prefix}lead_agency_id": staff.agency_id})
            | Q(**{f"{prefix}lead_agency_id__in": providers})
            | Q(**{f"{id_field}__in": granted})
        )
    # In a read-only request the facts are resolved once (one query) and only the parts that
    # can match are kept: a partner without agency-wide grants gets `id IN (its per-case
    # grants)` alone, which the planner drives from the grant index instead of scanning
    # every case to evaluate an OR of subplans; an agency without per-case grants gets
    # `lead_agency_id IN (its own, its providers)` alone.
    provider_ids, leads_cases, has_case_grants = facts
    lead_ids = ([staff.agency_id] if leads_cases else []) + sorted(provider_ids)
    q: Q | None = Q(**{f"{prefix}lead_agency_id__in": lead_ids}) if lead_ids else None
    if has_case_grants:
        by_grant = Q(**{f"{id_field}__in": granted})
        q = by_grant if q is None else q | by_grant
    return q


def _held(staff: Any, action: str, record_type: str) -> dict[str, int]:
    """The grant rows' keys for the staff member's agency and `<action>_<record_type>`."""
    return {
        "group_id": staff.agency.group_id,
        "permission_id": permission_id(permission_codename(action, record_type)),
    }


def _facts_sql(group: str, agency: str) -> dict[str, str]:
    """SQL for the standing facts of an agency (`group`, `agency`: SQL expressions of its auth
    group id and its id): agency-wide (permission, provider) pairs, whether it leads any case,
    and the permissions (of the one %s array parameter) it holds on at least one case."""
    from cases.models import AgencyWideGrant, Case, CaseGroupObjectPermission

    return {
        "_standing_wide": f"""ARRAY(SELECT ARRAY[permission_id, provider_id]
            FROM {AgencyWideGrant._meta.db_table} WHERE group_id = {group})""",
        # "the smallest lead agency id at or above the agency's is the agency's": an ordered
        # index probe whatever the planner guesses (a correlated EXISTS was planned as a
        # sequential scan of every case for an agency that leads none: 11 ms)
        "_standing_leads": f"""(SELECT lead_agency_id FROM {Case._meta.db_table}
            WHERE lead_agency_id >= {agency} ORDER BY lead_agency_id LIMIT 1) = {agency}""",
        "_standing_granted": f"""ARRAY(SELECT p FROM unnest(%s::integer[]) AS p
            WHERE EXISTS(SELECT 1 FROM {CaseGroupObjectPermission._meta.db_table}
                         WHERE group_id = {group} AND permission_id = p))""",
    }


def _all_permission_ids() -> list[int]:
    if not _PERMISSION_IDS:
        reload_permission_ids()
    return sorted(set(_PERMISSION_IDS.values()))


def standing_facts_select() -> tuple[dict[str, str], list[Any]]:
    """`extra(select=..., select_params=...)` that loads the standing facts of a StaffMember
    row fetched with `select_related("agency")`, in the same query (see keep_standing_facts)."""
    return standing_facts_sql('"agencies_agency"."group_id"', '"agencies_staffmember"."agency_id"')


def standing_facts_sql(group: str, agency: str) -> tuple[dict[str, str], list[Any]]:
    """The standing facts' select expressions (name → SQL) for a staff row whose agency's
    group id and agency id are the SQL expressions `group` and `agency`, and their parameters
    (in order of the expressions); set them as attributes of the StaffMember for
    keep_standing_facts (sartcm.security.signin loads them with the signed-in user)."""
    return _facts_sql(group, agency), [_all_permission_ids()]


def keep_standing_facts(staff: Any) -> None:
    """Keep the facts loaded by standing_facts_select() for the rest of a read-only request."""
    from sartcm.context import current

    kept = current().standing
    if kept is not None and hasattr(staff, "_standing_wide"):
        _keep(
            kept,
            staff.agency_id,
            staff.agency.group_id,
            staff._standing_wide,
            staff._standing_leads,
            staff._standing_granted,
        )


def _keep(
    kept: dict, agency_id: int, group_id: int, wide: list, leads: bool, granted: list
) -> None:
    providers: dict[int, list[int]] = {}
    for perm, provider in wide:
        providers.setdefault(perm, []).append(provider)
    kept[(agency_id, group_id)] = (providers, bool(leads), set(granted))


def _standing_facts(staff: Any, held: dict[str, int]) -> tuple[list[int], bool, bool] | None:
    """For the staff member's agency and one permission: the providers granting it
    agency-wide, whether the agency leads any case, whether it holds the permission on any
    case. Resolved for every permission at once (a few index probes; usually loaded with the
    staff record by the account-state query of the security middleware), kept for the rest
    of a read-only request; None elsewhere."""
    from sartcm.context import current

    kept = current().standing
    if kept is None:
        return None
    return _facts_from(kept, staff, held)


def _facts_from(kept: dict, staff: Any, held: dict[str, int]) -> tuple[list[int], bool, bool]:
    """The facts for one permission from `kept`, loading the agency's first (one query)."""
    from django.db import connection

    key = (staff.agency_id, held["group_id"])
    if key not in kept:
        group_id = held["group_id"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(_facts_sql("%s", "%s").values()),
                [group_id, staff.agency_id, staff.agency_id, _all_permission_ids(), group_id],
            )
            _keep(kept, staff.agency_id, group_id, *cursor.fetchone())
    providers, leads_cases, with_case_grants = kept[key]
    perm = held["permission_id"]
    return providers.get(perm, []), leads_cases, perm in with_case_grants


def standing_by_case_grants_only(user: Any, action: str, record_type: str) -> bool:
    """The user may do `action` on `record_type` through per-case grants alone: a partner
    whose agency leads no case and holds no agency-wide grant for it, so the cases it may see
    are those of its case teams (hundreds, not the state's). Lets a search start from those
    cases (cases.search). Uses the request's standing facts; outside a read-only request it
    loads them (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    staff = staff_of(user)
    if staff is None:
        return False
    held = _held(staff, action, record_type)
    facts = _standing_facts(staff, held)
    providers, leads_cases, with_case_grants = (
        _facts_from({}, staff, held) if facts is None else facts
    )
    return with_case_grants and not providers and not leads_cases


class CaseQuerySet(RestrictedQuerySet):
    def _restrict(self, user: Any, action: str) -> Self:
        return self.restrict_record(user, action, RecordType.STATUS)

    def restrict_record(self, user: Any, action: str, record_type: str) -> Self:
        q = standing_q(user, action, record_type)
        return self.none() if q is None else self.filter(q)

    def supervised(self) -> Self:
        return self.filter(status="supervised")

    def open(self) -> Self:
        return self.exclude(status__in=["discharged", "deceased"])


class CaseRecordQuerySet(RestrictedQuerySet):
    """Queryset for records that hang off a case (`case` foreign key, `RECORD_TYPE` on the model)."""

    def _restrict(self, user: Any, action: str) -> Self:
        q = standing_q(user, action, self.model.RECORD_TYPE, prefix="case__")
        return self.none() if q is None else self.filter(q)


class BoardScopedQuerySet(CaseRecordQuerySet):
    """Release plans and the board's records: a parole board sees only what was referred to it.

    Standing on the case is not enough for a board: it joins the case team when a plan is
    referred and stays until release, so its standing would otherwise reach the case's next
    (draft) plan, or a review of another board. The model's BOARD_FIELD is the path from a
    row to the reviewing board (for a plan, any of its referrals).
    """

    def _restrict(self, user: Any, action: str) -> Self:
        restricted = super()._restrict(user, action)
        staff = staff_of(user)
        if user.is_superuser or staff is None or staff.agency.kind != AgencyKind.PAROLE_BOARD:
            return restricted
        referred = self.model.objects.filter(**{self.model.BOARD_FIELD: staff.agency_id})
        return restricted.filter(
            Q(case__lead_agency_id=staff.agency_id) | Q(pk__in=referred.values("pk"))
        )


class OffenderQuerySet(RestrictedQuerySet):
    def _restrict(self, user: Any, action: str) -> Self:
        from cases.models import Case

        cases: QuerySet = Case.objects.restrict_record(user, action, RecordType.IDENTITY)
        return self.filter(pk__in=cases.values("offender_id"))


class OffenderRecordQuerySet(RestrictedQuerySet):
    """Records that hang off an offender (aliases, convictions): identity standing."""

    def _restrict(self, user: Any, action: str) -> Self:
        from cases.models import Case

        cases: QuerySet = Case.objects.restrict_record(user, action, RecordType.IDENTITY)
        return self.filter(offender_id__in=cases.values("offender_id"))


class AlertQuerySet(CaseRecordQuerySet):
    def open(self) -> Self:
        return self.filter(status__in=["open", "acknowledged"])

    def _restrict(self, user: Any, action: str) -> Self:
        # Case alerts follow standing on the case (status record type); agency-level alerts
        # (MOU, training) are visible to the agency they were raised for; everyone sees the
        # alerts assigned or escalated to them; supervisors see every alert of their agency.
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        q = (
            Q(case__isnull=True, agency_id=staff.agency_id)
            | Q(assignee_id=staff.pk)
            | Q(escalated_to_id=staff.pk)
        )
        if staff.has_role("supervisor"):
            q |= Q(agency_id=staff.agency_id)
        case_q = standing_q(user, "view", RecordType.STATUS, prefix="case__")
        if case_q is not None:
            q |= Q(case__isnull=False) & case_q
        return self.filter(q)
