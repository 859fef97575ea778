"""How long to wait before a failed job's next attempt: pure, no clock."""

from __future__ import annotations

import random
from datetime import timedelta

BASE_SECONDS = 10.0
CAP_SECONDS = 3600.0


def retry_delay(
    attempts: int,
    rng: random.Random | None = None,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
) -> timedelta:
    """Exponential backoff with "full jitter" after ``attempts`` failed attempts.

    The ceiling doubles each attempt (10 s, 20 s, 40 s … capped at an hour) and
    the delay is drawn uniformly between half the ceiling and the ceiling, so
    jobs that failed together (a provider outage) do not all retry together.
    """
    if attempts < 1:
        raise ValueError("attempts counts failed attempts and starts at 1")
    ceiling = min(cap, base * 2 ** (attempts - 1))
    draw = (rng or random).uniform(ceiling / 2, ceiling)
    return timedelta(seconds=draw)
