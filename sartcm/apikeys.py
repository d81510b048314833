"""Service accounts and API keys for agency systems (managed by agency administrators).

A service account is a User + StaffMember of the administrator's agency with the roles the
system needs; its keys are narrowed further by scopes. Every step is audited.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.choices import Action, RecordType, Role
from agencies.querysets import staff_of
from agencies.roles import roles_allow
from sartcm import audit
from sartcm.api.authentication import hash_secret, new_key_material
from sartcm.models import APIKey, AuditAction

# Scopes outside case record types.
EXTRA_SCOPES = ("view:reference", "view:mous", "view:training")
ROTATION_GRACE = timedelta(hours=24)
INACTIVE_AFTER = timedelta(days=90)


def valid_scopes() -> list[str]:
    return [f"{a}:{rt}" for rt in RecordType for a in Action] + list(EXTRA_SCOPES)


def _require_admin(user: Any) -> Any:
    staff = staff_of(user)
    if staff is None or not staff.is_admin:
        raise PermissionDenied("Only agency administrators manage service accounts and API keys.")
    return staff


def keys_visible_to(user: Any) -> Any:
    """Keys of the administrator's agency (deny by default)."""
    staff = staff_of(user)
    if user.is_superuser:
        return APIKey.objects.all()
    if staff is None or not staff.is_admin:
        return APIKey.objects.none()
    return APIKey.objects.filter(user__staff__agency_id=staff.agency_id)


def create_service_account(admin: Any, name: str, roles: list[str]) -> Any:
    """A user that can only authenticate with API keys (unusable password)."""
    from agencies.models import StaffMember

    staff = _require_admin(admin)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValidationError({"name": ["Give the system a name (letters or digits)."]})
    bad = [r for r in roles if r not in Role.values or r == Role.AGENCY_ADMIN]
    if not roles or bad:
        raise ValidationError(
            {
                "roles": [
                    f"Choose one or more of: {', '.join(r for r in Role.values if r != Role.AGENCY_ADMIN)}."
                ]
            }
        )
    username = f"svc-{staff.agency.short_name.lower()}-{slug}"[:150]
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationError({"name": [f"A service account named {username} already exists."]})
        user = User.objects.create(username=username, first_name=name[:150], last_name="(system)")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        StaffMember.objects.create(
            user=user, agency=staff.agency, roles=roles, title="Service account"
        )
        audit.record(
            admin,
            AuditAction.PERMISSION_CHANGE,
            user,
            detail=f"created service account with roles {roles}",
        )
    return user


def issue_key(
    admin: Any, service_user: Any, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[APIKey, str]:
    """Create a key; returns (key, full secret) — the secret is shown once and never stored."""
    staff = _require_admin(admin)
    target = staff_of(service_user)
    if target is None or target.agency_id != staff.agency_id:
        raise PermissionDenied("You can issue keys only to your own agency's service accounts.")
    valid = set(valid_scopes())
    unknown = sorted(set(scopes) - valid)
    if not scopes or unknown:
        raise ValidationError(
            {
                "scopes": [
                    f"Unknown scopes {unknown}; valid: {', '.join(sorted(valid))}."
                    if unknown
                    else "Choose at least one scope."
                ]
            }
        )
    beyond = sorted(
        s
        for s in scopes
        if ":" in s
        and s.split(":", 1)[1] in RecordType.values
        and not roles_allow(target.roles, *s.split(":", 1))
    )
    if beyond:
        raise ValidationError(
            {"scopes": [f"The service account's roles do not allow {', '.join(beyond)}."]}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    prefix, secret, full = new_key_material()
    with transaction.atomic():
        key = APIKey.objects.create(
            name=name,
            user=service_user,
            prefix=prefix,
            key_hash=hash_secret(secret),
            scopes=sorted(set(scopes)),
            created_by=admin,
            expires_at=expires_at,
        )
        audit.record(
            admin,
            AuditAction.PERMISSION_CHANGE,
            key,
            detail=f"issued API key with scopes {key.scopes}",
        )
    return key, full


def rotate_key(admin: Any, key: APIKey) -> tuple[APIKey, str]:
    """A new key with the same scopes; the old one keeps working for a 24-hour grace period."""
    _require_admin(admin)
    if not keys_visible_to(admin).filter(pk=key.pk, revoked_at__isnull=True).exists():
        raise PermissionDenied("No such active key in your agency.")
    with transaction.atomic():
        new, full = issue_key(admin, key.user, key.name, key.scopes, key.expires_at)
        new.rotated_from = key
        new.save(update_fields=["rotated_from"])
        grace = timezone.now() + ROTATION_GRACE
        APIKey.objects.filter(pk=key.pk).update(expires_at=min(key.expires_at or grace, grace))
        audit.record(
            admin, AuditAction.PERMISSION_CHANGE, key, detail=f"rotated; replaced by {new.prefix}"
        )
    return new, full


def revoke_key(admin: Any, key: APIKey, reason: str) -> None:
    _require_admin(admin)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the key is revoked."]})
    with transaction.atomic():
        changed = (
            keys_visible_to(admin)
            .filter(pk=key.pk, revoked_at__isnull=True)
            .update(revoked_at=timezone.now(), revoked_reason=reason[:200])
        )
        if changed != 1:
            raise PermissionDenied("No such active key in your agency.")
        audit.record(admin, AuditAction.PERMISSION_CHANGE, key, detail=f"revoked: {reason}")


def disable_inactive_keys(now: datetime | None = None) -> int:
    """Keys unused for 90 days (or never used and 90 days old) are revoked (CJIS account lifecycle)."""
    now = now or timezone.now()
    cutoff = now - INACTIVE_AFTER
    stale = APIKey.objects.filter(revoked_at__isnull=True).filter(
        # never used: judge by creation time
        last_used_at__lt=cutoff
    ) | APIKey.objects.filter(
        revoked_at__isnull=True, last_used_at__isnull=True, created_at__lt=cutoff
    )
    with transaction.atomic():
        ids = list(stale.values_list("pk", flat=True))
        APIKey.objects.filter(pk__in=ids).update(
            revoked_at=now, revoked_reason="unused for 90 days"
        )
        for key in APIKey.objects.filter(pk__in=ids):
            audit.record(
                None,
                AuditAction.PERMISSION_CHANGE,
                key,
                detail="revoked automatically: unused for 90 days",
            )
    return len(ids)
