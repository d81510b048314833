"""Enforcement on case data: field allow-lists and grant sync.

Effective access = role ∩ agency standing ∩ permitted fields.
- Standing: CaseQuerySet.restrict / standing_q (lead agency, or guardian grant on the case).
  Grants are derived state: `sync_grants` recomputes them from the in-force MOU terms and the
  case teams and applies the difference in SQL; `diff_grants` reports drift without changing.
- Fields: `allowed_fields(user, case, record_type)`: nothing when the user's role may not view
  the record type; every field for the lead agency (and superusers); for a partner, the union
  of the `fields` of the in-force terms that give its agency standing on this case
  (provider = the case's lead agency; scope `all`, or scope `assigned` with the partner on
  the case team).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agencies.choices import Action
from agencies.querysets import staff_of
from agencies.roles import roles_allow
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
    if staff is None or not roles_allow(staff.roles, Action.VIEW, record_type):
        return frozenset()  # role first: a role that may not view the record type sees nothing
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


# --- grants: derived from in-force terms and case teams ---------------------------------------


@dataclass
class SyncResult:
    """What one `sync_grants` run changed."""

    granted: int = 0
    revoked: int = 0

    @property
    def drift(self) -> int:
        return self.granted + self.revoked


@dataclass(frozen=True)
class GrantRow:
    """One guardian grant, named for people (used by reconcile reports)."""

    agency: str
    permission: str
    case_number: str
    case_id: int


# Serialises grant syncs so two concurrent syncs cannot interleave their reads and writes.
_SYNC_LOCK_KEY = 74_061_530


def _tables() -> dict[str, str]:
    from django.contrib.auth.models import Permission

    from agencies.models import Agency
    from cases.models import Case, CaseAssignment, CaseGroupObjectPermission
    from mou.models import MOU, DataSharingTerm

    return {
        "term": DataSharingTerm._meta.db_table,
        "mou": MOU._meta.db_table,
        "agency": Agency._meta.db_table,
        "case": Case._meta.db_table,
        "assignment": CaseAssignment._meta.db_table,
        "perm": Permission._meta.db_table,
        "grant": CaseGroupObjectPermission._meta.db_table,
    }


def _case_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    from cases.models import Case

    return ContentType.objects.get_for_model(Case).pk


# Term `t` of MOU `m` is in force on %(on)s (DataSharingTerm.objects.in_force, in SQL).
IN_FORCE_SQL = """(t.superseded_at IS NULL
          AND t.version = m.terms_version
          AND m.status = 'active'
          AND m.effective_date <= %(on)s
          AND (m.expiration_date IS NULL OR m.expiration_date >= %(on)s))"""


def _covers_sql(case: str) -> str:
    """Term `t` covers case row `case`: scope all, or its recipient is on the case team."""
    return f"""(t.scope = 'all' OR EXISTS (
                SELECT 1 FROM {_tables()["assignment"]} ca
                WHERE ca.case_id = {case}.id AND ca.agency_id = t.recipient_id
                  AND ca.end_date IS NULL))"""


def _partner_terms_sql(agency: str, case: str, join: str = "") -> str:
    """FROM/WHERE of the in-force terms from the lead agency of case row `case` to agency row
    `agency` for %(_sees_record_type)s that cover the case (aliases `t`, `m`; `join` adds
    to the FROM)."""
    t = _tables()
    return f"""{t["term"]} t JOIN {t["mou"]} m ON m.id = t.mou_id {join}
                     WHERE t.recipient_id = {agency}.id AND t.provider_id = {case}.lead_agency_id
                       AND t.record_type = %(_sees_record_type)s
                       AND {IN_FORCE_SQL}
                       AND {_covers_sql(case)}"""


def agency_sees_field_sql(
    agency: str, case: str, record_type: str, field_name: str | None = None
) -> tuple[str, dict[str, Any]]:
    """SQL predicate: agency row `agency` may see `field_name` of `record_type` on case row
    `case` on %(on)s — `agencies_with_standing(case, record_type)` and `agency_allowed_fields`
    as one set-based test, for what is queued in SQL for many cases at once (webhooks).
    Without `field_name`: the agency may see the record type on the case at all.

    The lead agency sees every field; a partner needs the view grant on the case and an
    in-force term from the lead agency for the record type that covers the case (and lists
    the field). Returns (sql, params)."""
    if field_name is not None and field_name not in SHAREABLE_FIELDS[record_type]:
        raise ValueError(f"{field_name!r} is not a shareable field of {record_type!r}")
    t = _tables()
    lists_field = "AND %(_sees_field)s = ANY(t.fields)" if field_name is not None else ""
    sql = f"""({agency}.id = {case}.lead_agency_id OR (
        EXISTS (SELECT 1 FROM {t["grant"]} g
                 WHERE g.content_object_id = {case}.id AND g.group_id = {agency}.group_id
                   AND g.permission_id = (
                       SELECT p.id FROM {t["perm"]} p
                         JOIN django_content_type ct ON ct.id = p.content_type_id
                        WHERE ct.app_label = 'cases' AND ct.model = 'case'
                          AND p.codename = %(_sees_permission)s))
        AND EXISTS (SELECT 1 FROM {_partner_terms_sql(agency, case)} {lists_field})))"""
    params = {
        "_sees_permission": f"view_{record_type}",  # looked up in SQL: no query, no cache
        "_sees_record_type": record_type,
        "_sees_field": field_name,
    }
    return sql, params


def agency_fields_sql(agency: str, case: str, record_type: str) -> tuple[str, dict[str, Any]]:
    """SQL text[]: the fields of `record_type` on case row `case` agency row `agency` may see
    on %(on)s — `agency_allowed_fields` in SQL: every shareable field for the lead agency, for
    a partner the shareable fields its in-force terms covering the case list. Use it next to
    `agency_sees_field_sql` (same params). Returns (sql, params)."""
    terms = _partner_terms_sql(agency, case, join="CROSS JOIN LATERAL unnest(t.fields) f")
    sql = f"""(CASE WHEN {agency}.id = {case}.lead_agency_id THEN %(_fields_all)s::text[]
        ELSE ARRAY(SELECT DISTINCT f FROM {terms} AND f = ANY(%(_fields_all)s::text[])) END)"""
    return sql, {
        "_sees_record_type": record_type,
        "_fields_all": list(SHAREABLE_FIELDS[record_type]),
    }


def _desired_sql(case_ids: list[int] | None, agency_ids: list[int] | None) -> str:
    """The grants the in-force terms call for: (group_id, permission_id, case_id, term_id)."""
    scope = ""
    if case_ids is not None:
        scope += " AND c.id = ANY(%(case_ids)s)"
    if agency_ids is not None:
        scope += " AND t.recipient_id = ANY(%(agency_ids)s)"
    return """
        SELECT ag.group_id, p.id AS permission_id, c.id AS case_id, MIN(t.id) AS term_id
        FROM {term} t
        JOIN {mou} m ON m.id = t.mou_id
        JOIN {agency} ag ON ag.id = t.recipient_id
        JOIN {case} c ON c.lead_agency_id = t.provider_id
        CROSS JOIN LATERAL unnest(t.actions) AS a(action)
        JOIN {perm} p ON p.content_type_id = %(ct)s AND p.codename = a.action || '_' || t.record_type
        WHERE {in_force}
          AND {covers}
          {scope}
        GROUP BY ag.group_id, p.id, c.id
    """.format(scope=scope, in_force=IN_FORCE_SQL, covers=_covers_sql("c"), **_tables())


def _existing_scope_sql(case_ids: list[int] | None, agency_ids: list[int] | None) -> str:
    """WHERE clause (over grant rows `g`) limiting a sync to the given cases / agencies."""
    clauses = ["TRUE"]
    if case_ids is not None:
        clauses.append("g.content_object_id = ANY(%(case_ids)s)")
    if agency_ids is not None:
        clauses.append(
            "g.group_id IN (SELECT group_id FROM {agency} WHERE id = ANY(%(agency_ids)s))".format(
                **_tables()
            )
        )
    return " AND ".join(clauses)


def _params(
    case_ids: list[int] | None, agency_ids: list[int] | None, on: date | None
) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "ct": _case_content_type_id(),
        "on": on or timezone.localdate(),
        "case_ids": case_ids,
        "agency_ids": agency_ids,
    }


def _ids(values: Any) -> list[int] | None:
    return None if values is None else sorted({int(v) for v in values})


def sync_grants(
    case_ids: Any = None, agency_ids: Any = None, *, on: date | None = None, reason: str = ""
) -> SyncResult:
    """Make the guardian grants on cases equal to what the in-force MOU terms call for.

    Desired grant: group of the term's recipient, permission `<action>_<record_type>` for each
    action of the term, on every case whose lead agency is the term's provider (scope `all`),
    or only those with an active assignment of the recipient (scope `assigned`). The lead
    agency's standing stays implicit (no rows). The difference is applied set-based in SQL
    (INSERT ... SELECT ... ON CONFLICT DO NOTHING, DELETE ... WHERE NOT EXISTS), limited to the
    given cases and/or recipient agencies when given, and each batch is audited with the MOU
    term that caused it. Syncs are serialised by a transaction-level advisory lock.
    """
    from django.db import connection, transaction

    case_list, agency_list = _ids(case_ids), _ids(agency_ids)
    if case_list == [] or agency_list == []:
        return SyncResult()
    params = _params(case_list, agency_list, on)
    desired = _desired_sql(case_list, agency_list)
    t = _tables()
    insert_sql = f"""
        WITH desired AS ({desired}),
        ins AS (
            INSERT INTO {t["grant"]} (group_id, permission_id, content_object_id)
            SELECT group_id, permission_id, case_id FROM desired
            ON CONFLICT (group_id, permission_id, content_object_id) DO NOTHING
            RETURNING group_id, permission_id, content_object_id
        )
        SELECT d.term_id, array_agg(DISTINCT p.codename ORDER BY p.codename),
               array_agg(DISTINCT ins.content_object_id ORDER BY ins.content_object_id),
               COUNT(*)
        FROM ins
        JOIN desired d ON d.group_id = ins.group_id AND d.permission_id = ins.permission_id
                      AND d.case_id = ins.content_object_id
        JOIN {t["perm"]} p ON p.id = ins.permission_id
        GROUP BY d.term_id
    """
    delete_sql = f"""
        WITH desired AS ({desired}),
        del AS (
            DELETE FROM {t["grant"]} g
            WHERE {_existing_scope_sql(case_list, agency_list)}
              AND NOT EXISTS (
                SELECT 1 FROM desired d
                WHERE d.group_id = g.group_id AND d.permission_id = g.permission_id
                  AND d.case_id = g.content_object_id)
            RETURNING g.group_id, g.permission_id, g.content_object_id
        ),
        tombstones AS (
            -- a lost *view* grant means the agency's systems must drop that record type on
            -- that case: leave a revocation tombstone for incremental sync (sartcm.tombstones)
            INSERT INTO sartcm_synctombstone
                (object_type, object_id, case_id, agency_id, record_type, reason, at)
            SELECT 'cases.case', del.content_object_id, del.content_object_id, ag.id,
                   substr(p.codename, 6), 'revoked', now()
            FROM del
            JOIN {t["perm"]} p ON p.id = del.permission_id
            JOIN {t["agency"]} ag ON ag.group_id = del.group_id
            WHERE p.codename LIKE 'view\\_%%'
        )
        SELECT cause.term_id, ag.id, array_agg(DISTINCT p.codename ORDER BY p.codename),
               array_agg(DISTINCT del.content_object_id ORDER BY del.content_object_id),
               COUNT(*)
        FROM del
        JOIN {t["perm"]} p ON p.id = del.permission_id
        LEFT JOIN {t["agency"]} ag ON ag.group_id = del.group_id
        LEFT JOIN {t["case"]} c ON c.id = del.content_object_id
        LEFT JOIN LATERAL (
            -- the term that used to grant it: same recipient, provider and permission, the
            -- most recently changed MOU first (expired, terminated or amended away)
            SELECT t.id AS term_id
            FROM {t["term"]} t JOIN {t["mou"]} m ON m.id = t.mou_id
            WHERE t.recipient_id = ag.id AND t.provider_id = c.lead_agency_id
              AND p.codename IN (SELECT a || '_' || t.record_type FROM unnest(t.actions) a)
            ORDER BY m.updated_at DESC, t.id DESC
            LIMIT 1
        ) cause ON TRUE
        GROUP BY cause.term_id, ag.id
    """
    result = SyncResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SYNC_LOCK_KEY])
        cursor.execute(delete_sql, params)
        revoked = cursor.fetchall()
        cursor.execute(insert_sql, params)
        granted = cursor.fetchall()
        result.revoked = sum(row[-1] for row in revoked)
        result.granted = sum(row[-1] for row in granted)
        _audit_batches(granted, revoked, reason)
    return result


_MAX_AUDITED_IDS = 1000


def _audit_batches(granted: list[tuple], revoked: list[tuple], reason: str) -> None:
    """One GRANT / REVOKE audit row per term (batch), naming the MOU and term."""
    from agencies.models import Agency
    from mou.models import DataSharingTerm
    from sartcm import audit
    from sartcm.models import AuditAction

    if not granted and not revoked:
        return
    term_ids = {row[0] for row in granted} | {row[0] for row in revoked if row[0] is not None}
    terms = {
        term.pk: term
        for term in DataSharingTerm.objects.filter(pk__in=term_ids).select_related(
            "mou", "provider", "recipient"
        )
    }
    agencies = dict(
        Agency.objects.filter(pk__in={row[1] for row in revoked if row[1]}).values_list(
            "pk", "short_name"
        )
    )
    suffix = f" ({reason})" if reason else ""

    def describe(term: DataSharingTerm) -> str:
        return (
            f"MOU {term.mou.title!r} (#{term.mou_id}, {term.mou.get_status_display().lower()}) "
            f"term #{term.pk} v{term.version}: {term.provider.short_name} → "
            f"{term.recipient.short_name}, {term.get_record_type_display()}, scope {term.scope}"
        )

    for term_id, codenames, case_ids, count in granted:
        term = terms[term_id]
        audit.record(
            None,
            AuditAction.GRANT,
            term,
            case_id=case_ids[0] if count and len(case_ids) == 1 else None,
            recipient_agency_id=term.recipient_id,
            changes={
                "mou": term.mou_id,
                "term": term.pk,
                "permissions": codenames,
                "cases": case_ids[:_MAX_AUDITED_IDS],
                "count": count,
            },
            detail=f"granted {', '.join(codenames)} on {len(case_ids)} case(s) by "
            f"{describe(term)}{suffix}",
        )
    for term_id, agency_id, codenames, case_ids, count in revoked:
        term = terms.get(term_id) if term_id is not None else None
        cause = (
            describe(term)
            if term is not None
            else "no MOU term covers it (case team, lead agency or grant changed)"
        )
        audit.record(
            None,
            AuditAction.REVOKE,
            term,
            case_id=case_ids[0] if len(case_ids) == 1 else None,
            recipient_agency_id=agency_id,
            object_type="" if term is not None else "cases.casegroupobjectpermission",
            changes={
                "mou": term.mou_id if term else None,
                "term": term_id,
                "agency": agencies.get(agency_id, agency_id),
                "permissions": codenames,
                "cases": case_ids[:_MAX_AUDITED_IDS],
                "count": count,
            },
            detail=f"revoked {', '.join(codenames)} from {agencies.get(agency_id, agency_id)} on "
            f"{len(case_ids)} case(s): {cause}{suffix}",
        )


def diff_grants(
    case_ids: Any = None, agency_ids: Any = None, *, on: date | None = None
) -> tuple[list[GrantRow], list[GrantRow]]:
    """(missing, extra): grants the in-force terms call for but the database lacks, and grants
    the database holds that no in-force term calls for. Changes nothing."""
    from django.db import connection

    case_list, agency_list = _ids(case_ids), _ids(agency_ids)
    params = _params(case_list, agency_list, on)
    desired = _desired_sql(case_list, agency_list)
    t = _tables()
    existing = f"""
        SELECT g.group_id, g.permission_id, g.content_object_id AS case_id FROM {t["grant"]} g
        WHERE {_existing_scope_sql(case_list, agency_list)}
    """
    named = """
        SELECT COALESCE(ag.short_name, 'group ' || x.group_id::text), p.codename,
               c.case_number, c.id
        FROM ({body}) x
        LEFT JOIN {agency} ag ON ag.group_id = x.group_id
        JOIN {perm} p ON p.id = x.permission_id
        JOIN {case} c ON c.id = x.case_id
        ORDER BY c.case_number, 1, 2
    """
    missing_body = f"SELECT group_id, permission_id, case_id FROM ({desired}) d EXCEPT {existing}"
    extra_body = f"{existing} EXCEPT SELECT group_id, permission_id, case_id FROM ({desired}) d"
    with connection.cursor() as cursor:
        cursor.execute(named.format(body=missing_body, **t), params)
        missing = [GrantRow(*row) for row in cursor.fetchall()]
        cursor.execute(named.format(body=extra_body, **t), params)
        extra = [GrantRow(*row) for row in cursor.fetchall()]
    return missing, extra


def count_coverage(
    specs: list[tuple[int, int, str]] | Any,
) -> tuple[list[int], dict[int, int]]:
    """For MOU previews: cases each (provider, recipient, scope) term would cover today, and
    distinct cases per recipient. Aggregates over all cases, deliberately unrestricted."""
    from django.db.models import Q

    from cases.models import Case, CaseAssignment

    def covered(provider_id: int, recipient_id: int, scope: str) -> Q:
        q = Q(lead_agency_id=provider_id)
        if scope != "all":
            q &= Q(
                pk__in=CaseAssignment.objects.unrestricted()
                .filter(agency_id=recipient_id, end_date__isnull=True)
                .values("case_id")
            )
        return q

    per_term = [Case.objects.unrestricted().filter(covered(*spec)).count() for spec in specs]
    per_recipient: dict[int, int] = {}
    for recipient_id in {spec[1] for spec in specs}:
        q = Q(pk__in=[])
        for spec in specs:
            if spec[1] == recipient_id:
                q |= covered(*spec)
        per_recipient[recipient_id] = Case.objects.unrestricted().filter(q).count()
    return per_term, per_recipient
