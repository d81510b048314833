"""`manage.py run_alert_sweep [--date YYYY-MM-DD] [--rule CODE ...] [--escalate] [--deliver]`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from protocols.choices import AlertRuleCode


class Command(BaseCommand):
    help = "Run the alert sweep once and print, per rule, alerts raised, still open and resolved."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Sweep as of this date (default: today).")
        parser.add_argument(
            "--rule", action="append", choices=AlertRuleCode.values, help="Only these rules."
        )
        parser.add_argument("--escalate", action="store_true", help="Also escalate overdue alerts.")
        parser.add_argument(
            "--deliver", action="store_true", help="Also deliver pending outbox messages."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from cases.alerts.engine import escalate, run_sweep

        try:
            on = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD.")
        result = run_sweep(on, rule_codes=options["rule"])
        width = max(len(code) for code in AlertRuleCode.values)
        self.stdout.write(f"{'rule':<{width}}  raised  still open  resolved")
        for code in AlertRuleCode.values:
            if code in result:
                counts = result[code]
                self.stdout.write(
                    f"{code:<{width}}  {counts.raised:>6}  {counts.still_open:>10}  "
                    f"{counts.resolved:>8}"
                )
            elif code in result.skipped:
                self.stdout.write(f"{code:<{width}}  skipped ({result.skipped[code]})")
        self.stdout.write(f"registration statuses changed: {result.statuses_changed}")
        if options["escalate"]:
            self.stdout.write(f"escalated: {escalate()}")
        if options["deliver"]:
            import cases.alerts.notify  # noqa: F401 - registers the alert email handlers
            from sartcm.outbox import deliver_pending

            self.stdout.write(f"outbox: {deliver_pending()}")
