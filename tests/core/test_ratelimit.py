"""The token buckets behind the ingestion rate limit and the public forms."""

from __future__ import annotations

import pytest

from fireline.core import ratelimit
from fireline.core.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    return clock


def test_a_bucket_holds_its_limit_and_refills_over_its_period(clock: Clock) -> None:
    limiter = RateLimiter()
    assert [limiter.take("a", 3, 3600) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a", 3, 3600) == pytest.approx(1200)  # one token every 20 minutes
    assert limiter.take("b", 3, 3600) == 0  # keys do not share a bucket
    clock.now += 600
    assert limiter.take("a", 3, 3600) == pytest.approx(600)
    clock.now += 600
    assert limiter.take("a", 3, 3600) == 0
    clock.now += 10 * 3600  # refilling stops at the limit
    assert [limiter.take("a", 3, 3600) for _ in range(4)][-1] > 0


def test_the_period_defaults_to_a_minute_and_no_limit_is_no_limit(clock: Clock) -> None:
    limiter = RateLimiter()
    assert [limiter.take(7, 60) for _ in range(60)] == [0] * 60
    assert limiter.take(7, 60) == pytest.approx(1)
    assert all(limiter.take(8, 0) == 0 for _ in range(1000))


def test_many_keys_do_not_grow_it_without_bound(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "PRUNE_AT", 100)
    limiter = RateLimiter()
    for n in range(100):
        limiter.take(f"old{n}", 1, 60)
    clock.now += 61  # every one of them has refilled
    limiter.take("busy", 1, 60)
    limiter.take("new", 1, 60)
    assert len(limiter._buckets) <= 2
    assert limiter.take("busy", 1, 60) > 0  # a bucket still in use is kept
