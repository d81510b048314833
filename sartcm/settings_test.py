"""Test override: real PostgreSQL and Redis, faster hashing, mail kept in memory."""

import os

os.environ.setdefault("SARTCM_ENV", "test")

from sartcm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Each test process gets its own Redis database number so parallel runs don't see each other.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
