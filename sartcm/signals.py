"""Logon audit (CJIS 5.4.1.1): successful and failed logons, and logoffs.

Connected in SartcmConfig.ready(). The request's source address comes from the request itself,
since a logon may run before the audit request context knows the user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from sartcm import audit
from sartcm.context import current
from sartcm.middleware import client_address
from sartcm.models import AuditAction, AuditOutcome


def _note_address(request: Any) -> None:
    if request is not None and current().source_address is None:
        current().source_address = client_address(request)


def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _note_address(request)
    audit.record(user, AuditAction.LOGIN, user, detail="logon succeeded")


def login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    _note_address(request)
    # credentials arrive cleansed of secrets; only the account name is kept
    username = str(credentials.get("username", ""))
    audit.record(
        None,
        AuditAction.LOGIN_FAILED,
        outcome=AuditOutcome.FAILURE,
        username=username,
        object_type="auth.user",
        detail=f"logon failed for account {username!r}",
    )


def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    _note_address(request)
    audit.record(user, AuditAction.LOGOUT, user, detail="logged out")


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="sartcm_audit_logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="sartcm_audit_login_failed")
    user_logged_out.connect(logged_out, dispatch_uid="sartcm_audit_logged_out")
