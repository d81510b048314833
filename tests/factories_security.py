"""Factories and steps for the security tests (fictional people only)."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.choices import Role
from tests.factories import AgencyFactory, StaffFactory
from tests.helpers import otp_device

PASSWORD = "correct horse battery staple"  # UserFactory's password


def staff_member(agency: Any = None, roles: list[str] | None = None, **kwargs: Any) -> Any:
    """A staff member (with user) of `agency`, holding `roles` (case manager by default)."""
    return StaffFactory(
        agency=agency or AgencyFactory(), roles=roles or [Role.CASE_MANAGER], **kwargs
    )


def agency_admin(agency: Any) -> Any:
    return staff_member(agency, [Role.AGENCY_ADMIN])


def totp_code(device: TOTPDevice, at: float | None = None, *, offset_steps: int = 0) -> str:
    """The code an authenticator app would show for `device` at `at` (default: now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (time.time() if at is None else at) + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def password_step(
    client: Client,
    username: str,
    password: str = PASSWORD,
    *,
    consent: bool = True,
    next_url: str = "",
) -> Any:
    data = {"username": username, "password": password}
    if consent:
        data["consent"] = "on"
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, data)


def code_step(client: Client, code: str) -> Any:
    return client.post(reverse("security:login-verify"), {"code": code})


def full_login(client: Client, user: Any, device: TOTPDevice | None = None) -> TOTPDevice:
    """Log in through the real pages: password, then a fresh TOTP code."""
    device = device or otp_device(user)
    response = password_step(client, user.username)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("security:login-verify")
    response = code_step(client, totp_code(device))
    assert response.status_code == 302, response.content[:500]
    return device
