"""Celery tasks of the cases app (tasks take ids, never model instances)."""

from __future__ import annotations

import logging

from celery import shared_task

from sartcm.context import job_context

log = logging.getLogger(__name__)


@shared_task(name="cases.tasks.access_reconcile")
def access_reconcile() -> dict[str, int]:
    """Nightly: compare every grant with the in-force MOU terms, repair and report drift
    (expected 0; anything else means a sync was missed and is logged as a warning)."""
    from cases.services.access import reconcile

    with job_context("job"):
        report = reconcile()
    if report.drift:
        log.warning(
            "access reconcile repaired drift: %d missing, %d extra grants",
            len(report.missing),
            len(report.extra),
        )
    return {"missing": len(report.missing), "extra": len(report.extra)}
