"""Background report exports (Celery). Registered from sartcm/celery.py with
`app.autodiscover_tasks(related_name="tasks_reports")`.

A task takes the export's id, claims it with a conditional UPDATE (queued → running), builds
the CSV as the person who asked for it (so restriction and field allow-lists are theirs),
updates `progress` as it goes, and saves the file under MEDIA_ROOT/exports/. A failure marks
the export failed with a short reason; it is never retried in a loop.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cases import reports
from sartcm import audit
from sartcm.context import job_context
from sartcm.models import AuditAction, AuditOutcome, ReportExport, ReportExportStatus

logger = logging.getLogger(__name__)

# Export kinds. Aggregate tables download at once (cases.views.reports.ReportCSVView); the
# case-level rows can be long, so they are built here.
KIND_CASES = "cases"


def _set_progress(export_id: Any, done: int, total: int) -> None:
    percent = 100 if total == 0 else min(99, int(100 * done / total))
    ReportExport.objects.filter(pk=export_id, status=ReportExportStatus.RUNNING).update(
        progress=percent
    )


def _build(export: ReportExport) -> tuple[str, int, list[Any]]:
    """The CSV text, its row count and the cases it read (for the audit trail)."""
    user = export.requested_by
    filters = reports.Filters.from_params(export.params["filters"])
    allowed = set(reports.reportable_agencies(user).values_list("pk", flat=True))
    # Re-check at build time: the person may have lost the right since asking.
    filters = reports.Filters(
        tuple(a for a in filters.agency_ids if a in allowed), filters.start, filters.end
    )
    out = io.StringIO()
    if export.kind == KIND_CASES:
        header, rows, cases = reports.case_compliance_rows(
            user, filters, lambda done, total: _set_progress(export.pk, done, total)
        )
        n = reports.write_csv_rows(out, header, rows) if header else 0
        return out.getvalue(), n, cases
    raise ValueError(f"unknown export kind {export.kind!r}")


@shared_task(name="cases.tasks_reports.build_report_export")
def build_report_export(export_id: str) -> None:
    """Build one export (claimed by conditional UPDATE so two workers never both build it)."""
    claimed = ReportExport.objects.filter(pk=export_id, status=ReportExportStatus.QUEUED).update(
        status=ReportExportStatus.RUNNING, started_at=timezone.now(), progress=0
    )
    if claimed != 1:
        return
    export = ReportExport.objects.select_related("requested_by").get(pk=export_id)
    with job_context():
        try:
            text, n, cases = _build(export)
        except Exception as exc:  # noqa: BLE001 - one bad export must not crash the worker
            logger.exception("report export %s failed", export_id)
            with transaction.atomic():
                ReportExport.objects.filter(pk=export_id).update(
                    status=ReportExportStatus.FAILED,
                    error=str(exc)[:300] or exc.__class__.__name__,
                    finished_at=timezone.now(),
                )
                audit.record(
                    export.requested_by,
                    AuditAction.EXPORT,
                    export,
                    outcome=AuditOutcome.FAILURE,
                    detail=f"Export failed: {export.title}",
                )
            return
        with transaction.atomic():
            export.file.save(f"{export.pk}.csv", ContentFile(text.encode("utf-8")), save=False)
            export.status = ReportExportStatus.DONE
            export.progress = 100
            export.row_count = n
            export.finished_at = timezone.now()
            export.save(update_fields=["file", "status", "progress", "row_count", "finished_at"])
            audit.record(
                export.requested_by,
                AuditAction.EXPORT,
                export,
                detail=f"Export built: {export.title}, {n} row(s)",
            )
            if cases:
                audit.record_reads(export.requested_by, AuditAction.EXPORT, cases)
