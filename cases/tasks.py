"""Celery tasks of the cases app. Tasks take ids or dates, never model instances."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import shared_task

from sartcm.context import job_context

log = logging.getLogger(__name__)


@shared_task(name="cases.tasks.run_alert_sweep", ignore_result=True)
def run_alert_sweep(on: str | None = None) -> dict[str, Any]:
    """Every 15 minutes: apply every alert rule (idempotent; a concurrent run skips busy rules)."""
    from cases.alerts.engine import run_sweep

    result = run_sweep(date.fromisoformat(on) if on else None)
    return {
        "rules": {code: list(counts) for code, counts in result.items()},
        "skipped": result.skipped,
    }


@shared_task(name="cases.tasks.escalate_alerts", ignore_result=True)
def escalate_alerts() -> int:
    """Hourly: escalate unacknowledged alerts past the protocol's days to a supervisor."""
    from cases.alerts.engine import escalate

    return escalate()


@shared_task(name="cases.tasks.queue_alert_digests", ignore_result=True)
def queue_alert_digests() -> int:
    """Daily: one email digest per person with open alerts (through the outbox)."""
    from cases.alerts.notify import queue_digests

    return queue_digests()


@shared_task(name="cases.tasks.deliver_outbox", ignore_result=True)
def deliver_outbox() -> dict[str, int]:
    """Every minute (and nudged after commits): deliver pending outbox messages."""
    import cases.alerts.notify  # noqa: F401 - registers the alert email handlers
    from sartcm.outbox import deliver_pending

    return deliver_pending()


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
