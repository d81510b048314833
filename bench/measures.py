"""The measures of issue 11. Each runner takes the `Run` and returns `Figure`s.

Everything that writes (the sweep, MOU activation, team changes, in-process requests, whose
reads are audited) runs inside a transaction that is rolled back, so the dataset stays as it
was. The HTTP measures (gunicorn, locust) cannot: their audit rows stay (the audit trail is
append-only by design) and the contacts the load test logs are deleted afterwards.
"""

from __future__ import annotations

import resource
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.personas import Persona
from bench.report import Figure, ms, percentile


class Rollback(Exception):
    """Raised to leave a measured transaction without keeping anything."""


@contextmanager
def rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, ctx)


@dataclass
class Timed:
    seconds: float = 0.0
    queries: int = 0
    peak_python_mb: float = 0.0


@contextmanager
def timed(memory: bool = False, all_threads: bool = False) -> Iterator[Timed]:
    """Wall time, queries and (optionally) peak Python memory of the block. Queries are
    counted on this thread's connection, or with `all_threads` on every connection the block
    opens (the sweep's lanes run on threads of their own)."""
    out, counter = Timed(), QueryCounter()
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    with _counting_all_threads(counter) if all_threads else connection.execute_wrapper(counter):
        yield out
    out.seconds = time.perf_counter() - start
    out.queries = counter.count
    if memory:
        out.peak_python_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()


@contextmanager
def _counting_all_threads(counter: QueryCounter) -> Iterator[None]:
    """Count the queries of every thread (a bench-only patch of Django's cursor wrapper)."""
    from django.db.backends import utils

    original = utils.CursorWrapper._execute_with_wrappers
    lock = threading.Lock()

    def counted(self: Any, sql: str, params: Any, many: bool, executor: Any) -> Any:
        with lock:
            counter.count += 1
        return original(self, sql, params, many, executor)

    utils.CursorWrapper._execute_with_wrappers = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        utils.CursorWrapper._execute_with_wrappers = original  # type: ignore[method-assign]


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Run:
    """What the runners share: options, personas, the date, notes for the document."""

    quick: bool
    personas: dict[str, Persona]
    on: date
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def samples(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def check(value: float, limit: float) -> bool:
    return value <= limit


# --- the alert sweep --------------------------------------------------------------------


def _next_alert_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM cases_alert")
        return cursor.fetchone()[0]


def _remove_sweep_output(since_id: int | None, since: Any = None) -> int:
    """Delete the alerts a committed bench sweep raised on the synthetic cases and agencies
    (all of them when `since_id` is None: leftovers of an interrupted run — the generator
    writes no alerts) and the emails and webhooks it queued; returns the alerts deleted.
    Registration statuses the sweep brought up to date, and its audit rows, stay.

    Correlated EXISTS, one primary-key probe per alert: with `case_id IN (SELECT … synthetic
    cases) OR …` the planner cannot hash-join an OR, and once the cases' ids outgrow
    work_mem (474,000 cases) the hashed subplan becomes a linear one per alert (a 650,000-
    alert cleanup ran for 20 minutes)."""
    from cases.demo.synthetic import AGENCY_PREFIX, CASE_PREFIX

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM cases_alert a
                WHERE (%(since_id)s::bigint IS NULL OR a.id >= %(since_id)s)
                  AND (EXISTS (SELECT 1 FROM cases_case c
                                WHERE c.id = a.case_id AND c.case_number LIKE %(cases)s)
                       OR EXISTS (SELECT 1 FROM agencies_agency g
                                   WHERE g.id = a.agency_id AND g.short_name LIKE %(agencies)s))""",
            {"since_id": since_id, "cases": f"{CASE_PREFIX}%", "agencies": f"{AGENCY_PREFIX}%"},
        )
        removed = cursor.rowcount
        if since is not None:
            cursor.execute(
                "DELETE FROM sartcm_outboxmessage WHERE created_at >= %s"
                " AND kind IN ('alert_email', 'webhook')",
                [since],
            )
    if removed and not connection.in_atomic_block:  # the next run inserts into a vacuumed table
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_alert")
    return removed


def sweep(run: Run) -> list[Figure]:
    from bench import sweep as legacy
    from cases.alerts.engine import run_sweep
    from cases.models import Case

    figures: list[Figure] = []
    rss_before = max_rss_mb()
    # As in production: committed, so the rules run in their lanes on their own connections
    # (a rolled-back run would have to stay on one connection) and the alerts' deferred
    # foreign keys are checked at each rule's COMMIT. What it wrote is deleted after.
    leftovers = _remove_sweep_output(since_id=None)
    first_new_id = _next_alert_id()
    started = timezone.now()
    try:
        with timed(memory=True, all_threads=True) as cold:
            first = run_sweep(run.on)
        with timed(memory=True, all_threads=True) as steady:
            run_sweep(run.on)
    finally:
        _remove_sweep_output(since_id=first_new_id, since=started)
    if leftovers:
        run.notes.append(f"removed {leftovers:,} alerts left by an earlier interrupted run")
    raised = sum(c.raised for c in first.values())
    rss_after = max_rss_mb()
    # the same sweep with 1/10 of the cases would issue the same statements: the count
    # depends on the rules only (pinned by the engine's tests); report it next to the rules
    rules = len(first) + len(first.skipped)
    for label, t in (("cold (raises everything)", cold), ("steady state", steady)):
        figures.append(
            Figure(
                "sweep",
                f"full alert sweep, {label}",
                "≤ 5 s",
                f"{t.seconds:.2f} s",
                check(t.seconds, 5),
                f"{t.queries} queries for {rules} rules; {raised:,} alerts raised"
                if label.startswith("cold")
                else f"{t.queries} queries",
            )
        )
    figures.append(
        Figure(
            "sweep",
            "sweep peak memory",
            "< 300 MB",
            f"{max(rss_after, rss_before):.0f} MB max RSS",
            check(max(rss_after, rss_before), 300),
            f"Python heap peak {max(cold.peak_python_mb, steady.peak_python_mb):.1f} MB "
            "(tracemalloc); RSS is the whole bench process so far",
        )
    )
    limit = run.samples(1000, 150)
    with timed() as naive:
        keys, ids = legacy.naive(run.on, limit)
    total = Case.objects.unrestricted().count()
    if ids:
        per_case = naive.seconds / len(ids)
        extrapolated = per_case * total
        same = keys == legacy.engine_keys(run.on, ids)
        figures.append(
            Figure(
                "sweep",
                "naive per-case loop / sweep (cold)",
                "report",
                f"{extrapolated / max(cold.seconds, 1e-9):.0f}×",
                None,
                f"naive: {naive.seconds:.1f} s for {len(ids):,} cases, ~{extrapolated:.0f} s and "
                f"~{int(naive.queries / len(ids) * total):,} queries extrapolated to {total:,}; "
                f"same answers: {'yes' if same else 'NO'}",
            )
        )
    return figures


# --- access: reconcile after a statewide MOU, one case-team change ------------------------


def _statewide_mou(lead_agency_id: int, recipient_id: int) -> Any:
    """An active MOU sharing every record type, every field and action, of ALL the lead
    agency's cases with `recipient` (written directly: signatures are not what is measured)."""
    from agencies.choices import RecordType
    from agencies.vocabulary import SHAREABLE_FIELDS
    from mou.models import MOU, DataSharingTerm, MOUParty

    mou = MOU.objects.create(
        title="Bench: statewide data-sharing agreement",
        purpose="Benchmark (rolled back).",
        effective_date=date.today() - timedelta(days=1),
        expiration_date=date.today() + timedelta(days=365),
        status="active",
        drafted_by_id=lead_agency_id,
        terms_version=1,
    )
    MOUParty.objects.bulk_create(
        [MOUParty(mou=mou, agency_id=a) for a in (lead_agency_id, recipient_id)]
    )
    DataSharingTerm.objects.bulk_create(
        DataSharingTerm(
            mou=mou,
            version=1,
            provider_id=lead_agency_id,
            recipient_id=recipient_id,
            record_type=rt,
            fields=list(SHAREABLE_FIELDS[rt]),
            actions=["view", "add", "change"],
            scope="all",
        )
        for rt in RecordType
    )
    return mou


def access(run: Run) -> list[Figure]:
    from agencies.models import Agency
    from cases.access import diff_grants, sync_grants
    from cases.models import Case, CaseAssignment
    from mou.models import MOUParty

    lead = run.personas["lead"].staff.agency_id
    total = Case.objects.unrestricted().filter(lead_agency_id=lead).count()
    outsider = (
        Agency.objects.exclude(pk=lead)
        .exclude(pk__in=MOUParty.objects.values("agency_id"))
        .order_by("pk")
        .first()
    ) or Agency.objects.exclude(pk=lead).order_by("pk").first()
    figures = []
    with rolled_back():
        mou = _statewide_mou(lead, outsider.pk)
        with timed() as activate:
            result = sync_grants(agency_ids=[lead, outsider.pk], reason="bench")
        figures.append(
            Figure(
                "access",
                f"reconcile after activating an MOU covering every case ({total:,})",
                "≤ 15 s",
                f"{activate.seconds:.2f} s",
                check(activate.seconds, 15),
                f"{result.granted} grant rows written (agency-wide: 12 record types × 3 actions), "
                f"{activate.queries} queries; {total:,} cases now shared",
            )
        )
        mou.status = "terminated"
        mou.termination_reason = "bench"
        mou.save(update_fields=["status", "termination_reason"])
        with timed() as end:
            ended = sync_grants(agency_ids=[lead, outsider.pk], reason="bench")
        figures.append(
            Figure(
                "access",
                "reconcile after terminating it (tombstones for every case)",
                "≤ 15 s",
                f"{end.seconds:.2f} s",
                check(end.seconds, 15),
                f"{ended.revoked} grant rows removed; {total * 12:,} revocation tombstones",
            )
        )
    with rolled_back(), timed() as full:
        missing, extra = diff_grants()
    figures.append(
        Figure(
            "access",
            "nightly reconcile check (diff of every grant)",
            "report",
            f"{full.seconds:.2f} s",
            None,
            f"drift: {len(missing)} missing, {len(extra)} extra",
        )
    )
    # one case-team change: a partner with assigned-scope terms joins a case's team
    partner = run.personas.get("limited")
    if partner is not None:
        cases = list(
            Case.objects.unrestricted()
            .filter(lead_agency_id=lead)
            .exclude(assignments__agency_id=partner.staff.agency_id)
            .order_by("pk")
            .values_list("pk", flat=True)[: run.samples(40, 10)]
        )
        times: list[float] = []
        queries = 0
        with rolled_back():
            for case_id in cases:
                with timed() as one:
                    CaseAssignment.objects.create(
                        case_id=case_id,
                        agency_id=partner.staff.agency_id,
                        staff=partner.staff,
                        role="victim_advocate"
                        if "victim_advocate" in partner.staff.roles
                        else "treatment_provider",
                        start_date=run.on,
                    )
                times.append(one.seconds)
                queries = one.queries
        p50 = percentile(times, 50)
        figures.append(
            Figure(
                "access",
                "one case-team change (grant sync for the case), p50",
                "≤ 20 ms",
                ms(p50),
                check(p50, 0.020),
                f"p99 {ms(percentile(times, 99))}, {queries} queries, {len(times)} changes",
            )
        )
    return figures


# --- in-process requests: API, pages, search ---------------------------------------------


def _client(persona: Persona, api: bool = False) -> Any:
    from django.test import Client
    from rest_framework.test import APIClient

    from bench.personas import signed_in

    return signed_in(APIClient() if api else Client(), persona.user)


def _latencies(client: Any, url: str, n: int, warmup: int = 3) -> tuple[list[float], int, int]:
    """Wall time of n GETs (after warm-up), the status code and the queries per request."""
    status = 0
    for _ in range(warmup):
        status = client.get(url).status_code
    times: list[float] = []
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            status = response.status_code
    return times, status, counter.count // max(n, 1)


def _raw_latency(sql_params: list[tuple[str, Any]], n: int) -> list[float]:
    times = []
    with connection.cursor() as cursor:
        for _ in range(n):
            start = time.perf_counter()
            for sql, params in sql_params:
                cursor.execute(sql, params)
                cursor.fetchall()
            times.append(time.perf_counter() - start)
    return times


def _page_sql(
    queryset: Any, page: int = 50, columns: dict[str, Any] | None = None
) -> list[tuple[str, Any]]:
    """The raw SQL that fetches the same rows as a list page: the page (picked as the
    paginator picks it, with the columns the view's rows show), and the count up to the
    paginator's cap."""
    from sartcm.api.pagination import COUNT_CAP, CappedPaginator

    rows = CappedPaginator(queryset, page, columns=columns).rows(0, page)
    count = queryset.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
    return [rows.query.sql_with_params(), (f"SELECT COUNT(*) FROM ({count[0]}) c", count[1])]


def _row_columns(viewset: str, user: Any) -> dict[str, Any]:
    """The columns the view's rows show for this user (RestrictedViewSet.row_columns: names,
    a phone, the conditions in force where the user may see them), so the raw SQL fetches
    the rows the API returns, not only their own table's columns."""
    from django.utils.module_loading import import_string
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    view = import_string(viewset)()
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    view.request = request
    return view.row_columns()


@contextmanager
def read_only_request() -> Iterator[None]:
    """Build querysets as a GET request does: standing_q keeps only the parts of the access
    filter that can match (cases.querysets.standing_facts). The raw-SQL references are built
    in it, so they are the SQL the request runs, not the general form writes use."""
    from sartcm.context import RequestContext, _current

    token = _current.set(RequestContext(in_request=True, standing={}))
    try:
        yield
    finally:
        _current.reset(token)


API_ENDPOINTS = (
    # (name, persona keys, list url, model path and viewset for raw SQL)
    ("cases", ("lead", "limited"), "/api/v1/cases/", "cases.Case", "cases.api.access.CaseViewSet"),
    (
        "contacts",
        ("lead", "wide"),
        "/api/v1/contacts/",
        "cases.SupervisionContact",
        "cases.api.contacts.SupervisionContactViewSet",
    ),
)


def api(run: Run) -> list[Figure]:
    from django.apps import apps

    figures: list[Figure] = []
    n = run.samples(100, 25)
    with rolled_back():
        figures.append(_floor(run, n))
        for name, keys, url, label, viewset in API_ENDPOINTS:
            model = apps.get_model(label)
            p50s: dict[str, dict[str, float]] = {}
            for key in keys:
                persona = run.personas.get(key)
                if persona is None:
                    continue
                client = _client(persona, api=True)
                with read_only_request():
                    visible = model.objects.restrict(persona.user, "view")
                    columns = _row_columns(viewset, persona.user)
                ordering = model._meta.ordering or ["pk"]
                first = visible.order_by(*ordering).values_list("pk", flat=True).first()
                one = visible.filter(pk=first).annotate(**columns)
                for kind, target_url, raw in (
                    ("list", url, _page_sql(visible.order_by(*ordering), columns=columns)),
                    ("detail", f"{url}{first}/", [one.query.sql_with_params()]),
                ):
                    times, status, queries = _latencies(client, target_url, n)
                    raw_times = _raw_latency(raw, n)
                    p50, p99 = percentile(times, 50), percentile(times, 99)
                    raw50 = percentile(raw_times, 50)
                    p50s.setdefault(kind, {})[key] = p50
                    ok = status == 200 and p50 <= 0.030 and p99 <= 0.100
                    figures.append(
                        Figure(
                            "api",
                            f"GET {name} {kind} as {persona.label}",
                            "p50 ≤ 30 ms, p99 ≤ 100 ms",
                            f"p50 {ms(p50)}, p99 {ms(p99)}",
                            ok,
                            f"HTTP {status}, {queries} queries",
                        )
                    )
                    figures.append(
                        Figure(
                            "api",
                            f"{name} {kind} as {persona.key}: API ÷ raw SQL for the same rows",
                            "≤ 3×",
                            f"{p50 / raw50:.1f}× (raw {ms(raw50)})",
                            p50 / raw50 <= 3,
                        )
                    )
            for kind, by_key in p50s.items():
                restricted = [v for k, v in by_key.items() if k != "lead"]
                if "lead" in by_key and restricted:
                    ratio = max(restricted) / by_key["lead"]
                    figures.append(
                        Figure(
                            "api",
                            f"{name} {kind}: partner / lead agency (p50)",
                            "≤ 1.5×",
                            f"{ratio:.2f}×",
                            ratio <= 1.5,
                        )
                    )
    return figures


def _floor(run: Run, n: int) -> Figure:
    """The fixed cost of any signed-in API request: the API root reads no case data, but
    goes through the same middleware (session, user, second factor, account state with the
    standing facts), DRF authentication, permission and throttle, and JSON rendering."""
    client = _client(run.personas["lead"], api=True)
    times, status, queries = _latencies(client, "/api/v1/", n)
    return Figure(
        "api",
        "floor: signed-in GET /api/v1/ (no case data) as lead-agency case manager",
        "report",
        f"p50 {ms(percentile(times, 50))}, p99 {ms(percentile(times, 99))}",
        None,
        f"HTTP {status}, {queries} queries; any API request costs at least this",
    )


def pages(run: Run) -> list[Figure]:
    from cases.models import Case

    lead = run.personas["lead"]
    figures: list[Figure] = []
    n = run.samples(30, 8)
    case_id = (
        Case.objects.restrict(lead.user, "view")
        .filter(case_manager=lead.staff)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    targets = [
        ("caseload dashboard (/)", "/"),
        ("caseload page", "/cases/caseload/"),
        ("case workspace", f"/cases/{case_id}/"),
        ("alerts inbox", "/cases/alerts/"),
    ]
    with rolled_back():
        client = _client(lead)
        for label, url in targets:
            times, status, queries = _latencies(client, url, n)
            p50 = percentile(times, 50)
            figures.append(
                Figure(
                    "pages",
                    f"{label} as {lead.label}",
                    "p50 ≤ 100 ms",
                    f"p50 {ms(p50)}",
                    status == 200 and p50 <= 0.100,
                    f"HTTP {status}, {queries} queries, p95 {ms(percentile(times, 95))}",
                )
            )
    return figures


SEARCHES = ("Smi", "Joh", "Garc", "Will", "Mar", "Brow", "Dav", "Lop", "Smtih", "Andersen")


def search(run: Run) -> list[Figure]:
    from cases.models import Offender
    from cases.search import search_offenders

    figures: list[Figure] = []
    total = Offender.objects.unrestricted().count()
    rounds = run.samples(5, 2)
    with rolled_back():
        # all three see identity (the advocate's terms do not share it); "team" sees only the
        # people of its case teams (design change 14)
        for key in ("lead", "wide", "team"):
            persona = run.personas.get(key)
            if persona is None:
                continue
            times, found = [], 0
            for term in SEARCHES:
                search_offenders(persona.user, term)  # warm-up
            for _ in range(rounds):
                for term in SEARCHES:
                    start = time.perf_counter()
                    outcome = search_offenders(persona.user, term)
                    times.append(time.perf_counter() - start)
                    found += len(getattr(outcome, "results", []) or [])
            p50 = percentile(times, 50)
            figures.append(
                Figure(
                    "search",
                    f"partial-name search over {total:,} offenders as {persona.label}",
                    "p50 ≤ 50 ms",
                    f"p50 {ms(p50)}",
                    p50 <= 0.050,
                    f"p95 {ms(percentile(times, 95))}; {len(SEARCHES)} queries × {rounds} "
                    f"(prefixes and a typo); {found / max(len(times), 1):.0f} results on average",
                )
            )
    return figures


def http(run: Run) -> list[Figure]:
    from bench import serving as web

    return web.throughput(run)


def load(run: Run) -> list[Figure]:
    from bench import serving as web

    return web.load_test(run)
