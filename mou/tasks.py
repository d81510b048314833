"""Celery tasks of the mou app."""

from __future__ import annotations

import logging

from celery import shared_task

from sartcm.context import job_context

log = logging.getLogger(__name__)


@shared_task(name="mou.tasks.expire_mous")
def expire_mous() -> dict[str, list[int]]:
    """Daily: expire MOUs past their expiration date (their grants are revoked right after
    commit) and activate fully signed MOUs whose effective date has come."""
    from mou.services import run_daily

    with job_context("job"):
        result = run_daily()
    if result.expired or result.activated:
        log.info("MOUs expired: %s; activated: %s", result.expired, result.activated)
    return {"expired": result.expired, "activated": result.activated}
