"""The numbers of the security policy, read from settings (env-driven) with CJIS defaults.

Sources: FBI CJIS Security Policy v5.9.5 (AC-7 lockout, AC-8 banner, AC-11/AC-12 session lock
and termination, IA-2 MFA, IA-5 authenticators, AC-2 account management) and OWASP ASVS 5.0 L2.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def _get(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def lockout_limit() -> int:
    """Consecutive failed logons that lock an account (AC-7: 5)."""
    return _get("AXES_FAILURE_LIMIT", 5)


def lockout_window() -> timedelta:
    """The failures must fall within this period to lock (AC-7: 15 minutes)."""
    return timedelta(minutes=_get("SECURITY_LOCKOUT_WINDOW_MINUTES", 15))


def session_idle() -> timedelta:
    """A session ends after this long without a request (AC-11: 30 minutes)."""
    return timedelta(seconds=_get("SECURITY_SESSION_IDLE_SECONDS", 30 * 60))


def session_absolute() -> timedelta:
    """A session ends this long after the logon, busy or not (re-authentication: 12 hours)."""
    return timedelta(seconds=_get("SECURITY_SESSION_ABSOLUTE_SECONDS", 12 * 3600))


def pending_login() -> timedelta:
    """Time allowed between the password step and the second factor."""
    return timedelta(seconds=_get("SECURITY_PENDING_LOGIN_SECONDS", 300))


def password_max_age() -> timedelta:
    """A password must be changed after this long (IA-5: annually)."""
    return timedelta(days=_get("SECURITY_PASSWORD_MAX_AGE_DAYS", 365))


def password_history() -> int:
    """How many previous passwords may not be reused."""
    return _get("SECURITY_PASSWORD_HISTORY", 10)


def account_inactive() -> timedelta:
    """Accounts unused this long are disabled (AC-2: 90 days)."""
    return timedelta(days=_get("SECURITY_ACCOUNT_INACTIVE_DAYS", 90))


def account_review_interval() -> timedelta:
    """Agency administrators review their accounts at least this often (AC-2: yearly)."""
    return timedelta(days=_get("SECURITY_ACCOUNT_REVIEW_DAYS", 365))


RECOVERY_CODE_COUNT = 10
