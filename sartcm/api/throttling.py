"""Per-key (or per-user) throttling: 429 with Retry-After (DRF adds the header from wait())."""

from __future__ import annotations

import time
from typing import Any

from rest_framework.throttling import SimpleRateThrottle


class PerClientThrottle(SimpleRateThrottle):
    """One bucket per API key, else per signed-in user; rates in settings (DEFAULT_THROTTLE_RATES)."""

    scope = "client"

    @staticmethod
    def timer() -> float:
        # DRF's `timer = time.time` captures whatever time.time is when the module is first
        # imported (lazily, on the first request). Under freezegun that is a plain Python
        # function, which a class attribute binds to the instance: fake_time(self) -> TypeError.
        # Looking time.time up on each call also keeps buckets on the (frozen) clock.
        return time.time()

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        auth = getattr(request, "auth", None)
        if auth is not None and hasattr(auth, "prefix"):
            ident = f"key:{auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
