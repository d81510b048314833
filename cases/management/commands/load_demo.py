"""`manage.py load_demo`: the fictional Prairie State demo data (idempotent)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agencies.demo import DEMO_PASSWORD, demo_logins
from cases.demo.loader import DEFAULT_OFFENDERS, load_demo


class Command(BaseCommand):
    help = (
        "Load the Prairie State demo: 13 agencies of every kind, one login per role, the demo "
        "MOUs and 160 offenders with fictional histories. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--offenders", type=int, default=DEFAULT_OFFENDERS)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Date the data is relative to on a first load (default: today). Once loaded, "
            "the demo keeps its first date so re-runs describe the same rows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = load_demo(offenders=options["offenders"], as_of=options["as_of"])
        created = sum(result.stats.created.values())
        updated = sum(result.stats.updated.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data as of {result.anchor}: {created} rows created, {updated} updated "
                f"({time.monotonic() - started:.1f}s)."
            )
        )
        if options["verbosity"] > 1:
            for label in sorted(set(result.stats.created) | set(result.stats.updated)):
                self.stdout.write(
                    f"  {label}: +{result.stats.created[label]} ~{result.stats.updated[label]}"
                )
        for note in result.notes:
            self.stdout.write(f"  - {note}")
        if options["verbosity"] > 0:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for username, description in demo_logins():
                self.stdout.write(f"  {username:<14} {description}")
