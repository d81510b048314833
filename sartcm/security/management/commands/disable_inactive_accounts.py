"""`manage.py disable_inactive_accounts [--on YYYY-MM-DD]`: the nightly sweep, by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand

from sartcm.context import job_context
from sartcm.security import services


class Command(BaseCommand):
    help = "Disable accounts (and API keys) unused for 90 days; their sessions end."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", type=date.fromisoformat, help="Pretend today is this date.")

    def handle(self, *args: Any, **options: Any) -> None:
        with job_context():
            counts = services.disable_inactive_accounts(options.get("on"))
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} disabled")
