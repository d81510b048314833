"""Second factors for the demo accounts, so `make run` lets a newcomer in within a minute.

Demo data only: every function here refuses to run unless settings.DEMO_MODE is true, which
production settings never allow (DEMO_MODE = not PRODUCTION and ...). The secrets are fixed
(derived from the username) so the banner, the README and `manage.py demo_code` agree.
"""

from __future__ import annotations

import hashlib
import time
from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_DEVICE_NAME = "Demo authenticator"


def _require_demo_mode() -> None:
    if not getattr(settings, "DEMO_MODE", False) or getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured(
            "Demo second factors exist only with DEMO_MODE on (never in production)."
        )


def demo_key_hex(username: str) -> str:
    """The fixed demo TOTP key of a username (20 bytes, hex as django-otp stores it)."""
    return hashlib.sha256(f"sartcm-demo-totp:{username}".encode()).hexdigest()[:40]


def secret_base32(key_hex: str) -> str:
    return b32encode(unhexlify(key_hex)).decode()


def ensure_demo_devices(usernames: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Give each existing demo user a confirmed TOTP device with its fixed secret.

    Returns {username: base32 secret}. Usernames that do not exist are skipped. Any other
    authenticator the user has is replaced. Raises ImproperlyConfigured outside DEMO_MODE.
    """
    _require_demo_mode()
    secrets: dict[str, str] = {}
    users = get_user_model().objects.filter(username__in=list(usernames))
    with transaction.atomic():
        for user in users:
            key = demo_key_hex(user.username)
            device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
            if device is None or device.key != key or not device.confirmed:
                TOTPDevice.objects.filter(user=user).delete()
                TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)
            secrets[user.username] = secret_base32(key)
    return secrets


def current_code(username: str, at: float | None = None) -> str:
    """The demo user's 6-digit code for now (each code works once; a new one every 30 s)."""
    _require_demo_mode()
    totp = TOTP(unhexlify(demo_key_hex(username)), step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def seconds_left(at: float | None = None) -> int:
    now = time.time() if at is None else at
    return 30 - int(now) % 30


def otpauth_url(username: str) -> str:
    _require_demo_mode()
    issuer = getattr(settings, "OTP_TOTP_ISSUER", "SARTCM")
    return (
        f"otpauth://totp/{issuer}:{username}?secret={secret_base32(demo_key_hex(username))}"
        f"&issuer={issuer}&digits=6&period=30"
    )


def second_factor_lines(usernames: list[str]) -> list[str]:
    """Banner lines: each demo user's secret (for an authenticator app) and the code now."""
    secrets = ensure_demo_devices(usernames)
    return [
        f"  {username:<14} secret {secret}  code now {current_code(username)}"
        for username, secret in secrets.items()
    ]
