"""Supervision contact-standard compliance: per case, and set-based for a whole caseload.

Contact standards are data (`protocols.ContactStandard`): for a supervision level and a
requirement, "`count` qualifying contacts per `period_days` days", plus an optional deadline for
the first contact after supervision starts (`initial_deadline`, in calendar or business days
with the holiday calendar). The standard used is the one in force on the date in question
(`ContactStandard.objects.in_force(on).for_jurisdiction(case.jurisdiction)`).

Definitions (also in docs/compliance.md), for a supervised case evaluated on date `on`:

- A contact's *date* is its local date (settings.TIME_ZONE). Only contacts dated from
  `supervision_start` up to and including `on` count.
- Qualifying contacts per requirement (REQUIREMENT_RULES):
  face_to_face = face_to_face and outcome completed or violation observed;
  home_visit = a completed home visit; treatment_collateral = any treatment-provider
  collateral contact; employment_verification = any employment verification.
- The *window* is [on − period_days, on] (both ends inclusive): a contact exactly
  `period_days` ago still counts, one a day older does not.
- The *next due date* is the last day on which another contact keeps the case compliant:
  * at least `count` qualifying contacts: the `count`-th most recent contact's date
    + period_days (for "2 per 30 days": the older of the last two contacts + 30);
  * no qualifying contact yet and an initial deadline: supervision_start + initial_deadline
    (calendar days, or business days via protocols.calendar.add_business_days);
  * otherwise (fewer than `count` contacts, or no initial deadline): supervision_start
    + period_days — the first period is a grace period.
- *Status* on `on`: no contact yet with an initial deadline → `initial_pending` while
  on ≤ due, `initial_missed` after; otherwise `compliant` while on ≤ due, `behind` after.

Two implementations share these definitions: `case_compliance` (Python, one case, for the case
page, reading the contacts themselves) and `caseload_compliance` / `behind_requirements` (one
SQL statement for any number of cases: the caseload page and the alert engine), which reads
the per-(case, requirement) summary of qualifying contact times that database triggers keep
in step with the contacts (`cases.QualifyingContacts`). Tests check they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import QuerySet
from django.utils import timezone

from cases.choices import CaseStatus
from cases.requirements import REQUIREMENT_ORDER, REQUIREMENT_RULES
from protocols.calendar import add_business_days
from protocols.choices import ContactRequirement


class ComplianceStatus(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    BEHIND = "behind", "Behind"
    INITIAL_PENDING = "initial_pending", "First contact pending"
    INITIAL_MISSED = "initial_missed", "First-contact deadline missed"


# Kinds of problem the alert engine raises ("contact standard behind" / "first contact missed").
BEHIND = "behind"
FIRST_MISSED = "first_missed"

_PROBLEM_KIND = {ComplianceStatus.BEHIND: BEHIND, ComplianceStatus.INITIAL_MISSED: FIRST_MISSED}


@dataclass(frozen=True)
class RequirementStatus:
    """Compliance of one case with one contact requirement on a date."""

    case_id: int
    requirement: str
    standard_id: int
    count: int
    period_days: int
    status: str
    counted: int  # qualifying contacts in the window [on - period_days, on]
    last_contact: date | None
    due_date: date
    on: date

    @property
    def requirement_label(self) -> str:
        return ContactRequirement(self.requirement).label

    @property
    def status_label(self) -> str:
        return ComplianceStatus(self.status).label

    @property
    def standard_label(self) -> str:
        return f"{self.count} per {self.period_days} days"

    @property
    def window_start(self) -> date:
        return self.on - timedelta(days=self.period_days)

    @property
    def days_until_due(self) -> int:
        """Negative when overdue."""
        return (self.due_date - self.on).days

    @property
    def is_problem(self) -> bool:
        return self.status in _PROBLEM_KIND

    @property
    def kind(self) -> str | None:
        """'behind' / 'first_missed' for the alert engine, None when nothing is wrong."""
        return _PROBLEM_KIND.get(ComplianceStatus(self.status))

    @property
    def badge(self) -> str:
        """Bootstrap colour for the status badge."""
        if self.is_problem:
            return "danger"
        if self.days_until_due <= 7:
            return "warning"
        return "success"


@dataclass(frozen=True)
class BehindRequirement:
    """A requirement a case is behind on: what the alert engine raises alerts from."""

    case_id: int
    requirement: str
    due_date: date
    kind: str  # 'behind' | 'first_missed'


def today() -> date:
    return timezone.localdate()


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def contact_day(contact_at: datetime) -> date:
    """The local date of a contact (what windows and due dates count in)."""
    return contact_at.astimezone(_tz()).date()


def status_for(due: date, on: date, *, has_contact: bool, has_initial: bool) -> str:
    if not has_contact and has_initial:
        return ComplianceStatus.INITIAL_PENDING if on <= due else ComplianceStatus.INITIAL_MISSED
    return ComplianceStatus.COMPLIANT if on <= due else ComplianceStatus.BEHIND


def standards_in_force(jurisdiction: str, supervision_level: str, on: date) -> list[Any]:
    """The contact standards for a level in force on `on` (jurisdiction's own, else default)."""
    from protocols.models import ContactStandard

    rows = ContactStandard.objects.in_force(on).for_jurisdiction(jurisdiction)
    return list(rows.filter(supervision_level=supervision_level))


def initial_due_date(standard: Any, start: date, jurisdiction: str) -> date | None:
    if standard.initial_deadline is None:
        return None
    if standard.initial_in_business_days:
        return add_business_days(start, standard.initial_deadline, jurisdiction)
    return start + timedelta(days=standard.initial_deadline)


def _evaluate(case: Any, standard: Any, days_desc: Sequence[date], on: date) -> RequirementStatus:
    """One requirement from the qualifying contact dates (newest first, within [start, on])."""
    start: date = case.supervision_start
    window_start = on - timedelta(days=standard.period_days)
    counted = sum(1 for day in days_desc if day >= window_start)
    initial = initial_due_date(standard, start, case.jurisdiction)
    if not days_desc and initial is not None:
        due = initial
    elif len(days_desc) >= standard.count:
        due = days_desc[standard.count - 1] + timedelta(days=standard.period_days)
    else:
        due = start + timedelta(days=standard.period_days)
    return RequirementStatus(
        case_id=case.pk,
        requirement=standard.requirement,
        standard_id=standard.pk,
        count=standard.count,
        period_days=standard.period_days,
        status=status_for(due, on, has_contact=bool(days_desc), has_initial=initial is not None),
        counted=counted,
        last_contact=days_desc[0] if days_desc else None,
        due_date=due,
        on=on,
    )


def is_under_standards(case: Any, on: date) -> bool:
    return (
        case.status == CaseStatus.SUPERVISED
        and case.supervision_start is not None
        and case.supervision_start <= on
        and bool(case.supervision_level)
    )


def case_compliance(case: Any, on: date | None = None) -> list[RequirementStatus]:
    """Compliance of one case with every requirement of its level's standards on `on`.

    Empty for a case that is not supervised on `on`. Reads the standards in force on `on`,
    then the case's contacts once; business-day deadlines use the holiday calendar.
    """
    from cases.models import SupervisionContact

    on = on or today()
    if not is_under_standards(case, on):
        return []
    standards = standards_in_force(case.jurisdiction, case.supervision_level, on)
    if not standards:
        return []
    rows = list(
        SupervisionContact.objects.unrestricted()  # the caller has checked standing on the case
        .filter(case_id=case.pk)
        .values_list("contact_at", "contact_type", "face_to_face", "outcome")
    )
    contacts = [
        (contact_day(at), contact_type, f2f, outcome) for at, contact_type, f2f, outcome in rows
    ]
    contacts = [c for c in contacts if case.supervision_start <= c[0] <= on]
    result = []
    for standard in standards:
        rule = REQUIREMENT_RULES[standard.requirement]
        days = sorted((c[0] for c in contacts if rule.matches(*c[1:])), reverse=True)
        result.append(_evaluate(case, standard, days, on))
    return sorted(result, key=lambda r: REQUIREMENT_ORDER.index(r.requirement))


# --- Set-based ------------------------------------------------------------------------------

# One statement for any set of cases. `case_ids_sql` selects the case ids; the `in_force` CTE is
# the standards in force on %(on)s (optionally with proposed rows replacing current ones); the
# jurisdiction fallback mirrors StandardQuerySet.for_jurisdiction (a jurisdiction with any
# in-force row of its own uses only its own rows). Contacts are not read at all: each (case,
# standard) row takes its requirement's qualifying contact times from QualifyingContacts.
_COMPLIANCE_SQL = """
WITH base_standards AS (
    SELECT s.id, s.jurisdiction, s.supervision_level, s.requirement, s.count, s.period_days,
           s.initial_deadline, s.initial_in_business_days
    FROM protocols_contactstandard s
    WHERE s.effective_from <= %(on)s AND (s.effective_to IS NULL OR s.effective_to > %(on)s)
),
in_force AS (
    -- per standard, the start of its window as an instant: local midnight of on - period
    SELECT f.*, ((%(on)s::date - f.period_days)::timestamp AT TIME ZONE %(tz)s) AS window_from
    FROM ({in_force_sql}) f
),
supervised AS (
    -- per case, the start of supervision as an instant: local midnight of that day
    SELECT c.id, c.jurisdiction, c.supervision_level, c.supervision_start,
           (c.supervision_start::timestamp AT TIME ZONE %(tz)s) AS start_from
    FROM cases_case c
    WHERE {case_filter}
      AND c.status = %(supervised)s
      AND c.supervision_start <= %(on)s
      AND c.supervision_level <> ''
),
case_standard AS (
    SELECT c.id AS case_id, c.jurisdiction, c.supervision_start, c.start_from,
           s.id AS standard_id, s.requirement, s.count, s.period_days, s.window_from,
           s.initial_deadline, s.initial_in_business_days
    FROM supervised c
    JOIN in_force s
      ON s.supervision_level = c.supervision_level
     AND s.jurisdiction = CASE
            WHEN c.jurisdiction <> ''
             AND EXISTS (SELECT 1 FROM in_force own WHERE own.jurisdiction = c.jurisdiction)
            THEN c.jurisdiction ELSE '' END
),
case_days AS MATERIALIZED (
    -- The qualifying contact times per (case, requirement), newest first, from the summary
    -- the contact triggers maintain (cases.QualifyingContacts): one row per requirement
    -- instead of a pass over the case's contacts (docs/performance.md, design change 12).
    SELECT q.case_id, q.requirement, q.contact_ats AS ats
    FROM cases_qualifyingcontacts q
    JOIN supervised c ON c.id = q.case_id
),
evaluated AS NOT MATERIALIZED (
    -- (Inlined: materializing its ≈219,000 wide rows statewide cost more than evaluating
    -- the cheap array tests below where they are used.)
    -- Everything is compared as instants, not local dates: "dated on or after day D" is
    -- "at or after local midnight starting D", so only the bounds are converted (one per
    -- case and one per standard), never the contact times. Only contacts dated within
    -- [supervision start, on] count: usually all do (none after `on`, none before the start),
    -- which the newest and the oldest tell; otherwise the array is filtered.
    SELECT x.*, coalesce(cardinality(x.days), 0) AS total, x.days[x.count] AS nth_at
    FROM (
        SELECT cs.*,
               CASE
                 WHEN cd.ats IS NULL THEN NULL
                 WHEN cd.ats[1] < %(day_after)s AND cd.ats[cardinality(cd.ats)] >= cs.start_from
                 THEN cd.ats
                 ELSE (SELECT array_agg(t ORDER BY t DESC) FROM unnest(cd.ats) AS u(t)
                        WHERE t >= cs.start_from AND t < %(day_after)s)
               END AS days
        FROM case_standard cs
        LEFT JOIN case_days cd
          ON cd.case_id = cs.case_id AND cd.requirement = cs.requirement
    ) x
),
initial AS (
    SELECT e.*,
           CASE
             WHEN e.initial_deadline IS NULL THEN NULL
             WHEN e.initial_in_business_days AND e.initial_deadline > 0 THEN
               CASE WHEN e.total = 0 THEN (
                 -- the initial_deadline-th business day after supervision start (weekends
                 -- and the holidays of the case's jurisdiction and the default calendar
                 -- skipped). Only where it is used: no contact yet — a CASE branch, so the
                 -- calendar is walked for those few rows and not for every (case, standard)
                 -- (it was a third of the statewide sweep: docs/performance.md).
                 SELECT d::date
                 FROM generate_series(
                     e.supervision_start + 1,
                     e.supervision_start + e.initial_deadline * 2 + 30,
                     interval '1 day'
                 ) d
                 WHERE extract(isodow FROM d) < 6
                   AND NOT EXISTS (
                       SELECT 1 FROM protocols_holiday h
                       WHERE h.date = d::date AND h.jurisdiction IN ('', e.jurisdiction)
                   )
                 ORDER BY d
                 OFFSET greatest(e.initial_deadline - 1, 0) LIMIT 1
               ) END
             ELSE e.supervision_start + e.initial_deadline
           END AS initial_due
    FROM evaluated e
),
statused AS (
    SELECT i.*,
           CASE
             WHEN i.total = 0 AND i.initial_due IS NOT NULL THEN
               CASE WHEN %(on)s <= i.initial_due
                    THEN %(initial_pending)s ELSE %(initial_missed)s END
             WHEN i.nth_at IS NOT NULL THEN
               -- on <= nth contact's date + period  <=>  nth contact at or after the window
               CASE WHEN i.nth_at >= i.window_from THEN %(compliant)s ELSE %(behind)s END
             ELSE
               CASE WHEN %(on)s <= i.supervision_start + i.period_days
                    THEN %(compliant)s ELSE %(behind)s END
           END AS status
    FROM initial i
)
SELECT s.case_id, s.requirement, s.standard_id, s.count, s.period_days,
       (SELECT count(*) FROM unnest(s.days) AS w(t) WHERE w.t >= s.window_from) AS counted,
       (s.days[1] AT TIME ZONE %(tz)s)::date AS last_day,
       CASE
         WHEN s.total = 0 AND s.initial_due IS NOT NULL THEN s.initial_due
         WHEN s.nth_at IS NOT NULL THEN (s.nth_at AT TIME ZONE %(tz)s)::date + s.period_days
         ELSE s.supervision_start + s.period_days
       END AS due_date,
       s.status
FROM statused s
{where}
"""

_COLUMNS = (
    "case_id",
    "requirement",
    "standard_id",
    "count",
    "period_days",
    "counted",
    "last_contact",
    "due_date",
    "status",
)


def _get(proposed: Any, key: str, default: Any = None) -> Any:
    if isinstance(proposed, Mapping):
        return proposed.get(key, default)
    return getattr(proposed, key, default)


def _override_values(overrides: Sequence[Any]) -> tuple[str, list[Any]]:
    """VALUES rows for proposed standards (model instances or mappings); their id is 0."""
    rows: list[str] = []
    params: list[Any] = []
    for proposed in overrides:
        rows.append(
            "(0::bigint, %s::varchar, %s::varchar, %s::varchar, %s::int, %s::int, %s::int, %s::bool)"
        )
        params.extend(
            [
                _get(proposed, "jurisdiction", "") or "",
                _get(proposed, "supervision_level"),
                _get(proposed, "requirement"),
                _get(proposed, "count"),
                _get(proposed, "period_days"),
                _get(proposed, "initial_deadline"),
                bool(_get(proposed, "initial_in_business_days", False)),
            ]
        )
    return ", ".join(rows), params


_STANDARD_COLUMNS = (
    "id, jurisdiction, supervision_level, requirement, count, period_days, "
    "initial_deadline, initial_in_business_days"
)


def _named(sql: str, values: Sequence[Any], prefix: str, named: dict[str, Any]) -> str:
    """Turn the %s placeholders of a fragment into named ones (one parameter style)."""
    pieces = sql.split("%s")
    if len(pieces) - 1 != len(values):
        raise ValueError("placeholder count does not match the parameters")
    out = pieces[0]
    for i, piece in enumerate(pieces[1:]):
        named[f"{prefix}{i}"] = values[i]
        out += f"%({prefix}{i})s" + piece
    return out


def compliance_sql(
    case_ids_sql: str | None,
    case_ids_params: Sequence[Any],
    on: date,
    overrides: Sequence[Any] = (),
    only_statuses: Sequence[str] = (),
) -> tuple[str, dict[str, Any]]:
    """The compliance statement and its (named) parameters: one row per (case, requirement)
    (columns `_COLUMNS`) of the cases `case_ids_sql` selects (None: every case), or only the
    rows whose status is one of `only_statuses` (filtered in the database: statewide, the
    alert sweep needs ≈70,000 problem rows of ≈219,000)."""
    named: dict[str, Any] = {
        "on": on,
        "day_after": datetime.combine(on + timedelta(days=1), time.min, tzinfo=_tz()),
        "tz": settings.TIME_ZONE,
        "supervised": CaseStatus.SUPERVISED.value,
        "compliant": ComplianceStatus.COMPLIANT.value,
        "behind": ComplianceStatus.BEHIND.value,
        "initial_pending": ComplianceStatus.INITIAL_PENDING.value,
        "initial_missed": ComplianceStatus.INITIAL_MISSED.value,
    }
    if overrides:
        values_sql, values_params = _override_values(overrides)
        proposed = f"(VALUES {values_sql}) AS p({_STANDARD_COLUMNS})"
        in_force_sql = (
            f"SELECT {_STANDARD_COLUMNS} FROM base_standards b WHERE NOT EXISTS ("
            f"SELECT 1 FROM {proposed} WHERE p.jurisdiction = b.jurisdiction"
            " AND p.supervision_level = b.supervision_level AND p.requirement = b.requirement)"
            f" UNION ALL SELECT {_STANDARD_COLUMNS} FROM {proposed}"
        )
        in_force_params = values_params + values_params
    else:
        in_force_sql = f"SELECT {_STANDARD_COLUMNS} FROM base_standards"
        in_force_params = []
    if case_ids_sql is None:
        case_filter = "TRUE"
    else:
        case_filter = f"c.id IN ({_named(case_ids_sql, case_ids_params, 'c', named)})"
    if only_statuses:
        named["only_statuses"] = list(only_statuses)
    sql = _COMPLIANCE_SQL.format(
        in_force_sql=_named(in_force_sql, in_force_params, "f", named),
        case_filter=case_filter,
        where="WHERE s.status = ANY(%(only_statuses)s)" if only_statuses else "",
    )
    return sql, named


def _run(
    case_ids_sql: str | None,
    case_ids_params: Sequence[Any],
    on: date,
    overrides: Sequence[Any] = (),
    only_statuses: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Execute the compliance statement (see compliance_sql)."""
    sql, named = compliance_sql(case_ids_sql, case_ids_params, on, overrides, only_statuses)
    with connection.cursor() as cursor:
        cursor.execute(sql, named)
        return [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


PROBLEM_STATUSES = [status.value for status in _PROBLEM_KIND]


def _case_ids_sql(case_queryset: QuerySet | None) -> tuple[str, Sequence[Any]]:
    from cases.models import Case

    queryset = case_queryset if case_queryset is not None else Case.objects.unrestricted()
    try:
        return queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. restrict() gave .none(), or pk__in=[]
        return "SELECT NULL::bigint WHERE FALSE", ()


def scope_sql(case_ids: Iterable[int] | None) -> tuple[str | None, Sequence[Any]]:
    """Every case (None), or only `case_ids`."""
    if case_ids is None:
        return None, ()
    return "SELECT unnest(%s::bigint[])", (sorted(set(case_ids)),)


def _to_status(row: dict[str, Any], on: date) -> RequirementStatus:
    return RequirementStatus(on=on, **row)


def caseload_compliance(
    case_queryset: QuerySet, on: date | None = None
) -> dict[int, list[RequirementStatus]]:
    """Compliance of every supervised case in `case_queryset` on `on`, in ONE SQL query.

    Returns {case_id: [RequirementStatus, ...]} (requirements in ContactRequirement order);
    cases that are not supervised on `on`, or whose level has no standard, are absent.
    The caller restricts `case_queryset` (e.g. Case.objects.restrict_record(user, 'view',
    'contacts')); this function applies no access rules of its own.
    """
    on = on or today()
    sql, params = _case_ids_sql(case_queryset)
    result: dict[int, list[RequirementStatus]] = {}
    for row in _run(sql, params, on):
        result.setdefault(row["case_id"], []).append(_to_status(row, on))
    for statuses in result.values():
        statuses.sort(key=lambda r: REQUIREMENT_ORDER.index(r.requirement))
    return result


def behind_requirements(
    on: date | None = None, case_ids: Iterable[int] | None = None
) -> list[BehindRequirement]:
    """Every (case, requirement) behind or past its first-contact deadline on `on`.

    One SQL query over all supervised cases (deliberately unrestricted: the alert engine sees
    everything), or only `case_ids`. Rows are ordered by due date, then case and requirement.
    """
    on = on or today()
    sql, params = scope_sql(case_ids)
    rows = [
        BehindRequirement(
            case_id=row["case_id"],
            requirement=row["requirement"],
            due_date=row["due_date"],
            kind=_PROBLEM_KIND[ComplianceStatus(row["status"])],
        )
        for row in _run(sql, params, on, only_statuses=PROBLEM_STATUSES)
    ]
    return sorted(rows, key=lambda r: (r.due_date, r.case_id, r.requirement))


def count_cases_behind(standard_overrides: Iterable[Any], on: date | None = None) -> int:
    """How many supervised cases would be behind (or past a first-contact deadline) on `on` on
    a requirement of the proposed standards, if they replaced the standards in force.

    Each proposed standard (an unsaved ContactStandard, or a mapping with jurisdiction,
    supervision_level, requirement, count, period_days, initial_deadline,
    initial_in_business_days) replaces the in-force row with the same jurisdiction, level and
    requirement, or is added. Counts distinct cases over all cases: an aggregate, no rows leave
    this function (deliberately unrestricted). One SQL query.
    """
    overrides = list(standard_overrides)
    if not overrides:
        return 0
    on = on or today()
    rows = _run(None, (), on, overrides)
    # standard_id 0 marks a row evaluated against a proposed standard.
    return len(
        {r["case_id"] for r in rows if r["standard_id"] == 0 and r["status"] in _PROBLEM_KIND}
    )
