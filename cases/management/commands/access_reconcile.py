"""manage.py access_reconcile [--check]: compare the guardian grants with the in-force terms.

--check: list the differences (missing / extra grants) and exit 1 if any, changing nothing.
Without it: repair the differences (audited) and report the drift that was found.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sartcm.context import job_context


class Command(BaseCommand):
    help = "Compare (and, without --check, repair) case grants against the in-force MOU terms."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report differences; exit non-zero if there are any.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        from cases.services.access import reconcile

        with job_context("job"):
            report = reconcile(check=check)
        for label, rows in (("missing", report.missing), ("extra", report.extra)):
            for row in rows:
                where = (
                    row.case_number  # an agency-wide grant: "every case of <provider>"
                    if row.case_id is None
                    else f"case {row.case_number} (id {row.case_id})"
                )
                self.stdout.write(f"{label}: {row.agency} {row.permission} on {where}")
        summary = f"drift: {len(report.missing)} missing, {len(report.extra)} extra grants"
        if check:
            if report.drift:
                raise CommandError(summary)
            self.stdout.write(self.style.SUCCESS(f"{summary}; grants match the MOU terms."))
            return
        if report.applied is not None:
            summary += (
                f"; repaired: {report.applied.granted} granted, {report.applied.revoked} revoked"
            )
        self.stdout.write(self.style.SUCCESS(summary))
