"""Fixtures shared by every test: real PostgreSQL (pytest-django) and real Redis."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):  # noqa: ANN001 - pytest fixtures
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.ping()
    return client


@pytest.fixture
def otp_login():
    """`otp_login(client, user)`: sign in with a verified second factor (force_login alone is
    refused by the MFA middleware). Same as `tests.helpers.otp_login`."""
    from tests.helpers import otp_login as login

    return login
