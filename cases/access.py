"""Enforcement on case data: field allow-lists and grant sync.

Effective access = role ∩ agency standing ∩ permitted fields.
- Standing: CaseQuerySet.restrict / standing_q (lead agency, an agency-wide grant on every case
  of the lead agency for scope-`all` terms, or a guardian grant on the case for scope-`assigned`
  terms).
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

from django.db.models import Q

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
    # allowed_fields' answer per (lead agency, record type, on the case team?): a partner's
    # page asks it for every row, and it depends on nothing else
    answers: dict[tuple[int, str, bool | None], frozenset[str]] = field(default_factory=dict)


def _cache(user: Any) -> AccessCache:
    today = date.today()
    cache = getattr(user, "_sartcm_access", None)
    if cache is None or cache.on != today:
        cache = AccessCache(on=today)
        user._sartcm_access = cache
    return cache


def _load_terms(user: Any, agency_id: int, cache: AccessCache) -> None:
    """The in-force terms to the agency (`DataSharingTerm.objects.in_force(on)
    .for_recipient(agency)`, in SQL: every partner request asks this, and compiling the ORM
    query cost more than running it)."""
    from django.db import connection

    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT t.provider_id, t.record_type, t.scope, t.fields
                FROM {t["term"]} t JOIN {t["mou"]} m ON m.id = t.mou_id
                WHERE t.recipient_id = %(agency)s AND {IN_FORCE_SQL}""",
            {"agency": agency_id, "on": cache.on},
        )
        rows = cursor.fetchall()
    for provider_id, record_type, scope, fields in rows:
        cache.terms.setdefault((provider_id, record_type), []).append((scope, frozenset(fields)))
    cache.loaded = True


def prefetch_assignments(
    user: Any, case_ids: list[int], lead_agencies: dict[int, int] | None = None
) -> None:
    """Load, in one query, whether the user's agency is on the team of each case of a page.

    `lead_agencies` ({case id: lead agency id}, where known): cases the user's agency leads
    are skipped (the lead agency sees every field), and so are cases whose lead agency shares
    nothing by case team with it (only scope-`all` terms: membership changes no field)."""
    from django.db import connection

    from cases.models import CaseAssignment

    staff = staff_of(user)
    if staff is None:
        return
    cache = _cache(user)
    own = staff.agency_id
    leads = lead_agencies or {}
    missing = [cid for cid in case_ids if cid not in cache.assigned and leads.get(cid) != own]
    if missing and leads:
        if not cache.loaded:
            _load_terms(user, own, cache)
        by_team = {provider for (provider, _), terms in cache.terms.items() if _by_team(terms)}
        missing = [cid for cid in missing if cid not in leads or leads[cid] in by_team]
    if not missing:
        return
    with connection.cursor() as cursor:  # in SQL: asked on every partner page
        cursor.execute(
            f"SELECT case_id FROM {CaseAssignment._meta.db_table} "
            "WHERE case_id = ANY(%s) AND agency_id = %s AND end_date IS NULL",
            [missing, staff.agency_id],
        )
        on_team = {row[0] for row in cursor.fetchall()}
    for cid in missing:
        cache.assigned[cid] = cid in on_team


def _by_team(terms: list[tuple[str, frozenset[str]]]) -> bool:
    """Whether any of these terms depends on the case team (scope other than `all`)."""
    return any(scope != "all" for scope, _ in terms)


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
    on_team: bool | None = None  # asked only when an assigned-scope term needs it
    if _by_team(terms):
        if case.pk not in cache.assigned:
            prefetch_assignments(user, [case.pk])
        on_team = bool(cache.assigned.get(case.pk))
    key = (case.lead_agency_id, record_type, on_team)
    if key not in cache.answers:
        result: set[str] = set()
        for scope, fields in terms:
            if scope == "all" or on_team:
                result |= fields
        cache.answers[key] = frozenset(result & set(SHAREABLE_FIELDS[record_type]))
    return cache.answers[key]


def may_see_field(user: Any, record_type: str, field_name: str) -> bool:
    """Whether `field_name` of `record_type` could show to the user on some case: lets a list
    leave out a column nobody on the page could see. True for a superuser, for an agency that
    leads a case (it sees every field of its own), and for a partner with an in-force term
    that shares the field; also when unsure (outside a read-only request's standing facts),
    as it only decides what is computed, never what is shown (allowed_fields decides that)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    if staff is None or not roles_allow(staff.roles, Action.VIEW, record_type):
        return False
    from cases.querysets import _held, _standing_facts

    facts = _standing_facts(staff, _held(staff, Action.VIEW, record_type))
    if facts is None or facts[1]:  # unknown, or the agency leads cases
        return True
    cache = _cache(user)
    if not cache.loaded:
        _load_terms(user, staff.agency_id, cache)
    return any(
        field_name in fields
        for (_, kind), terms in cache.terms.items()
        if kind == record_type
        for _, fields in terms
    )


def agencies_with_standing(case: Any, record_type: str | None = None) -> set[int]:
    """Agency ids that may view `record_type` (any record type if None) on the case:
    the lead agency plus every agency whose group holds a matching grant."""
    from agencies.models import Agency
    from cases.models import AgencyWideGrant, CaseGroupObjectPermission

    grants = CaseGroupObjectPermission.objects.filter(content_object_id=case.pk)
    wide = AgencyWideGrant.objects.filter(provider_id=case.lead_agency_id)
    if record_type is not None:
        grants = grants.filter(permission__codename=f"view_{record_type}")
        wide = wide.filter(permission__codename=f"view_{record_type}")
    else:
        grants = grants.filter(permission__codename__startswith="view_")
        wide = wide.filter(permission__codename__startswith="view_")
    partner_ids = set(
        Agency.objects.filter(
            Q(group_id__in=grants.values("group_id")) | Q(group_id__in=wide.values("group_id"))
        ).values_list("pk", flat=True)
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
    case_number: str  # "every case of <provider>" for an agency-wide grant
    case_id: int | None  # None for an agency-wide grant


# Serialises grant syncs so two concurrent syncs cannot interleave their reads and writes.
_SYNC_LOCK_KEY = 74_061_530


def _tables() -> dict[str, str]:
    from django.contrib.auth.models import Permission

    from agencies.models import Agency
    from cases.models import AgencyWideGrant, Case, CaseAssignment, CaseGroupObjectPermission
    from mou.models import MOU, DataSharingTerm

    return {
        "term": DataSharingTerm._meta.db_table,
        "mou": MOU._meta.db_table,
        "agency": Agency._meta.db_table,
        "case": Case._meta.db_table,
        "assignment": CaseAssignment._meta.db_table,
        "perm": Permission._meta.db_table,
        "grant": CaseGroupObjectPermission._meta.db_table,
        "wide": AgencyWideGrant._meta.db_table,
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

    The lead agency sees every field; a partner needs the view grant on the case (its own
    row, or the agency-wide row of a scope-`all` term on the lead agency's cases) and an
    in-force term from the lead agency for the record type that covers the case (and lists
    the field). Returns (sql, params)."""
    if field_name is not None and field_name not in SHAREABLE_FIELDS[record_type]:
        raise ValueError(f"{field_name!r} is not a shareable field of {record_type!r}")
    t = _tables()
    lists_field = "AND %(_sees_field)s = ANY(t.fields)" if field_name is not None else ""
    sql = f"""({agency}.id = {case}.lead_agency_id OR (
        EXISTS (SELECT 1 FROM {t["perm"]} p
                  JOIN django_content_type ct ON ct.id = p.content_type_id
                 WHERE ct.app_label = 'cases' AND ct.model = 'case'
                   AND p.codename = %(_sees_permission)s
                   AND (EXISTS (SELECT 1 FROM {t["grant"]} g
                                 WHERE g.content_object_id = {case}.id
                                   AND g.group_id = {agency}.group_id
                                   AND g.permission_id = p.id)
                        OR EXISTS (SELECT 1 FROM {t["wide"]} w
                                    WHERE w.provider_id = {case}.lead_agency_id
                                      AND w.group_id = {agency}.group_id
                                      AND w.permission_id = p.id)))
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


# In-force terms with one row per action, their recipient's group and the permission.
_TERM_ACTIONS = (
    """
    FROM {term} t
    JOIN {mou} m ON m.id = t.mou_id
    JOIN {agency} ag ON ag.id = t.recipient_id
    CROSS JOIN LATERAL unnest(t.actions) AS a(action)
    JOIN {perm} p ON p.content_type_id = %(ct)s AND p.codename = a.action || '_' || t.record_type
    WHERE """
    + IN_FORCE_SQL
    + "\n"
)


def _agency_scope(agency_ids: list[int] | None) -> str:
    return " AND t.recipient_id = ANY(%(agency_ids)s)" if agency_ids is not None else ""


def _desired_wide_sql(agency_ids: list[int] | None, case_ids: list[int] | None = None) -> str:
    """Agency-wide grants the in-force scope-`all` terms call for:
    (group_id, permission_id, provider_id, term_id). With `case_ids`, only those of the
    cases' lead agencies (all a sync limited to those cases compares with)."""
    providers = (
        " AND t.provider_id IN (SELECT lead_agency_id FROM {case} WHERE id = ANY(%(case_ids)s))"
        if case_ids is not None
        else ""
    )
    return (
        "SELECT ag.group_id, p.id AS permission_id, t.provider_id, MIN(t.id) AS term_id"
        + _TERM_ACTIONS
        + " AND t.scope = 'all'"
        + _agency_scope(agency_ids)
        + providers
        + " GROUP BY ag.group_id, p.id, t.provider_id"
    ).format(**_tables())


def _with_desired(case_ids: list[int] | None, agency_ids: list[int] | None) -> str:
    """The CTEs `wide` (agency-wide grants called for) and `desired` (per-case grants called
    for), each computed once: inlined, `desired`'s test against the agency-wide grants was
    planned as a nested loop that re-ran their aggregate for every candidate row, and on
    stale statistics (a test database, a fresh import) a sync ran for minutes."""
    return (
        f"wide AS MATERIALIZED ({_desired_wide_sql(agency_ids, case_ids)}),\n"
        f"        desired AS MATERIALIZED ({_desired_sql(case_ids, agency_ids)})"
    )


def _desired_sql(case_ids: list[int] | None, agency_ids: list[int] | None) -> str:
    """Per-case grants the in-force scope-`assigned` terms call for (the recipient is on the
    case team), unless an agency-wide grant already gives the same permission on the case:
    (group_id, permission_id, case_id, term_id). Reads the CTE `wide` (`_with_desired`)."""
    scope = _agency_scope(agency_ids)
    if case_ids is not None:
        scope += " AND c.id = ANY(%(case_ids)s)"
    return (
        "SELECT ag.group_id, p.id AS permission_id, c.id AS case_id, MIN(t.id) AS term_id"
        + _TERM_ACTIONS.replace(
            "    CROSS JOIN",
            """    JOIN {assignment} ca ON ca.agency_id = t.recipient_id AND ca.end_date IS NULL
    JOIN {case} c ON c.id = ca.case_id AND c.lead_agency_id = t.provider_id
    CROSS JOIN""",
        )
        + " AND t.scope <> 'all'"
        + scope
        + """ AND NOT EXISTS (
            SELECT 1 FROM wide w
            WHERE w.group_id = ag.group_id AND w.permission_id = p.id
              AND w.provider_id = t.provider_id)
        GROUP BY ag.group_id, p.id, c.id"""
    ).format(**_tables())


def _existing_scope_sql(case_ids: list[int] | None, agency_ids: list[int] | None) -> str:
    """WHERE clause (over grant rows `g`) limiting a sync to the given cases / agencies."""
    clauses = ["TRUE"]
    if case_ids is not None:
        clauses.append("g.content_object_id = ANY(%(case_ids)s)")
    clauses.append(_group_scope_sql(agency_ids))
    return " AND ".join(clauses)


def _group_scope_sql(agency_ids: list[int] | None) -> str:
    if agency_ids is None:
        return "TRUE"
    return "g.group_id IN (SELECT group_id FROM {agency} WHERE id = ANY(%(agency_ids)s))".format(
        **_tables()
    )


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


# The term that used to grant a revoked permission: same recipient, provider and permission,
# the most recently changed MOU first (expired, terminated or amended away).
_CAUSE_SQL = """
    LEFT JOIN LATERAL (
        SELECT t.id AS term_id
        FROM {term} t JOIN {mou} m ON m.id = t.mou_id
        WHERE t.recipient_id = ag.id AND t.provider_id = {provider}
          AND p.codename IN (SELECT a || '_' || t.record_type FROM unnest(t.actions) a)
        ORDER BY m.updated_at DESC, t.id DESC
        LIMIT 1
    ) cause ON TRUE
"""


def _delete_undesired(table: str, scope: str, desired: str, key: str, column: str) -> str:
    """DELETE the grant rows `g` of `table` within `scope` that the CTE `desired` does not
    call for (matched on group, permission and desired.`key` = g.`column`)."""
    return f"""
        DELETE FROM {table} g
        WHERE {scope}
          AND NOT EXISTS (
            SELECT 1 FROM {desired} d
            WHERE d.group_id = g.group_id AND d.permission_id = g.permission_id
              AND d.{key} = g.{column})
        RETURNING g.group_id, g.permission_id, g.{column}
    """


def _sync_statements(case_list: list[int] | None, agency_list: list[int] | None) -> list[str]:
    """The statements of one sync, in order: per-case delete, per-case insert, then (unless
    the sync is limited to some cases) agency-wide delete and insert. Each returns audit
    batches: (kind, term_id, agency_id, provider_id, codenames, case_ids, rows, cases) —
    `cases` is the number of cases the batch covers (all of the provider's, for 'wide')."""
    t = _tables()
    with_desired = _with_desired(case_list, agency_list)
    wide = _desired_wide_sql(agency_list)
    case_delete = f"""
        WITH {with_desired},
        del AS ({_delete_undesired(t["grant"], _existing_scope_sql(case_list, agency_list), "desired", "case_id", "content_object_id")}),
        lost AS (
            -- standing actually lost: not kept by an agency-wide grant on the case's provider
            SELECT del.*, c.lead_agency_id FROM del
            JOIN {t["case"]} c ON c.id = del.content_object_id
            WHERE NOT EXISTS (
                SELECT 1 FROM wide w
                WHERE w.group_id = del.group_id AND w.permission_id = del.permission_id
                  AND w.provider_id = c.lead_agency_id)
        ),
        tombstones AS (
            -- a lost *view* grant means the agency's systems must drop that record type on
            -- that case: leave a revocation tombstone for incremental sync (sartcm.tombstones)
            INSERT INTO sartcm_synctombstone
                (object_type, object_id, case_id, agency_id, record_type, reason, at)
            SELECT 'cases.case', lost.content_object_id, lost.content_object_id, ag.id,
                   substr(p.codename, 6), 'revoked', now()
            FROM lost
            JOIN {t["perm"]} p ON p.id = lost.permission_id
            JOIN {t["agency"]} ag ON ag.group_id = lost.group_id
            WHERE p.codename LIKE 'view\\_%%'
        )
        SELECT 'case'::text, cause.term_id, ag.id, NULL::bigint,
               array_agg(DISTINCT p.codename::text ORDER BY p.codename::text),
               array_agg(DISTINCT del.content_object_id ORDER BY del.content_object_id),
               COUNT(*), COUNT(*)
        FROM del
        JOIN {t["perm"]} p ON p.id = del.permission_id
        LEFT JOIN {t["agency"]} ag ON ag.group_id = del.group_id
        LEFT JOIN {t["case"]} c ON c.id = del.content_object_id
        {_CAUSE_SQL.format(provider="c.lead_agency_id", **t)}
        GROUP BY cause.term_id, ag.id
    """
    case_insert = f"""
        WITH {with_desired},
        ins AS (
            INSERT INTO {t["grant"]} (group_id, permission_id, content_object_id)
            SELECT group_id, permission_id, case_id FROM desired
            ON CONFLICT (group_id, permission_id, content_object_id) DO NOTHING
            RETURNING group_id, permission_id, content_object_id
        )
        SELECT 'case'::text, d.term_id, NULL::bigint, NULL::bigint,
               array_agg(DISTINCT p.codename::text ORDER BY p.codename::text),
               array_agg(DISTINCT ins.content_object_id ORDER BY ins.content_object_id),
               COUNT(*), COUNT(*)
        FROM ins
        JOIN desired d ON d.group_id = ins.group_id AND d.permission_id = ins.permission_id
                      AND d.case_id = ins.content_object_id
        JOIN {t["perm"]} p ON p.id = ins.permission_id
        GROUP BY d.term_id
    """
    if case_list is not None:
        # Case events (created, lead agency or team changed) never change which agency-wide
        # grants the terms call for; a full or agency-scoped sync reconciles those.
        return [case_delete, case_insert]
    wide_delete = f"""
        WITH wide AS ({wide}),
        del AS ({_delete_undesired(t["wide"], _group_scope_sql(agency_list), "wide", "provider_id", "provider_id")}),
        tombstones AS (
            -- every case of the provider whose view standing is now gone (no per-case grant
            -- from an assigned-scope term keeps it)
            INSERT INTO sartcm_synctombstone
                (object_type, object_id, case_id, agency_id, record_type, reason, at)
            SELECT 'cases.case', c.id, c.id, ag.id, substr(p.codename, 6), 'revoked', now()
            FROM del
            JOIN {t["perm"]} p ON p.id = del.permission_id
            JOIN {t["agency"]} ag ON ag.group_id = del.group_id
            JOIN {t["case"]} c ON c.lead_agency_id = del.provider_id
            WHERE p.codename LIKE 'view\\_%%'
              AND NOT EXISTS (
                SELECT 1 FROM {t["grant"]} cg
                WHERE cg.group_id = del.group_id AND cg.permission_id = del.permission_id
                  AND cg.content_object_id = c.id)
        )
        SELECT 'wide', cause.term_id, ag.id, del.provider_id,
               array_agg(DISTINCT p.codename ORDER BY p.codename), NULL::bigint[], COUNT(*),
               (SELECT COUNT(*) FROM {t["case"]} c WHERE c.lead_agency_id = del.provider_id)
        FROM del
        JOIN {t["perm"]} p ON p.id = del.permission_id
        LEFT JOIN {t["agency"]} ag ON ag.group_id = del.group_id
        {_CAUSE_SQL.format(provider="del.provider_id", **t)}
        GROUP BY cause.term_id, ag.id, del.provider_id
    """
    wide_insert = f"""
        WITH wide AS ({wide}),
        ins AS (
            INSERT INTO {t["wide"]} (group_id, permission_id, provider_id)
            SELECT group_id, permission_id, provider_id FROM wide
            ON CONFLICT (group_id, permission_id, provider_id) DO NOTHING
            RETURNING group_id, permission_id, provider_id
        )
        SELECT 'wide', w.term_id, NULL::bigint, ins.provider_id,
               array_agg(DISTINCT p.codename ORDER BY p.codename), NULL::bigint[], COUNT(*),
               (SELECT COUNT(*) FROM {t["case"]} c WHERE c.lead_agency_id = ins.provider_id)
        FROM ins
        JOIN wide w ON w.group_id = ins.group_id AND w.permission_id = ins.permission_id
                   AND w.provider_id = ins.provider_id
        JOIN {t["perm"]} p ON p.id = ins.permission_id
        GROUP BY w.term_id, ins.provider_id
    """
    return [case_delete, case_insert, wide_delete, wide_insert]


# A sync limited to some cases (a case created, its lead agency or its team changed: every
# team change) runs its two statements as PL/pgSQL functions, so each connection plans them
# once (a generic plan) instead of at every call: planning them was ≈10 ms of a ≈20 ms team
# change, their execution ≈4 ms each (docs/performance.md, design change 13). The functions'
# bodies are `_sync_statements` itself; `install_case_sync_functions` (re)creates them after
# every `migrate` (post_migrate), so they never lag behind this code.
CASE_SYNC_FUNCTIONS = ("sartcm_case_grants_revoke", "sartcm_case_grants_grant")
_CASE_SYNC_PARAMS = {"case_ids": "p_case_ids", "ct": "p_ct", "on": "p_on"}
# A generic plan suits a few cases (it looks cases up by id); more go through planned SQL.
CASE_SYNC_MAX_CASES = 50


def case_sync_function_sql() -> list[str]:
    """CREATE OR REPLACE FUNCTION statements for the case-limited sync (CASE_SYNC_FUNCTIONS):
    `(p_case_ids bigint[], p_ct integer, p_on date)` returning the statement's audit batches."""
    import re

    statements = []
    for name, body in zip(CASE_SYNC_FUNCTIONS, _sync_statements([0], None), strict=True):
        body = re.sub(r"%\((\w+)\)s", lambda m: _CASE_SYNC_PARAMS[m.group(1)], body)
        body = body.replace("%%", "%")
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {name}(p_case_ids bigint[], p_ct integer, p_on date)
    RETURNS TABLE (r_kind text, r_term_id bigint, r_agency_id bigint, r_provider_id bigint,
                   r_codenames text[], r_case_ids bigint[], r_rows bigint, r_cases bigint)
    LANGUAGE plpgsql VOLATILE
    SET plan_cache_mode = force_generic_plan
AS $sartcm$
BEGIN
    RETURN QUERY {body.strip()};
END
$sartcm$"""
        )
    return statements


def install_case_sync_functions(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the case-limited sync's functions from the current code. Connected to
    post_migrate for the cases app: every `migrate` (deploys run it) brings them in line."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        for sql in case_sync_function_sql():
            cursor.execute(sql)


def sync_grants(
    case_ids: Any = None, agency_ids: Any = None, *, on: date | None = None, reason: str = ""
) -> SyncResult:
    """Make the grants on cases equal to what the in-force MOU terms call for.

    Desired grants, for each action of each in-force term (permission `<action>_<record_type>`,
    held by the term's recipient's group):
    - scope `all`: ONE agency-wide grant (AgencyWideGrant) on every case whose lead agency is
      the term's provider — constant in the number of cases;
    - scope `assigned`: one per-case grant (CaseGroupObjectPermission) on each case of the
      provider with an active assignment of the recipient, unless an agency-wide grant
      already gives that permission.
    The lead agency's standing stays implicit (no rows). The difference is applied set-based
    in SQL (INSERT ... SELECT ... ON CONFLICT DO NOTHING, DELETE ... WHERE NOT EXISTS),
    limited to the given cases and/or recipient agencies when given (a sync limited to cases
    leaves agency-wide grants alone: case events cannot change them). Lost view standing
    leaves revocation tombstones; each batch is audited with the MOU term that caused it.
    Syncs are serialised by a transaction-level advisory lock.
    """
    from django.db import connection, transaction

    case_list, agency_list = _ids(case_ids), _ids(agency_ids)
    if case_list == [] or agency_list == []:
        return SyncResult()
    params = _params(case_list, agency_list, on)
    result = SyncResult()
    granted: list[tuple] = []
    revoked: list[tuple] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SYNC_LOCK_KEY])
        if case_list is not None and agency_list is None and len(case_list) <= CASE_SYNC_MAX_CASES:
            calls = [
                (f"SELECT * FROM {name}(%(case_ids)s, %(ct)s, %(on)s)", params)
                for name in CASE_SYNC_FUNCTIONS
            ]
        else:
            calls = [(sql, params) for sql in _sync_statements(case_list, agency_list)]
        for n, (sql, args) in enumerate(calls):
            cursor.execute(sql, args)
            rows = cursor.fetchall()
            (revoked if n % 2 == 0 else granted).extend(rows)
            count = sum(row[-2] for row in rows)
            if n % 2 == 0:
                result.revoked += count
            else:
                result.granted += count
        _audit_batches(granted, revoked, reason)
    return result


def revoke_on_lead_change(case_id: int, old_lead_id: int | None) -> int:
    """After a case moved from `old_lead_id` to another lead agency (and its per-case grants
    were re-synced): a tombstone for every agency that saw a record type of the case through an
    agency-wide grant on the old lead agency and no longer sees it (no agency-wide grant on the
    new lead, no per-case grant, not the new lead itself). Returns the rows written."""
    from django.db import connection

    if old_lead_id is None:
        return 0
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO sartcm_synctombstone
                (object_type, object_id, case_id, agency_id, record_type, reason, at)
            SELECT 'cases.case', c.id, c.id, ag.id, substr(p.codename, 6), 'revoked', now()
            FROM {t["case"]} c
            JOIN {t["wide"]} w ON w.provider_id = %(old)s
            JOIN {t["perm"]} p ON p.id = w.permission_id AND p.codename LIKE 'view\\_%%'
            JOIN {t["agency"]} ag ON ag.group_id = w.group_id
            WHERE c.id = %(case)s AND c.lead_agency_id <> %(old)s AND ag.id <> c.lead_agency_id
              AND NOT EXISTS (SELECT 1 FROM {t["wide"]} n
                  WHERE n.provider_id = c.lead_agency_id AND n.group_id = w.group_id
                    AND n.permission_id = w.permission_id)
              AND NOT EXISTS (SELECT 1 FROM {t["grant"]} g
                  WHERE g.content_object_id = c.id AND g.group_id = w.group_id
                    AND g.permission_id = w.permission_id)
            """,
            {"old": old_lead_id, "case": case_id},
        )
        return cursor.rowcount


_MAX_AUDITED_IDS = 1000


def _audit_batches(granted: list[tuple], revoked: list[tuple], reason: str) -> None:
    """One GRANT / REVOKE audit row per term (batch), naming the MOU and term. Rows are
    (kind, term_id, agency_id, provider_id, codenames, case_ids, rows, cases); kind 'wide'
    is an agency-wide grant (every case of the provider), 'case' per-case grants."""
    from agencies.models import Agency
    from mou.models import DataSharingTerm
    from sartcm import audit
    from sartcm.models import AuditAction

    if not granted and not revoked:
        return
    term_ids = {row[1] for row in granted} | {row[1] for row in revoked if row[1] is not None}
    terms = {
        term.pk: term
        for term in DataSharingTerm.objects.filter(pk__in=term_ids).select_related(
            "mou", "provider", "recipient"
        )
    }
    agencies = dict(
        Agency.objects.filter(
            pk__in={row[2] for row in revoked if row[2]}
            | {row[3] for row in granted + revoked} - {None}
        ).values_list("pk", "short_name")
    )
    suffix = f" ({reason})" if reason else ""

    def describe(term: DataSharingTerm) -> str:
        return (
            f"MOU {term.mou.title!r} (#{term.mou_id}, {term.mou.get_status_display().lower()}) "
            f"term #{term.pk} v{term.version}: {term.provider.short_name} → "
            f"{term.recipient.short_name}, {term.get_record_type_display()}, scope {term.scope}"
        )

    def where(kind: str, provider_id: int | None, case_ids: list[int] | None, cases: int) -> str:
        if kind == "wide":
            return f"every case of {agencies.get(provider_id, provider_id)} ({cases} now)"
        return f"{len(case_ids or [])} case(s)"

    def single_case(kind: str, case_ids: list[int] | None) -> int | None:
        return case_ids[0] if kind == "case" and case_ids and len(case_ids) == 1 else None

    for kind, term_id, _agency, provider_id, codenames, case_ids, _rows, cases in granted:
        term = terms[term_id]
        audit.record(
            None,
            AuditAction.GRANT,
            term,
            case_id=single_case(kind, case_ids),
            recipient_agency_id=term.recipient_id,
            changes={
                "mou": term.mou_id,
                "term": term.pk,
                "permissions": codenames,
                "scope": "all cases of the provider" if kind == "wide" else "cases",
                "cases": (case_ids or [])[:_MAX_AUDITED_IDS],
                "count": cases,
            },
            detail=f"granted {', '.join(codenames)} on {where(kind, provider_id, case_ids, cases)} "
            f"by {describe(term)}{suffix}",
        )
    for kind, term_id, agency_id, provider_id, codenames, case_ids, _rows, cases in revoked:
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
            case_id=single_case(kind, case_ids),
            recipient_agency_id=agency_id,
            object_type=""
            if term is not None
            else ("cases.agencywidegrant" if kind == "wide" else "cases.casegroupobjectpermission"),
            changes={
                "mou": term.mou_id if term else None,
                "term": term_id,
                "agency": agencies.get(agency_id, agency_id),
                "permissions": codenames,
                "scope": "all cases of the provider" if kind == "wide" else "cases",
                "cases": (case_ids or [])[:_MAX_AUDITED_IDS],
                "count": cases,
            },
            detail=f"revoked {', '.join(codenames)} from {agencies.get(agency_id, agency_id)} on "
            f"{where(kind, provider_id, case_ids, cases)}: {cause}{suffix}",
        )


def diff_grants(
    case_ids: Any = None, agency_ids: Any = None, *, on: date | None = None
) -> tuple[list[GrantRow], list[GrantRow]]:
    """(missing, extra): grants the in-force terms call for but the database lacks, and grants
    the database holds that no in-force term calls for. Changes nothing. An agency-wide grant
    is one row whose `case_id` is None and `case_number` reads "every case of <provider>"
    (compared only when the diff is not limited to some cases)."""
    from django.db import connection

    case_list, agency_list = _ids(case_ids), _ids(agency_ids)
    params = _params(case_list, agency_list, on)
    with_desired = _with_desired(case_list, agency_list)
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
    missing_body = (
        f"WITH {with_desired} SELECT group_id, permission_id, case_id FROM desired d "
        f"EXCEPT {existing}"
    )
    extra_body = (
        f"WITH {with_desired} {existing} "
        "EXCEPT SELECT group_id, permission_id, case_id FROM desired d"
    )
    queries = [named.format(body=missing_body, **t), named.format(body=extra_body, **t)]
    if case_list is None:
        wide = (
            f"SELECT group_id, permission_id, provider_id FROM ({_desired_wide_sql(agency_list)}) w"
        )
        held = f"""SELECT g.group_id, g.permission_id, g.provider_id FROM {t["wide"]} g
                   WHERE {_group_scope_sql(agency_list)}"""
        named_wide = """
            SELECT COALESCE(ag.short_name, 'group ' || x.group_id::text), p.codename,
                   'every case of ' || pr.short_name, NULL
            FROM ({body}) x
            LEFT JOIN {agency} ag ON ag.group_id = x.group_id
            JOIN {perm} p ON p.id = x.permission_id
            JOIN {agency} pr ON pr.id = x.provider_id
            ORDER BY 3, 1, 2
        """
        queries += [
            named_wide.format(body=f"{wide} EXCEPT {held}", **t),
            named_wide.format(body=f"{held} EXCEPT {wide}", **t),
        ]
    found: list[list[GrantRow]] = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, params)
            found.append([GrantRow(*row) for row in cursor.fetchall()])
    missing, extra = found[0], found[1]
    if len(found) == 4:
        missing, extra = found[2] + missing, found[3] + extra
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
