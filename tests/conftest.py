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
