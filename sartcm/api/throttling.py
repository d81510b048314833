"""Per-key (or per-user) throttling: 429 with Retry-After (DRF adds the header from wait()).

A sliding-window counter in Redis: one counter per client and window (`<key>:<window number>`),
and a request is allowed while (previous window's count × the part of it still inside the
sliding window) + this window's count, this request included, stays within the rate. One
round trip per request (INCR, EXPIRE and GET of the previous window, pipelined), whatever the
rate: DRF's SimpleRateThrottle keeps a list of every request's time in the window, read and
written back whole per request (1,200 floats unpickled and pickled at the default rate: ≈5%
of a list request's CPU in the bench, docs/performance.md design change 15), and two requests
at once both read the same list, so both could pass the last slot. INCR is atomic, so the
count cannot be lost that way; a refused request is taken off again (it does not count).
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.cache import caches
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

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window = float(self.duration)
        now = self.timer()
        number = math.floor(now / window)
        elapsed = now - number * window
        backend = caches["default"]
        current = backend.make_and_validate_key(f"{self.key}:{number}")
        previous = backend.make_and_validate_key(f"{self.key}:{number - 1}")
        client = backend._cache.get_client(current, write=True)  # the cache's redis-py client
        pipe = client.pipeline(transaction=False)
        pipe.incr(current)
        pipe.expire(current, int(2 * window) + 1)
        pipe.get(previous)
        count, _, before = pipe.execute()
        before = int(before or 0)
        if before * (1 - elapsed / window) + count <= self.num_requests:
            return True
        client.decr(current)  # a refused request does not count
        self._wait = self._seconds_until_allowed(before, count - 1, elapsed, window)
        return False

    def _seconds_until_allowed(
        self, before: int, count: int, elapsed: float, window: float
    ) -> float:
        """When one more request fits, `count` requests having been allowed in this window."""
        room = self.num_requests - count - 1  # what the previous window may still weigh
        if room >= 0 and before > 0:
            at = window * (1 - room / before)  # the weight falls to `room` at this point
            if at < window:
                return max(at - elapsed, 1.0)
        # the next window: this one's `count` then weighs count × (1 - t / window)
        room_next = self.num_requests - 1
        later = window * (1 - room_next / count) if count > room_next else 0.0
        return max(window - elapsed + later, 1.0)

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
