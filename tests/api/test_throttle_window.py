"""The API throttle's sliding window (sartcm.api.throttling): counts per client in Redis, a
refused request does not count, the previous window weighs what is left of it, Retry-After
says when the next request fits, and clients do not share a bucket."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from sartcm.api.throttling import PerClientThrottle

START = dt.datetime(2026, 3, 16, 15, 0, 0, tzinfo=dt.UTC)  # the start of a minute window


class FourPerMinute(PerClientThrottle):
    rate = "4/minute"


def request(user_id: int) -> Any:
    user = SimpleNamespace(pk=user_id, is_authenticated=True)
    return SimpleNamespace(user=user, auth=None, META={"REMOTE_ADDR": "127.0.0.1"})


def attempt(user_id: int = 1) -> tuple[bool, float | None]:
    throttle = FourPerMinute()
    allowed = throttle.allow_request(request(user_id), None)
    return allowed, throttle.wait()


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def test_the_rate_is_kept_and_a_refused_request_does_not_count() -> None:
    with freeze_time(START) as clock:
        assert [attempt()[0] for _ in range(4)] == [True] * 4
        allowed, wait = attempt()
        # the 4 requests of this window weigh 4 × (1 - t/60) in the next: 3 fit at t = 15 s
        assert (allowed, wait) == (False, 75.0)
        for _ in range(5):
            assert attempt()[0] is False  # refusals are not counted...
        clock.tick(dt.timedelta(seconds=74))
        assert attempt()[0] is False
        clock.tick(dt.timedelta(seconds=1))
        assert attempt()[0] is True  # ...so the first request fits exactly when announced


def test_the_previous_window_weighs_what_is_left_of_it() -> None:
    with freeze_time(START + dt.timedelta(seconds=30)) as clock:
        assert [attempt()[0] for _ in range(4)] == [True] * 4  # 4 in the second half
        clock.tick(dt.timedelta(seconds=45))  # 15 s into the next window: weight 4 × 0.75 = 3
        assert attempt() == (True, None)  # 3 + 1
        allowed, wait = attempt()
        # 3 + 2 > 4: one more fits when the weight falls to 2, at 30 s into this window
        assert (allowed, wait) == (False, 15.0)


def test_clients_have_their_own_buckets() -> None:
    with freeze_time(START):
        assert [attempt(1)[0] for _ in range(5)] == [True] * 4 + [False]
        assert attempt(2)[0] is True


def test_no_rate_means_no_limit() -> None:
    class Unlimited(PerClientThrottle):
        rate = None

        def get_rate(self) -> None:
            return None

    throttle = Unlimited()
    assert all(throttle.allow_request(request(1), None) for _ in range(50))
