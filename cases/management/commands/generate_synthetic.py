"""`manage.py generate_synthetic`: a statewide dataset for benchmarks (COPY, progress bar)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.demo.synthetic import Options, SyntheticExists, generate


class Command(BaseCommand):
    help = (
        "Generate a synthetic statewide dataset (SYN- case numbers, separate from the demo): "
        "agencies, staff, MOUs, offenders, cases with teams, residences, registration history "
        "and about --contacts-per-case supervision contacts per case, written with COPY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--offenders", type=int, required=True)
        parser.add_argument("--agencies", type=int, default=250)
        parser.add_argument("--mous", type=int, default=40)
        parser.add_argument("--contacts-per-case", type=int, default=40)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier synthetic data first."
        )
        parser.add_argument(
            "--skip-grants", action="store_true", help="Do not run the grant sync afterwards."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            result = generate(
                Options(
                    offenders=options["offenders"],
                    agencies=options["agencies"],
                    mous=options["mous"],
                    contacts_per_case=options["contacts_per_case"],
                    seed=options["seed"],
                    replace=options["replace"],
                    sync_grants=not options["skip_grants"],
                    progress=not options["no_progress"] and options["verbosity"] > 0,
                )
            )
        except (SyntheticExists, ValueError) as error:
            raise CommandError(str(error)) from error
        total = sum(result.rows.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic data: {total:,} rows in {time.monotonic() - started:.1f}s."
            )
        )
        for label, count in sorted(result.rows.items()):
            self.stdout.write(f"  {label:<28} {count:>12,}")
        for phase, seconds in result.seconds.items():
            self.stdout.write(f"  {phase:<28} {seconds:>11.1f}s")
        for note in result.notes:
            self.stdout.write(f"  - {note}")
