"""Nightly account lifecycle and session housekeeping (Celery; scheduled in sartcm/celery.py)."""

from __future__ import annotations

from celery import shared_task

from sartcm.context import job_context
from sartcm.security import services


@shared_task(name="sartcm.security.tasks.disable_inactive_accounts")
def disable_inactive_accounts() -> dict[str, int]:
    """Disable accounts (and registered kinds, e.g. API keys) unused for 90 days."""
    with job_context():
        return services.disable_inactive_accounts()


@shared_task(name="sartcm.security.tasks.prune_sessions")
def prune_sessions() -> int:
    """Forget session rows whose sessions expired on their own."""
    with job_context():
        return services.prune_sessions()
