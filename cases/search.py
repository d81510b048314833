"""Offender search: by name, alias, date of birth and identifiers — fast, forgiving, restricted.

What a query can hold (tokens split on spaces and commas, in any order):
- name parts: each must match the first, middle or last name by prefix ("Smi" finds Smith) or
  by trigram similarity (typos: "Smtih", "Jonh"), so "Smith John" and "Smith, John" find John
  Smith; or, all together, one alias of the person;
- a date (2001-02-03, 02/03/2001 or 02-03-2001): the date of birth;
- a token with a digit: a state ID, DOC number or FBI number (exact, case-insensitive).
All given parts must match.

Ranking, in two tiers. First the people matching every name part by prefix (an exact name
included), in alphabetical order of the name that matched, then of the other name, then id (lower
case, byte order): "Dav" lists Dave, David, Davidson, Davis, first and last names together.
Then, closest spelling first, those found through a typo (pg_trgm similarity ≥ 0.2, parts of
MIN_TRIGRAM_LENGTH+ letters): per part the best similarity of the first or last name (1 for a
name starting with the part), summed over the parts. Typo matches are looked for only while the
prefix matches the user may see number fewer than CANDIDATES: otherwise none could be shown.

Access: candidates come from `Offender.objects.restrict(user, "view")` (identity standing), and
a match only counts through fields the user may see — a partner whose terms do not share
`date_of_birth` cannot find (and so learn) a person by date of birth, nor by alias without
`aliases`. Results carry only permitted identity fields. Nobody else's existence leaks: an
outsider gets the same empty answer for a name that exists as for one that does not.

Speed (docs/performance.md, design changes 5 and 10): one statement in two stages. The prefix
stage walks the `offender_first_lower` / `offender_last_lower` indexes (lower(name) COLLATE
"C", other name, id) from the part onwards, in order, checking standing row by row until
CANDIDATES are found: a few hundred index rows however many names start with "Dav" (alias last
names, few, come from their GIN trigram index). The typo stage, a UNION of pg_trgm `%` scans
on the GIN trigram indexes of first_name, last_name and OffenderAlias.last_name ranked by
similarity, runs only when the prefix stage found fewer than CANDIDATES (a one-time filter:
PostgreSQL skips it otherwise), e.g. for "Smtih" or a rare name. So a name part matching only a
middle name or an alias first name (no index) does not find anyone by itself. The similarity
threshold is lowered for this statement only (SET LOCAL). The statement is written by hand
(`Sql`), the standing condition still comes from `restrict_record`. A search is a constant
number of queries.

A partner that sees people only through its case teams (per-case grants; design changes 14
and 22) starts from those people instead: a `people` CTE of their rows, read once (its cases
probed by id through its grants, index-only, with the application's random_page_cost, design
change 16), which every stage filters in memory, the typo stage's trigram tests included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.urls import reverse

from agencies.choices import RecordType
from cases.access import AllFields, allowed_fields, prefetch_assignments
from cases.models import Case, Offender, OffenderAlias
from cases.querysets import standing_by_case_grants_only
from sartcm import audit
from sartcm.context import keeping_standing
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


class Sql:
    """A fragment of SQL with its parameters (the search statement is written by hand: built
    with the ORM, its unions and annotations took ≈15 ms of Python to compile per search)."""

    def __init__(self, text: str = "", params: list[Any] | None = None) -> None:
        self.text = text
        self.params = list(params or [])

    @staticmethod
    def join(sep: str, parts: list[Sql]) -> Sql:
        return Sql(sep.join(p.text for p in parts), [x for p in parts for x in p.params])

    def parens(self) -> Sql:
        return Sql(f"({self.text})", self.params)

    def __add__(self, other: Sql) -> Sql:
        return Sql(self.text + other.text, self.params + other.params)


def _col(model: Any, field_name: str, alias: str) -> str:
    return f'{alias}."{model._meta.get_field(field_name).column}"'


def _prefix(model: Any, field_name: str, token: str, alias: str = "o") -> Sql:
    return Sql(f"{_col(model, field_name, alias)} ILIKE %s", [_like_prefix(token)])


def _typo(model: Any, field_name: str, token: str, alias: str = "o") -> Sql | None:
    """The trigram operator (parts of MIN_TRIGRAM_LENGTH+ only), index-served on the names."""
    if len(token) < MIN_TRIGRAM_LENGTH:
        return None
    return Sql(f"{_col(model, field_name, alias)} %% %s", [token])


def _field_matches(model: Any, field_name: str, token: str, *, typos: bool, alias: str) -> Sql:
    """The field matches the part by prefix or (with `typos`) by trigram similarity."""
    typo = _typo(model, field_name, token, alias) if typos else None
    branches = [_prefix(model, field_name, token, alias), *([typo] if typo else [])]
    return Sql.join(" OR ", branches)


def _part_matches(token: str, *, typos: bool) -> Sql:
    """The part matches the first, middle or last name: by prefix (the cheap tests, first),
    then — with `typos` — by trigram similarity (an OR stops at the first true)."""
    branches = [_prefix(Offender, f, token) for f in NAME_FIELDS]
    if typos:
        branches += [t for f in NAME_FIELDS if (t := _typo(Offender, f, token))]
    return Sql.join(" OR ", branches).parens()


def _alias_exists(names: tuple[str, ...], *, typos: bool = True) -> Sql:
    """An alias of the offender matches every name part (first or last name of the alias)."""
    parts = [
        Sql.join(
            " OR ",
            [
                _field_matches(OffenderAlias, "last_name", t, typos=typos, alias="a"),
                _field_matches(OffenderAlias, "first_name", t, typos=typos, alias="a"),
            ],
        )
        for t in names
    ]
    where = Sql.join(" AND ", [p.parens() for p in parts])
    offender_id = _col(OffenderAlias, "offender", "a")
    return Sql(
        f"EXISTS (SELECT 1 FROM {OffenderAlias._meta.db_table} a "
        f"WHERE {offender_id} = o.id AND {where.text})",
        where.params,
    )


def _names_match(names: tuple[str, ...], *, typos: bool) -> Sql:
    """Every part matches a name of the person, or all of them one alias. With one part,
    TRUE: being found by one of the stage's scans already says so."""
    if len(names) < 2:
        return Sql("TRUE")
    every = Sql.join(" AND ", [_part_matches(t, typos=typos) for t in names])
    return Sql.join(" OR ", [every.parens(), _alias_exists(names, typos=typos)]).parens()


def _name_scans(names: tuple[str, ...], *, prefixes: bool, typos: bool) -> list[Sql]:
    """One condition per index scan: the first or last name, or an alias last name, matching a
    name part by prefix (`prefixes`) and/or by trigram similarity (`typos`, parts of
    MIN_TRIGRAM_LENGTH+), each served by a trigram GIN index (middle names and alias first
    names have no index, so a part matching only those does not find a person).

    Each becomes one SELECT of a UNION: an OR of them in one SELECT is planned as a
    sequential scan computing every trigram of 100,000 names (≈170 ms)."""
    scans: list[Sql] = []
    aliases: list[Sql] = []
    for token in names:
        for field_name in ("first_name", "last_name"):
            scans += [_prefix(Offender, field_name, token)] if prefixes else []
            scans += [t for t in [_typo(Offender, field_name, token)] if t and typos]
        aliases += [_prefix(OffenderAlias, "last_name", token, "a")] if prefixes else []
        aliases += [t for t in [_typo(OffenderAlias, "last_name", token, "a")] if t and typos]
    offender_id = _col(OffenderAlias, "offender", "a")
    return scans + [
        Sql(
            f"o.id IN (SELECT {offender_id} FROM {OffenderAlias._meta.db_table} a "
            f"WHERE {scan.text})",
            scan.params,
        )
        for scan in aliases
    ]


def _conditions(parsed: ParsedQuery) -> Sql:
    """Date of birth and identifiers (exact; identifiers in either case)."""
    parts = [Sql(f"{_col(Offender, 'date_of_birth', 'o')} = %s", [day]) for day in parsed.dates]
    for token in parsed.identifiers:
        values = sorted({token, token.upper()})
        marks = ", ".join(["%s"] * len(values))
        ors = [Sql(f"{_col(Offender, f, 'o')} IN ({marks})", values) for f in IDENTIFIER_FIELDS]
        parts.append(Sql.join(" OR ", ors).parens())
    return Sql.join(" AND ", parts) if parts else Sql("TRUE")


def _flags(parsed: ParsedQuery) -> Sql:
    """One flag per (part, field) and per (identifier, field), and `alias`, for the
    field allow-lists (`_permitted_match`)."""
    flags = [
        Sql(
            f"({_field_matches(Offender, f, t, typos=True, alias='o').text}) AS n{i}_{f}",
            _field_matches(Offender, f, t, typos=True, alias="o").params,
        )
        for i, t in enumerate(parsed.names)
        for f in NAME_FIELDS
    ]
    if parsed.names:
        alias = _alias_exists(parsed.names)
        flags.append(Sql(f"{alias.text} AS alias", alias.params))
    for i, token in enumerate(parsed.identifiers):
        values = sorted({token, token.upper()})
        marks = ", ".join(["%s"] * len(values))
        flags += [
            Sql(f"{_col(Offender, f, 'o')} IN ({marks}) AS i{i}_{f}", values)
            for f in IDENTIFIER_FIELDS
        ]
    return Sql.join(", ", flags)


def _key(model: Any, field_name: str, alias: str) -> str:
    """A name as the prefix stage sorts it (lower case, byte order): the expression of the
    `offender_*_lower` indexes, so a prefix is a range of them, walked in order."""
    return f'lower({_col(model, field_name, alias)}) COLLATE "C"'


def _prefix_stage(
    parsed: ParsedQuery, names_match: Sql, where: Sql, seen: Sql, *, source: str = ""
) -> Sql:
    """The prefix matches the user may see, best first, at most CANDIDATES: a UNION ALL of one
    ordered, limited SELECT per (part, name field), each walking the `offender_*_lower` index
    from the part in alphabetical order and checking standing row by row until CANDIDATES
    are found — a few hundred rows read however many thousands start with "Dav". The key is
    (matched name, other name, id) in lower case; a person found twice keeps the smaller
    key. The first CANDIDATES by that key are exactly the first CANDIDATES of the union of
    each SELECT's first CANDIDATES. Alias last names (GIN-indexed, few rows) are sorted.
    `source` replaces the offender table (the case-team path's `people`, design change 22)."""
    table = source or Offender._meta.db_table
    aliases = OffenderAlias._meta.db_table
    limit = f"ORDER BY k1, k2, id LIMIT {CANDIDATES}"
    filters = Sql.join(" AND ", [names_match, where])
    branches: list[Sql] = []
    if not parsed.names:
        return Sql(
            f"SELECT o.id, {_key(Offender, 'last_name', 'o')} AS k1, "
            f"{_key(Offender, 'first_name', 'o')} AS k2 FROM {table} o {seen.text} "
            f"WHERE {filters.text} {limit}",
            [*seen.params, *filters.params],
        )
    for token in parsed.names:
        for matched, other in (("first_name", "last_name"), ("last_name", "first_name")):
            k1, k2 = _key(Offender, matched, "o"), _key(Offender, other, "o")
            branches.append(
                Sql(
                    f"(SELECT o.id, {k1} AS k1, {k2} AS k2 FROM {table} o {seen.text} "
                    f"WHERE {k1} LIKE lower(%s) AND {filters.text} {limit})",
                    [*seen.params, _like_prefix(token), *filters.params],
                )
            )
        k1, k2 = _key(OffenderAlias, "last_name", "a"), _key(OffenderAlias, "first_name", "a")
        alias_id = _col(OffenderAlias, "offender", "a")
        branches.append(
            Sql(
                f"(SELECT o.id, {k1} AS k1, {k2} AS k2 FROM {aliases} a "
                f"JOIN {table} o ON o.id = {alias_id} {seen.text} "
                f"WHERE {_col(OffenderAlias, 'last_name', 'a')} ILIKE %s "
                f"AND {filters.text} {limit})",
                [*seen.params, _like_prefix(token), *filters.params],
            )
        )
    union = Sql.join(" UNION ALL ", branches)
    return Sql(
        f"SELECT DISTINCT ON (id) id, k1, k2 FROM ({union.text}) AS branch ORDER BY id, k1, k2",
        union.params,
    )


def _typo_score(names: tuple[str, ...]) -> Sql:
    """Per part, the best of the first, middle and last name: 1 where it starts with the part,
    else its trigram similarity (< 1; the middle name has none); summed over the parts."""
    terms = []
    for token in names:
        scores = []
        for f in NAME_FIELDS:
            col = _col(Offender, f, "o")
            similar = f"similarity({col}, %s)" if f != "middle_name" else "0"
            scores.append(
                Sql(
                    f"CASE WHEN {col} ILIKE %s THEN 1.0 ELSE {similar} END",
                    [_like_prefix(token), *([token] if f != "middle_name" else [])],
                )
            )
        greatest = Sql.join(", ", scores)
        terms.append(Sql(f"GREATEST({greatest.text})", greatest.params))
    return Sql.join(" + ", terms)


def _typo_stage(
    parsed: ParsedQuery, names_match: Sql, where: Sql, *, source: str = ""
) -> Sql | None:
    """The trigram matches, ranked by similarity (best first) in a fenced subquery (`OFFSET
    0`): a SELECT of id, score, k1, k2 and names_match; None when no part is long enough.

    The rows come from a UNION of one SELECT per index scan (`_name_scans`; with one part,
    the trigram scans only — its prefix matches were the prefix stage's); the score and the
    name condition are computed once per person above it. With a `source` (the viewer sees
    only its case teams' people, materialized as `people`) the scans' conditions are ORed in
    one SELECT over those rows instead: tested on a few thousand people, not looked up among
    the state's."""
    if not any(len(t) >= MIN_TRIGRAM_LENGTH for t in parsed.names):
        return None
    table = source or Offender._meta.db_table
    single = len(parsed.names) == 1
    scans = _name_scans(parsed.names, prefixes=not single, typos=True)
    if source:
        union = Sql(f"SELECT o.* FROM {table} o WHERE ") + Sql.join(" OR ", scans).parens()
    else:
        union = Sql.join(
            " UNION ", [Sql(f"SELECT o.* FROM {table} o WHERE {s.text}", s.params) for s in scans]
        )
    score = _typo_score(parsed.names)
    return Sql(
        f"SELECT o.id, {score.text} AS score, {_key(Offender, 'last_name', 'o')} AS k1, "
        f"{_key(Offender, 'first_name', 'o')} AS k2, {names_match.text} AS names_match "
        f"FROM ({union.text}) o WHERE {where.text} "
        "ORDER BY score DESC, k1, k2, o.id OFFSET 0",
        score.params + names_match.params + union.params + where.params,
    )


def _candidates(user: Any, parsed: ParsedQuery) -> list[Offender]:
    """The best CANDIDATES offenders matching the query that the user has identity standing
    on, best first, with one flag per (part, field) so field allow-lists can be applied
    afterwards. One SELECT (after the SET LOCAL of the trigram threshold).

    Matches first, visibility per match, in two stages (the prefix matches, then the typos:
    `_prefix_stage`, `_typo_stage`). Each checks its matches best first for a case the user
    may see — a LATERAL lookup by the case's offender index — until CANDIDATES are found. The
    standing is the one `Offender.objects.restrict(user, "view")` applies (visible through
    any case of theirs with identity standing). Written as `id IN (visible cases)` — or as an
    EXISTS, which the planner turns into the same join — it hashed the offender ids of all
    100,000 cases a lead agency or statewide partner sees before joining the candidates; the
    lateral lookup cannot be planned that way.

    The typo stage runs only when the prefix stage found fewer than CANDIDATES (a one-time
    filter on its count): its rows all rank below the prefix stage's, and with fewer than
    CANDIDATES the prefix stage holds every visible prefix match, so `NOT IN` it leaves
    exactly the rest. The per-field flags are computed in the same statement for the kept
    rows only."""
    visible_cases = Case.objects.restrict_record(user, "view", RecordType.IDENTITY).order_by()
    if visible_cases.query.is_empty():
        return []
    visible_sql, visible_params = visible_cases.values("offender_id").query.sql_with_params()
    ctes: list[Sql] = []
    where = _conditions(parsed)
    few = standing_by_case_grants_only(user, "view", RecordType.IDENTITY)
    source = ""
    if few:
        # A partner that sees only its case teams' people (hundreds to thousands): read their
        # rows once, then every stage filters them in memory, instead of checking each of the
        # thousands of matches it mostly cannot see, or probing each person by id once per
        # stage (design changes 14 and 22).
        source = "people"
        ctes.append(
            Sql(
                f"people AS MATERIALIZED (SELECT o.* FROM {Offender._meta.db_table} o "
                f"WHERE o.id IN (SELECT v.offender_id FROM ({visible_sql}) v))",
                list(visible_params),
            )
        )

        def seen(alias: str) -> Sql:
            return Sql()

    else:

        def seen(alias: str) -> Sql:
            return Sql(
                f"CROSS JOIN LATERAL (SELECT 1 FROM ({visible_sql}) AS visible "
                f"WHERE visible.offender_id = {alias}.id LIMIT 1) AS seen",
                list(visible_params),
            )

    prefix = _prefix_stage(
        parsed, _names_match(parsed.names, typos=False), where, seen("o"), source=source
    )
    ctes.append(Sql(f"prefix AS MATERIALIZED ({prefix.text})", prefix.params))
    found = [f"SELECT id, 0 AS stage, {float(len(parsed.names) or 1)} AS score, k1, k2 FROM prefix"]
    if parsed.names:
        typo = _typo_stage(parsed, _names_match(parsed.names, typos=True), where, source=source)
        if typo is not None:
            candidate_seen = seen("candidate")
            ctes.append(
                Sql(
                    f"typo AS MATERIALIZED (SELECT candidate.id, candidate.score, "
                    f"candidate.k1, candidate.k2 FROM ({typo.text}) AS candidate "
                    f"{candidate_seen.text} WHERE (SELECT count(*) FROM prefix) < {CANDIDATES} "
                    "AND candidate.id NOT IN (SELECT id FROM prefix) AND candidate.names_match "
                    f"ORDER BY candidate.score DESC, candidate.k1, candidate.k2, candidate.id "
                    f"LIMIT {CANDIDATES})",
                    typo.params + candidate_seen.params,
                )
            )
            found.append("SELECT id, 1 AS stage, score, k1, k2 FROM typo")
    order = "ORDER BY stage, score DESC, k1, k2, id"
    flags = _flags(parsed)
    select_flags = f", {flags.text}" if flags.text else ""
    with_ = Sql.join(", ", ctes)
    # Unrestricted by design: only rows that passed the standing check above are joined.
    sql = (
        f"WITH {with_.text}, found AS ({' UNION ALL '.join(found)} {order} LIMIT {CANDIDATES}) "
        f"SELECT o.*, found.score AS rank{select_flags} FROM found "
        f"JOIN {Offender._meta.db_table} o ON o.id = found.id "
        f"ORDER BY found.stage, found.score DESC, found.k1, found.k2, found.id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # For this statement only: the trigram operator's threshold (see SIMILARITY_THRESHOLD).
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [SIMILARITY_THRESHOLD])
        return list(Offender.objects.raw(sql, [*with_.params, *flags.params]))


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


def _case_url(case_pk: int) -> str:
    """Where opening a case leads: the case workspace (it shows only the tabs the user may
    open)."""
    return reverse("cases:case_detail", kwargs={"pk": case_pk})


def search_offenders(user: Any, raw: str, *, audit_search: bool = True) -> SearchOutcome:
    """Search the offenders the user may see; results hold only permitted identity fields.

    Audited: one SEARCH event with the query and the result count, and one SEARCH read row per
    case shown (so "who saw this case" includes search results).
    """
    parsed = parse_query(raw)
    if parsed.empty or len(parsed.raw) < MIN_QUERY_LENGTH:
        return SearchOutcome(parsed, [], too_short=bool(parsed.raw))
    with keeping_standing():  # a search changes no grant or case
        return _search(user, parsed, audit_search=audit_search)


def _search(user: Any, parsed: ParsedQuery, *, audit_search: bool) -> SearchOutcome:
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
        # Team membership, for the field allow-lists (not asked for the cases the user's
        # agency leads: the lead sees every field).
        prefetch_assignments(
            user,
            [c.pk for c in visible_cases],
            lead_agencies={c.pk: c.lead_agency_id for c in visible_cases},
        )
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
                    cases=[CaseLink(c.pk, c.case_number, _case_url(c.pk)) for c in cases],
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
