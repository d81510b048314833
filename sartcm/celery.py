"""The Celery app. Tasks live in each app's tasks.py; the beat schedule is declared here."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartcm.settings")

app = Celery("sartcm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Report exports live in cases/tasks_reports.py (the browser topic), not cases/tasks.py.
app.autodiscover_tasks(related_name="tasks_reports")

app.conf.beat_schedule = {
    "access-reconcile-nightly": {
        "task": "cases.tasks.access_reconcile",
        "schedule": crontab(hour=2, minute=0),
    },
    "mou-expire-daily": {
        "task": "mou.tasks.expire_mous",
        "schedule": crontab(hour=0, minute=5),
    },
    # CJIS AC-2: accounts (and API keys) unused for 90 days are disabled.
    "security-disable-inactive-nightly": {
        "task": "sartcm.security.tasks.disable_inactive_accounts",
        "schedule": crontab(hour=1, minute=30),
    },
    "security-prune-sessions-hourly": {
        "task": "sartcm.security.tasks.prune_sessions",
        "schedule": crontab(minute=17),
    },
    "alert-sweep": {
        "task": "cases.tasks.run_alert_sweep",
        "schedule": crontab(minute="*/15"),
    },
    "alert-escalation-hourly": {
        "task": "cases.tasks.escalate_alerts",
        "schedule": crontab(minute=7),
    },
    "alert-digest-daily": {
        "task": "cases.tasks.queue_alert_digests",
        "schedule": crontab(hour=6, minute=30),
    },
    "outbox-delivery": {
        "task": "cases.tasks.deliver_outbox",
        "schedule": crontab(minute="*"),
    },
}
