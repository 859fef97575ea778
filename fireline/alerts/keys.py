"""Integration keys: made, hashed and looked up.

A key is 32 hexadecimal characters, the shape PagerDuty's routing keys have,
so that clients which check it accept fireline's."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from fireline.alerts.models import Integration
from fireline.core.db import Database

LOOKUP_TTL_SECONDS = 10.0


def new_key() -> str:
    return secrets.token_hex(16)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class KnownIntegration:
    id: int
    kind: str
    service_id: int
    key_hash: str
    mapping: dict[str, Any]
    rate_limit_per_minute: int


class KeyDirectory:
    """Key hash → integration, cached for a few seconds.

    The cache only saves a query on the hot path: the transaction that stores
    the alerts checks the key again, so a rotated or revoked key stops
    working at once, cache or not."""

    def __init__(self, db: Database, ttl: float = LOOKUP_TTL_SECONDS) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: dict[str, tuple[float, KnownIntegration]] = {}
        self._lock = threading.Lock()

    def cached(self, key_hash: str) -> KnownIntegration | None:
        hit = self._cache.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def load(self, key_hash: str) -> KnownIntegration | None:
        with self.db.reading() as session:
            row = session.scalar(
                select(Integration).where(
                    Integration.key_hash == key_hash, Integration.revoked_at.is_(None)
                )
            )
            if row is None:
                return None
            found = KnownIntegration(
                row.id,
                row.kind,
                row.service_id,
                row.key_hash,
                dict(row.mapping or {}),
                row.rate_limit_per_minute,
            )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_hash] = (time.monotonic() + self.ttl, found)
        return found

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._cache.pop(key_hash, None)
