"""manage.py load_instruments: create the built-in instruments (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.scoring import ensure_builtin_instruments, ensure_default_standards


class Command(BaseCommand):
    """Create Static-99R, STABLE-2007 and ACUTE-2007; optionally their default standards."""

    help = (
        "Create the built-in instruments (Static-99R, STABLE-2007, ACUTE-2007). Safe to run "
        "again: existing definitions are kept unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite the built-in definitions (version 1) with the shipped ones.",
        )
        parser.add_argument(
            "--standards",
            action="store_true",
            help="Also add default level mappings and reassessment intervals for instruments "
            "that have none (jurisdiction: default).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = ensure_builtin_instruments(reset=options["reset"])
        for code, what in outcome.items():
            self.stdout.write(f"{code}: {what}")
        if options["standards"]:
            counts = ensure_default_standards()
            self.stdout.write(
                f"default standards: {counts['level_mappings']} level mappings, "
                f"{counts['intervals']} reassessment intervals added"
            )
