"""Token buckets, one per key, refilled continuously; kept in this process.

With several server processes a key gets up to that many times the rate:
enough to stop a flood, which is what these limits are for, without a
database write per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

# Past this many buckets, the ones that have refilled are dropped (a full
# bucket is the same as none), so that many distinct keys cannot grow it.
PRUNE_AT = 10_000


class RateLimiter:
    def __init__(self) -> None:
        # key: (tokens left, when counted, when full again)
        self._buckets: dict[Hashable, tuple[float, float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, limit: float, period: float = 60.0) -> float:
        """Spend one of ``key``'s tokens, ``limit`` of which come back every
        ``period`` seconds (and no more are kept): 0 when there was one, else
        the seconds until there is. A limit of 0 or less is no limit."""
        if limit <= 0:
            return 0.0
        rate = limit / period
        now = time.monotonic()
        with self._lock:
            tokens, last, _ = self._buckets.get(key, (limit, now, now))
            tokens = min(limit, tokens + (now - last) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            if not wait:
                tokens -= 1
            self._buckets[key] = (tokens, now, now + (limit - tokens) / rate)
            if len(self._buckets) > PRUNE_AT:
                self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}
        return wait
