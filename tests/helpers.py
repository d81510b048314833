"""Test helpers shared by every test package.

Signing in: every session must be verified with a second factor (sartcm.security), so
`client.force_login(user)` alone gives a session that the next request ends (pages redirect
to /login/, the API answers 401). Use `otp_login(client, user)` instead:

    from tests.helpers import otp_login

    def test_something(client):
        otp_login(client, staff.user)
        response = client.get("/cases/")

It works for Django's `Client` and DRF's `APIClient` (session authentication).
`APIClient.force_authenticate(user)` bypasses sessions entirely and keeps working.
"""

from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

TEST_DEVICE_NAME = "Test authenticator"


def otp_device(user: Any) -> TOTPDevice:
    """A confirmed authenticator for `user` (created once, reused)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)
    return device


def otp_login(client: Any, user: Any, device: TOTPDevice | None = None) -> TOTPDevice:
    """Log `user` in on `client` as if they had passed both factors. Returns the device."""
    device = device or otp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
