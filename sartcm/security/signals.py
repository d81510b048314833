"""Receivers: list sessions at logon, audit failures and lockouts, end sessions when an
account is disabled or its roles change."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from agencies.models import StaffMember
from sartcm import audit
from sartcm.models import AuditAction
from sartcm.security import services

User = get_user_model()


@receiver(user_logged_in, dispatch_uid="security_track_login")
def _track_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.track_login(request, user)


@receiver(user_logged_out, dispatch_uid="security_track_logout")
def _track_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if request is None or user is None:
        return
    reason = getattr(request, "security_logout_reason", None)
    audit.record(
        user,
        AuditAction.LOGOUT,
        user,
        detail=f"Session ended: {reason}." if reason else "Logged out.",
    )
    services.forget_session(request.session.session_key)


@receiver(user_login_failed, dispatch_uid="security_audit_login_failed")
def _audit_login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Connected after axes' receiver (INSTALLED_APPS order), so the lock state is known here.
    username = (get_client_username(request, credentials) if request is not None else None) or (
        credentials or {}
    ).get("username", "")
    stage = getattr(request, "security_failure_stage", "password")
    services.audit_failed_logon(request, username or "", stage)


@receiver(post_save, sender=User, dispatch_uid="security_user_disabled")
def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        services.end_user_sessions(instance.pk, "account disabled")


@receiver(pre_save, sender=StaffMember, dispatch_uid="security_staff_roles_before")
def _staff_before(sender: Any, instance: StaffMember, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (
        update_fields is not None and not {"roles", "active"} & set(update_fields)
    ):
        instance._security_old_roles = None  # type: ignore[attr-defined]
        return
    instance._security_old_roles = (  # type: ignore[attr-defined]
        StaffMember.objects.filter(pk=instance.pk).values_list("roles", flat=True).first()
    )


@receiver(post_save, sender=StaffMember, dispatch_uid="security_staff_changed")
def _staff_saved(sender: Any, instance: StaffMember, created: bool, **kwargs: Any) -> None:
    if created:
        return
    reason = services.staff_changed(getattr(instance, "_security_old_roles", None), instance)
    if reason:
        services.end_user_sessions(instance.user_id, reason)
