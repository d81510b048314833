"""API-key authentication for agency systems: `Authorization: Api-Key <prefix>.<secret>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from rest_framework import authentication, exceptions

from sartcm.middleware import client_address
from sartcm.models import APIKey

KEYWORD = "Api-Key"
# Recording every use would turn each read into a write; once a minute is enough to audit use.
LAST_USED_GRANULARITY = timedelta(seconds=60)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_material() -> tuple[str, str, str]:
    """(prefix, secret, full key). The full key is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return prefix, secret, f"{prefix}.{secret}"


class APIKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a request as the key's service account, narrowed to the key's scopes."""

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD

    def authenticate(self, request: Any) -> tuple[Any, APIKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(KEYWORD + " "):
            return None
        token = header[len(KEYWORD) + 1 :].strip()
        prefix, _, secret = token.partition(".")
        if not prefix or not secret:
            raise exceptions.AuthenticationFailed(
                "Malformed API key: expected '<prefix>.<secret>'."
            )
        now = timezone.now()
        key = (
            APIKey.objects.select_related("user")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        # Same message for unknown, revoked, expired and wrong secret: no oracle.
        if key is None or not hmac.compare_digest(key.key_hash, hash_secret(secret)):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
            APIKey.objects.filter(pk=key.pk).update(
                last_used_at=now, last_used_ip=client_address(request._request)
            )
        user = key.user
        user._sartcm_scopes = frozenset(
            key.scopes
        )  # read by restrict(): scopes narrow, never widen
        return user, key


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced as there), handing the view the signed-in
    user object itself. The request's user is a lazy proxy twice over (Django's, then the
    OTP middleware's, both already evaluated by the security middleware): every attribute
    read through it costs two proxy lookups, and a field-limited page reads the user a few
    dozen times per row (docs/performance.md, 11)."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        while isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        return user, None
