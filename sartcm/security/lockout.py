"""Logon lockout (CJIS AC-7): 5 consecutive failures within 15 minutes lock the username until
an agency administrator unlocks it.

django-axes counts failures but knows only "ever" (no cool-off) or "since the last failure"
(cool-off). The policy needs both a window and a permanent lock, so this handler keeps one
`AccessFailureLog` row per failure (the timestamps) and marks the row that tripped the lock:

- not locked: failures = rows for the username in the last 15 minutes;
- locked: some row has `locked_out` — the lock holds however much time passes;
- a completed logon (password *and* second factor) or an administrator's unlock deletes the
  username's rows, so only consecutive failures count.

The permanent record of every failure is the audit trail (signals.py), not these rows.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from django.http import HttpRequest
from django.utils import timezone

from sartcm.security import policy


def _clip(value: Any, length: int) -> str:
    return (value or "")[:length]


class WindowedLockoutHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with a failure window and a lock that only an administrator lifts."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        failures = AccessFailureLog.objects.filter(username=username)
        if failures.filter(locked_out=True).exists():
            return get_failure_limit(request, credentials)
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        return failures.filter(attempt_time__gt=now - policy.lockout_window()).count()

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        username = get_client_username(request, credentials) if request is not None else None
        if not username:
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        was_locked = self.is_locked(request, credentials)
        # Written first, so the count axes takes next includes this failure: the 5th locks.
        entry = AccessFailureLog.objects.create(
            username=_clip(username, 255),
            ip_address=request.axes_ip_address,
            user_agent=_clip(request.axes_user_agent, 255),
            http_accept=_clip(request.axes_http_accept, 1025),
            path_info=_clip(request.axes_path_info, 255),
            locked_out=False,
        )
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request.axes_locked_out:
            AccessFailureLog.objects.filter(pk=entry.pk).update(locked_out=True)
            request.security_newly_locked = not was_locked  # type: ignore[attr-defined]

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        count = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        if username:
            AccessFailureLog.objects.filter(username=username).delete()
        return count

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        count = super().reset_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        if username:
            AccessFailureLog.objects.filter(username=username).delete()
        return count


def locked_usernames(usernames: list[str] | None = None) -> set[str]:
    """Usernames currently locked (optionally only among `usernames`)."""
    rows = AccessFailureLog.objects.filter(locked_out=True)
    if usernames is not None:
        rows = rows.filter(username__in=usernames)
    return set(rows.values_list("username", flat=True).distinct())


def is_locked(username: str) -> bool:
    return AccessFailureLog.objects.filter(username=username, locked_out=True).exists()
