#!/usr/bin/env python
"""Benchmark the alert sweep on whatever data is in the database, next to a naive loop.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/sweep.py [--date YYYY-MM-DD]
        [--naive-limit N] [--commit] [--skip-naive]

1. The full sweep (every rule), twice: a cold run (raises everything) and a steady-state run
   (everything still open). Inside a transaction that is rolled back unless --commit, so the
   rules run in one lane (other connections would not see the transaction's rows) with the
   foreign keys checked per statement; `python -m bench --only sweep` measures it committed,
   in its lanes, as it runs in production.
2. A naive per-case loop asking the same questions case by case (registration due/overdue,
   failed checks, reassessment, release without plan, treatment report), over at most
   --naive-limit cases and extrapolated to all of them; its answers are compared with the
   engine's desired sets for the same cases.

For each: wall time, number of queries, peak Python memory (tracemalloc) and the process's
maximum resident set size. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartcm.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.alerts.engine import run_sweep  # noqa: E402
from cases.alerts.rules import (  # noqa: E402
    RULES_BY_CODE,
    RuleContext,
    SweepSettings,
    month_start,
    previous_month,
)
from protocols.choices import AlertRuleCode as R  # noqa: E402

COMPARED = (
    R.REGISTRATION_DUE_SOON,
    R.REGISTRATION_OVERDUE,
    R.VERIFICATION_FAILED,
    R.REASSESSMENT_DUE,
    R.RELEASE_NO_PLAN,
    R.TREATMENT_REPORT_MISSING,
)


class Measure:
    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0
        self.peak_bytes = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


@contextmanager
def measured(label: str) -> Iterator[Measure]:
    measure = Measure()
    tracemalloc.start()
    start = time.perf_counter()
    with connection.execute_wrapper(measure):
        yield measure
    measure.seconds = time.perf_counter() - start
    measure.peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:<34} {measure.seconds:9.3f} s  {measure.queries:8d} queries  "
        f"peak {measure.peak_bytes / 2**20:8.1f} MB (Python)  max RSS {rss_mb:8.1f} MB"
    )


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM cases_offender), (SELECT count(*) FROM cases_case),
                      (SELECT count(*) FROM cases_supervisioncontact),
                      (SELECT count(*) FROM cases_registrationrecord),
                      (SELECT count(*) FROM cases_riskassessment),
                      (SELECT count(*) FROM cases_alert)"""
        )
        row = cursor.fetchone()
    names = ("offenders", "cases", "contacts", "registrations", "assessments", "alerts")
    return dict(zip(names, row, strict=True))


def engine_keys(on: date, case_ids: list[int]) -> set[tuple[str, str, date]]:
    """The engine's desired (rule, subject, due) for the compared rules and these cases."""
    settings = SweepSettings.load(on)
    keys: set[tuple[str, str, date]] = set()
    for code in COMPARED:
        rule = RULES_BY_CODE[code]
        sql, params = rule.desired(RuleContext(on=on, settings=settings, case_ids=case_ids))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT q.subject_key, q.due_date FROM ({sql}) q", params)
            keys |= {(code, subject, due) for subject, due in cursor.fetchall()}
    return keys


def naive(on: date, limit: int) -> tuple[set[tuple[str, str, date]], list[int]]:
    """The same questions, asked the obvious way: one case at a time, in Python."""
    from cases.models import Case
    from cases.services.registration import schedule_for

    settings = SweepSettings.load(on)

    def window(reg: Any) -> int:
        own = settings.alert.get((R.REGISTRATION_DUE_SOON, reg.jurisdiction))
        if own is not None:
            return own.due_soon_days
        schedule = schedule_for(reg.jurisdiction, reg.tier, reg.transient, on)
        if schedule.source is not None and schedule.source.jurisdiction:
            return schedule.due_soon_days
        default = settings.alert.get((R.REGISTRATION_DUE_SOON, ""))
        return default.due_soon_days if default is not None else schedule.due_soon_days

    reassess = settings.value(R.REASSESSMENT_DUE, "due_soon_days", 14)
    lead = settings.value(R.RELEASE_NO_PLAN, "release_lead_days", 90)
    prev, this = previous_month(on), month_start(on)
    keys: set[tuple[str, str, date]] = set()
    ids: list[int] = []
    for case in Case.objects.unrestricted().order_by("pk")[:limit]:
        ids.append(case.pk)
        for reg in case.registrations.exclude(status__in=["ended"]):
            due = reg.next_verification_due
            if due and reg.status != "absconded":
                if due < on:
                    keys.add((R.REGISTRATION_OVERDUE, f"registration:{reg.pk}", due))
                elif due <= on + timedelta(days=window(reg)):
                    keys.add((R.REGISTRATION_DUE_SOON, f"registration:{reg.pk}", due))
            latest = reg.verifications.order_by("-verified_on", "-pk").first()
            if latest is not None and latest.result != "verified":
                keys.add((R.VERIFICATION_FAILED, f"verification:{latest.pk}", latest.verified_on))
        if case.status not in ("discharged", "deceased"):
            latest_by_code: dict[str, Any] = {}
            for a in case.assessments.filter(status="valid").select_related("instrument"):
                best = latest_by_code.get(a.instrument.code)
                if best is None or (a.assessed_on, a.pk) > (best.assessed_on, best.pk):
                    latest_by_code[a.instrument.code] = a
            for code, a in latest_by_code.items():
                if a.next_due and a.next_due <= on + timedelta(days=reassess):
                    keys.add((R.REASSESSMENT_DUE, f"reassessment:{case.pk}:{code}", a.next_due))
        if (
            case.status in ("incarcerated", "pre_release")
            and case.expected_release_date
            and case.expected_release_date <= on + timedelta(days=lead)
            and not case.release_plans.filter(
                status__in=["approved", "approved_with_conditions"]
            ).exists()
        ):
            keys.add((R.RELEASE_NO_PLAN, f"release:{case.pk}", case.expected_release_date))
        for enrollment in case.treatment_enrollments.filter(
            discharge_status="active", intake_date__lt=this
        ):
            if not enrollment.reports.filter(month=prev).exists():
                keys.add(
                    (
                        R.TREATMENT_REPORT_MISSING,
                        f"enrollment:{enrollment.pk}:{prev:%Y-%m}",
                        this,
                    )
                )
    return keys, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", help="Sweep date (default today).")
    parser.add_argument("--naive-limit", type=int, default=2000)
    parser.add_argument("--commit", action="store_true", help="Keep the alerts raised.")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--per-rule", action="store_true", help="Time each rule on its own.")
    args = parser.parse_args()
    on = date.fromisoformat(args.date) if args.date else timezone.localdate()
    print(f"data: {counts()}  sweep date: {on}")
    with transaction.atomic():
        # rolled back unless --commit: check deferred foreign keys per statement, as the
        # sweep's per-rule commits would
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with measured("full sweep (cold)"):
            first = run_sweep(on)
        with measured("full sweep (steady state)"):
            run_sweep(on)
        for code, c in first.items():
            print(
                f"  {code:<26} raised {c.raised:7d}  still open {c.still_open:7d}  resolved {c.resolved:7d}"
            )
        if args.per_rule:
            for code in first:
                start = time.perf_counter()
                run_sweep(on, rule_codes=[code])
                print(f"  {code:<26} steady state {time.perf_counter() - start:7.3f} s")
        for code, why in first.skipped.items():
            print(f"  {code:<26} skipped ({why})")
        if not args.commit:
            transaction.set_rollback(True)
    if args.skip_naive:
        return
    with measured(f"naive loop (first {args.naive_limit} cases)") as m:
        naive_keys, ids = naive(on, args.naive_limit)
    total_cases = counts()["cases"]
    if ids:
        factor = total_cases / len(ids)
        print(
            f"naive loop extrapolated to {total_cases} cases: ~{m.seconds * factor:.1f} s, "
            f"~{int(m.queries * factor)} queries"
        )
    engine = engine_keys(on, ids)
    missing, extra = naive_keys - engine, engine - naive_keys
    print(
        f"same answers for those cases: {not missing and not extra} "
        f"(naive {len(naive_keys)}, engine {len(engine)}, "
        f"only naive {len(missing)}, only engine {len(extra)})"
    )


if __name__ == "__main__":
    main()
