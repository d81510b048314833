"""`python -m bench` (`make bench`): the performance suite of issue 11 on whatever dataset
DATABASE_URL points at; prints a table and writes the results section of docs/performance.md.

    python -m bench [--only sweep,access,api,pages,search,http,load] [--quick]
                    [--no-docs] [--docs PATH] [--date YYYY-MM-DD]

See bench/README.md. Not a test: timings depend on the machine; the verdicts compare them with
the targets of issue 11.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURES = ("sweep", "access", "api", "pages", "search", "http", "load")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(MEASURES),
        help=f"Comma-separated measures to run (default all): {', '.join(MEASURES)}.",
    )
    parser.add_argument("--quick", action="store_true", help="Fewer samples (for iterating).")
    parser.add_argument("--no-docs", action="store_true", help="Do not touch the document.")
    parser.add_argument("--docs", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--date", help="Sweep date (default today).")
    args = parser.parse_args(argv)
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = [m for m in args.only if m not in MEASURES]
    if unknown:
        parser.error(f"--only: unknown measure(s) {', '.join(unknown)}; choose from {MEASURES}")
    return args


def configure() -> None:
    """Django settings for measuring: no DEBUG query log, the test client's host allowed, and
    the API throttle out of the way (it limits clients, not the server being measured)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartcm.settings")
    os.environ.setdefault("API_RATE", "1000000/minute")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings

    from sartcm.startup import prepare_to_serve

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    prepare_to_serve()  # as the WSGI entry point does: measure the server's start-up


def dataset_counts() -> dict[str, int]:
    from django.db import connection

    tables = {
        "offenders": "cases_offender",
        "cases": "cases_case",
        "contacts": "cases_supervisioncontact",
        "agencies": "agencies_agency",
        "MOUs": "mou_mou",
        "per-case grants": "cases_casegroupobjectpermission",
        "agency-wide grants": "cases_agencywidegrant",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables.values())
        )
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure()
    from django.db import connection

    from bench import measures, personas, report

    started = time.monotonic()
    counts = dataset_counts()
    print("dataset:", ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    found = personas.pick_personas()
    if "lead" not in found:
        print("No lead-agency case manager in this database: generate a dataset first.")
        return 2
    for persona in found.values():
        print(f"persona {persona.key}: {persona}")
    run = measures.Run(
        quick=args.quick,
        personas=found,
        on=date.fromisoformat(args.date) if args.date else date.today(),
    )
    runners = {
        "sweep": measures.sweep,
        "access": measures.access,
        "api": measures.api,
        "pages": measures.pages,
        "search": measures.search,
        "http": measures.http,
        "load": measures.load,
    }
    figures: list[report.Figure] = []
    try:
        for name in MEASURES:
            if name not in args.only:
                continue
            t0 = time.monotonic()
            print(f"\n== {name} ...", flush=True)
            got = runners[name](run)
            for figure in got:
                print(f"  {figure.measure}: {figure.result} ({figure.verdict})", flush=True)
            print(f"   ({time.monotonic() - t0:.0f} s)")
            figures += got
    finally:
        personas.cleanup()
    print()
    print(report.render_table(figures))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    machine = report.machine(pg)
    elapsed = time.monotonic() - started
    for note in run.notes:
        print(f"note: {note}")
    print(f"\n{machine.describe()}; load {machine.load}; suite took {elapsed:.0f} s")
    if not args.no_docs:
        command = (
            "make bench"
            if not argv and len(sys.argv) <= 1
            else "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
        )
        busy = os.getloadavg()[0] > (os.cpu_count() or 1) if hasattr(os, "getloadavg") else False
        notes = [
            *run.notes,
            *(
                [
                    "Taken UNDER LOAD: the load average exceeded the number of cores (other "
                    "jobs shared the machine), so times are pessimistic; re-run on a quiet machine."
                ]
                if busy
                else []
            ),
            f"Suite wall time {elapsed:.0f} s"
            + (" (--quick: fewer samples)" if args.quick else "")
            + (f"; measures run: {', '.join(args.only)}" if len(args.only) < len(MEASURES) else ""),
        ]
        section = report.results_section(
            figures,
            machine,
            datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            counts,
            notes,
            command=command,
        )
        report.update_document(Path(args.docs), section)
        print(f"results written to {args.docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
