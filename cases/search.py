"""Offender search: by name, alias, date of birth and identifiers — fast, forgiving, restricted.

What a query can hold (tokens split on spaces and commas, in any order):
- name parts: each must match the first, middle or last name by prefix ("Smi" finds Smith) or
  by trigram similarity (typos: "Smtih", "Jonh"), so "Smith John" and "Smith, John" find John
  Smith; or, all together, one alias of the person;
- a date (2001-02-03, 02/03/2001 or 02-03-2001): the date of birth;
- a token with a digit: a state ID, DOC number or FBI number (exact, case-insensitive).
All given parts must match.

Access: candidates come from `Offender.objects.restrict(user, "view")` (identity standing), and
a match only counts through fields the user may see — a partner whose terms do not share
`date_of_birth` cannot find (and so learn) a person by date of birth, nor by alias without
`aliases`. Results carry only permitted identity fields. Nobody else's existence leaks: an
outsider gets the same empty answer for a name that exists as for one that does not.

Speed: candidates come first from a UNION of scans served by the GIN trigram indexes on
first_name/last_name and OffenderAlias.last_name (`ILIKE 'x%'` and the pg_trgm `%` operator);
the full conditions then run on those few rows (about 20–50 ms over 100,000 offenders). So a
name part matching only a middle name or an alias first name (no index) does not find anyone
by itself. The similarity threshold is lowered for this statement only (SET LOCAL). A search
is a constant number of queries.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import reduce
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    FloatField,
    Lookup,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse

from agencies.choices import RecordType
from cases.access import AllFields, allowed_fields, prefetch_assignments
from cases.models import Case, Offender, OffenderAlias
from sartcm import audit
from sartcm.models import AuditAction

MAX_QUERY_LENGTH = 100
MIN_QUERY_LENGTH = 2
MAX_NAME_TOKENS = 4
MAX_RESULTS = 25
# Candidates fetched before field-level filtering (a partner may not match on every field).
CANDIDATES = 100
# pg_trgm's default (0.3) misses common typos ("Smtih" ~ "Smith" is 0.2).
SIMILARITY_THRESHOLD = 0.2
# Trigram matching is noise below this many characters; short parts match by prefix only.
MIN_TRIGRAM_LENGTH = 3

NAME_FIELDS = ("first_name", "middle_name", "last_name")
IDENTIFIER_FIELDS = ("state_id", "doc_number", "fbi_number")
# Identity fields a result may show, in display order (each only where permitted).
RESULT_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "state_id",
    "doc_number",
    "fbi_number",
)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")
# Best match first; ties by name, then id (stable).
RANK_ORDER = ("-rank", "last_name", "first_name", "pk")
RANK_ORDER_SQL = "candidate.rank DESC, candidate.last_name, candidate.first_name, candidate.id"


class ILike(Lookup):
    """`lhs ILIKE rhs` (Django's istartswith wraps both sides in UPPER(), which a trigram
    index cannot serve)."""

    lookup_name = "ilike"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


class TrigramMatch(Lookup):
    """`lhs % rhs`: pg_trgm similarity above the threshold (GIN-index served)."""

    lookup_name = "trigram_match"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %% {rhs}", [*lhs_params, *rhs_params]


def _like_prefix(token: str) -> str:
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into its parts."""

    raw: str
    names: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    identifiers: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.names or self.dates or self.identifiers)


def _as_date(token: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(token, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def parse_query(raw: str) -> ParsedQuery:
    """Split a query into name parts, dates and identifiers (see the module docstring)."""
    text = (raw or "").strip()[:MAX_QUERY_LENGTH]
    names: list[str] = []
    dates: list[date] = []
    identifiers: list[str] = []
    for token in re.split(r"[\s,;]+", text):
        if not token:
            continue
        day = _as_date(token)
        if day is not None:
            dates.append(day)
        elif any(ch.isdigit() for ch in token):
            identifiers.append(token)
        else:
            name = token.strip(".'-")
            if name and len(names) < MAX_NAME_TOKENS:
                names.append(name)
    return ParsedQuery(text, tuple(names), tuple(dates), tuple(identifiers))


def _name_q(field_name: str, token: str) -> Q:
    """The field matches the token by prefix, or (3+ characters) by trigram similarity."""
    return reduce(operator.or_, _name_branches(field_name, token))


def _flag(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


@dataclass
class CaseLink:
    """A case of a result the user has standing on, and where opening it leads."""

    pk: int
    case_number: str
    url: str


@dataclass
class SearchResult:
    """One person found: only the identity fields the user may see."""

    offender_id: int
    fields: dict[str, Any]
    aliases: list[str]
    cases: list[CaseLink]
    rank: float
    matched: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        parts = [self.fields.get(f) for f in ("first_name", "middle_name", "last_name")]
        return " ".join(p for p in parts if p) or "Name not shared"

    @property
    def identifiers(self) -> list[tuple[str, str]]:
        labels = {"state_id": "State ID", "doc_number": "DOC", "fbi_number": "FBI"}
        return [(labels[f], self.fields[f]) for f in IDENTIFIER_FIELDS if self.fields.get(f)]


@dataclass
class SearchOutcome:
    query: ParsedQuery
    results: list[SearchResult]
    too_short: bool = False

    @property
    def count(self) -> int:
        return len(self.results)


def _name_branches(field_name: str, token: str) -> list[Q]:
    """_name_q as separate conditions, one per index scan (prefix, then trigram)."""
    branches = [Q(**{f"{field_name}__ilike": _like_prefix(token)})]
    if len(token) >= MIN_TRIGRAM_LENGTH:
        branches.append(Q(**{f"{field_name}__trigram_match": token}))
    return branches


def _branches_at(token: str, index: int) -> list[Q]:
    """The index-th branch (0 prefix, 1 trigram) of _name_branches for every name field."""
    return [b for f in NAME_FIELDS for b in _name_branches(f, token)[index : index + 1]]


def _name_candidates(names: tuple[str, ...]) -> Any:
    """Ids of offenders with a first or last name, or an alias last name, matching any of the
    name parts: a UNION of scans each served by a trigram GIN index (middle names and alias
    first names have no index, so a part matching only those does not find a person).

    One SELECT per field, part and operator: an OR of them in one SELECT is planned as a
    sequential scan computing every trigram of 100,000 names (≈170 ms); the union of bitmap
    index scans takes ≈25 ms."""
    offenders = Offender.objects.unrestricted().order_by()
    aliases = OffenderAlias.objects.unrestricted().order_by()
    scans = [
        offenders.filter(branch).values("pk")
        for token in names
        for field_name in ("first_name", "last_name")
        for branch in _name_branches(field_name, token)
    ] + [
        aliases.filter(branch).values("offender_id")
        for token in names
        for branch in _name_branches("last_name", token)
    ]
    return scans[0].union(*scans[1:])


def _alias_exists(names: tuple[str, ...]) -> Exists:
    """An alias of the offender matches every name part (first or last name of the alias)."""
    alias_q = Q(offender_id=OuterRef("pk"))
    for token in names:
        alias_q &= _name_q("last_name", token) | _name_q("first_name", token)
    return Exists(OffenderAlias.objects.unrestricted().filter(alias_q))


def _rank(names: tuple[str, ...]) -> Any:
    """Best-matching name field per part, summed: closer spellings first."""
    if not names:
        return Value(1.0, output_field=FloatField())
    terms = [
        Greatest(TrigramSimilarity("first_name", t), TrigramSimilarity("last_name", t))
        for t in names
    ]
    return reduce(operator.add, terms)


def _visible_matches(user: Any, parsed: ParsedQuery) -> list[tuple[int, float]]:
    """(id, rank) of the best CANDIDATES offenders matching the query that the user has identity
    standing on, best first. One SELECT.

    Matches first, visibility per match: the matching offenders (a few thousand at most, from
    the trigram indexes) are ranked in a fenced subquery (`OFFSET 0`), then checked best first
    for a case the user may see (a LATERAL lookup by the case's offender index) until
    CANDIDATES are found. The standing is the one `Offender.objects.restrict(user, "view")`
    applies (visible through any case of theirs with identity standing). Written as
    `id IN (visible cases)` — or as an EXISTS, which the planner turns into the same join — it
    hashed the offender ids of all 100,000 cases a lead agency or statewide partner sees before
    joining the candidates; the lateral lookup cannot be planned that way. Only the rank and
    the name condition are computed for every match (trigram functions are the costly part);
    the per-field flags are left to `_flagged` for the few kept."""
    visible_cases = Case.objects.restrict_record(user, "view", RecordType.IDENTITY).order_by()
    if visible_cases.query.is_empty():
        return []
    qs = Offender.objects.unrestricted()
    conditions = Q()
    names_match = ""
    if parsed.names:
        # Index-served candidates first (GIN trigram on first/last name and alias last name).
        qs = qs.filter(pk__in=_name_candidates(parsed.names))
    if len(parsed.names) > 1:
        # Every part must match. (With one part, being a candidate already says so: the
        # candidates are exactly the first/last names and alias last names matching it.)
        # Per part: any field by prefix, then any by trigram (OR stops at the first true, and
        # the prefix tests are the cheap ones).
        every_part = reduce(
            operator.and_,
            [
                reduce(operator.or_, (b for i in (0, 1) for b in _branches_at(t, i)))
                for t in parsed.names
            ],
        )
        qs = qs.annotate(alias=_alias_exists(parsed.names)).annotate(
            names_match=_flag(every_part | Q(alias=True))
        )
        # Tested above the fence: below it the planner filtered all offenders by it.
        names_match = "WHERE candidate.names_match "
    for day in parsed.dates:
        conditions &= Q(date_of_birth=day)
    for token in parsed.identifiers:
        values = sorted({token, token.upper()})
        conditions &= reduce(operator.or_, (Q(**{f"{f}__in": values}) for f in IDENTIFIER_FIELDS))
    fields = ["id", "rank", "last_name", "first_name"] + (["names_match"] if names_match else [])
    qs = qs.annotate(rank=_rank(parsed.names)).filter(conditions).order_by(*RANK_ORDER)
    try:
        matches_sql, matches_params = qs.values(*fields).query.sql_with_params()
    except EmptyResultSet:
        return []
    visible_sql, visible_params = visible_cases.values("offender_id").query.sql_with_params()
    sql = (
        f"SELECT candidate.id, candidate.rank FROM ({matches_sql} OFFSET 0) AS candidate "
        f"CROSS JOIN LATERAL (SELECT 1 FROM ({visible_sql}) AS visible "
        f"WHERE visible.offender_id = candidate.id LIMIT 1) AS seen {names_match}"
        f"ORDER BY {RANK_ORDER_SQL} LIMIT {CANDIDATES}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # For this statement only: the trigram operator's threshold (see SIMILARITY_THRESHOLD).
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [SIMILARITY_THRESHOLD])
        cursor.execute(sql, [*matches_params, *visible_params])
        return [(pk, rank) for pk, rank in cursor.fetchall()]


def _candidates(user: Any, parsed: ParsedQuery) -> list[Offender]:
    """Offenders in the user's identity scope matching every part of the query, best first, with
    one flag per (part, field) so field allow-lists can be applied afterwards. Two SELECTs:
    the visible matches (`_visible_matches`), then those rows with their flags."""
    ranked = _visible_matches(user, parsed)
    if not ranked:
        return []
    flags: dict[str, Any] = {}
    for i, token in enumerate(parsed.names):
        for name_field in NAME_FIELDS:
            flags[f"n{i}_{name_field}"] = _flag(_name_q(name_field, token))
    if parsed.names:
        flags["alias"] = _alias_exists(parsed.names)
    for i, token in enumerate(parsed.identifiers):
        values = sorted({token, token.upper()})
        for id_field in IDENTIFIER_FIELDS:
            flags[f"i{i}_{id_field}"] = _flag(Q(**{f"{id_field}__in": values}))
    # Unrestricted by design: these ids passed the standing check in _visible_matches.
    rows = Offender.objects.unrestricted().filter(pk__in=[pk for pk, _ in ranked])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [SIMILARITY_THRESHOLD])
        by_pk = {o.pk: o for o in rows.annotate(**flags)}
    for pk, rank in ranked:
        by_pk[pk].rank = rank
    return [by_pk[pk] for pk, _ in ranked]


def _permitted_match(offender: Offender, parsed: ParsedQuery, allowed: frozenset[str]) -> bool:
    """Did every part of the query match through a field the user may see?"""
    names_direct = all(
        any(
            getattr(offender, f"n{i}_{name_field}") and name_field in allowed
            for name_field in NAME_FIELDS
        )
        for i in range(len(parsed.names))
    )
    names_ok = not parsed.names or names_direct or (offender.alias and "aliases" in allowed)
    dates_ok = not parsed.dates or "date_of_birth" in allowed
    ids_ok = all(
        any(
            getattr(offender, f"i{i}_{id_field}") and id_field in allowed
            for id_field in IDENTIFIER_FIELDS
        )
        for i in range(len(parsed.identifiers))
    )
    return names_ok and dates_ok and ids_ok


def _case_url(case_pk: int, tabs: dict[str, set[int]]) -> str:
    """Where opening a case leads: the case workspace where it exists, else the first tab the
    user may open."""
    try:
        return reverse("cases:case_detail", kwargs={"pk": case_pk})
    except NoReverseMatch:
        pass
    if case_pk in tabs["contacts"]:
        return reverse("cases:case-contacts", kwargs={"case_pk": case_pk})
    if case_pk in tabs["assessments"]:
        return reverse("cases:assessment-list", kwargs={"case_pk": case_pk})
    return ""


def search_offenders(user: Any, raw: str, *, audit_search: bool = True) -> SearchOutcome:
    """Search the offenders the user may see; results hold only permitted identity fields.

    Audited: one SEARCH event with the query and the result count, and one SEARCH read row per
    case shown (so "who saw this case" includes search results).
    """
    parsed = parse_query(raw)
    if parsed.empty or len(parsed.raw) < MIN_QUERY_LENGTH:
        return SearchOutcome(parsed, [], too_short=bool(parsed.raw))
    candidates = _candidates(user, parsed)
    ids = [o.pk for o in candidates]
    cases_by_offender: dict[int, list[Case]] = {}
    if ids:
        visible_cases = list(
            Case.objects.restrict_record(user, "view", RecordType.IDENTITY)
            .filter(offender_id__in=ids)
            .select_related("offender")  # the audit rows name the case
            .order_by("case_number")
        )
        prefetch_assignments(user, [c.pk for c in visible_cases])
        for case in visible_cases:
            cases_by_offender.setdefault(case.offender_id, []).append(case)
    results: list[SearchResult] = []
    kept: list[tuple[Offender, frozenset[str], list[Case]]] = []
    for offender in candidates:
        cases = cases_by_offender.get(offender.pk, [])
        allowed: set[str] = set()
        for case in cases:
            fields = allowed_fields(user, case, RecordType.IDENTITY)
            if isinstance(fields, AllFields):
                allowed = set(RESULT_FIELDS) | {"aliases"}
                break
            allowed |= fields
        permitted = frozenset(allowed)
        if cases and _permitted_match(offender, parsed, permitted):
            kept.append((offender, permitted, cases))
        if len(kept) >= MAX_RESULTS:
            break
    if kept:
        case_ids = [c.pk for _, _, cases in kept for c in cases]
        tabs = {
            "contacts": _visible(user, RecordType.CONTACTS, case_ids),
            "assessments": _visible(user, RecordType.ASSESSMENTS, case_ids),
        }
        alias_ids = [o.pk for o, allowed, _ in kept if "aliases" in allowed]
        aliases: dict[int, list[str]] = {}
        if alias_ids:
            for alias in OffenderAlias.objects.restrict(user, "view").filter(
                offender_id__in=alias_ids
            ):
                aliases.setdefault(alias.offender_id, []).append(
                    " ".join(p for p in (alias.first_name, alias.last_name) if p)
                )
        for offender, allowed, cases in kept:
            results.append(
                SearchResult(
                    offender_id=offender.pk,
                    fields={f: getattr(offender, f) for f in RESULT_FIELDS if f in allowed},
                    aliases=sorted(aliases.get(offender.pk, [])),
                    cases=[CaseLink(c.pk, c.case_number, _case_url(c.pk, tabs)) for c in cases],
                    rank=float(offender.rank or 0),
                )
            )
    if audit_search:
        with transaction.atomic():
            audit.record(
                user,
                AuditAction.SEARCH,
                object_type="cases.offender",
                detail=f"Offender search {parsed.raw!r}: {len(results)} result(s)",
            )
            shown = [c for _, _, cases in kept for c in cases]
            if shown:
                audit.record_reads(user, AuditAction.SEARCH, shown)
    return SearchOutcome(parsed, results)


def _visible(user: Any, record_type: str, case_ids: list[int]) -> set[int]:
    return set(
        Case.objects.restrict_record(user, "view", record_type)
        .filter(pk__in=case_ids)
        .values_list("pk", flat=True)
    )


def _register_lookups() -> None:
    """ILIKE and the trigram operator on the searched fields only (not on every CharField)."""
    for model, names in ((Offender, NAME_FIELDS), (OffenderAlias, ("first_name", "last_name"))):
        for name in names:
            model._meta.get_field(name).register_lookup(ILike)
            model._meta.get_field(name).register_lookup(TrigramMatch)


_register_lookups()
