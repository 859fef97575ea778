"""The append-only, hash-chained audit log.

Every change writes one :class:`AuditEvent` in its own transaction, with
``hash = sha256(previous hash + canonical JSON of the record)``. Editing,
deleting or inserting a row behind fireline's back breaks the chain, and
:func:`verify` names the first record where it breaks.

Writers are serialised so the chain can never fork: on PostgreSQL by a
transaction-scoped advisory lock, on SQLite by its single writer. The unique
constraints on ``seq`` and ``prev_hash`` are the last line of defence.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from fireline.core import pglocks
from fireline.core.db import Base

GENESIS_HASH = "0" * 64
# An arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
AUDIT_LOCK_ID = 0x66697265  # "fire"
SECRET_MARKERS = ("password", "secret", "token_hash", "api_key", "private_key")
REDACTED = "[redacted]"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@dataclass(frozen=True)
class Actor:
    """Who did something: a person, a token acting for one, or fireline itself."""

    type: str
    id: str
    name: str

    @classmethod
    def system(cls, name: str = "fireline") -> Actor:
        return cls("system", "0", name)

    @classmethod
    def user(cls, user_id: int, email: str) -> Actor:
        return cls("user", str(user_id), email)


def redact(changes: dict[str, Any]) -> dict[str, Any]:
    """Replace values whose key looks secret, at any depth."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if any(marker in key.lower() for marker in SECRET_MARKERS):
            clean[key] = REDACTED
        elif isinstance(value, dict):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def portable(value: Any) -> Any:
    """A JSON value that PostgreSQL's jsonb hands back exactly as it was hashed.

    jsonb keeps numbers as decimals: it prints 1e+16 in full (read back as an
    int), drops the sign of -0.0 and refuses NaN and infinities, any of which
    would make an untouched record fail its hash. Floats that large are whole
    numbers, so storing them as ints loses nothing."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return 0.0
        return int(value) if abs(value) >= 1e16 else value
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [portable(item) for item in value]
    return value


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_record(event: AuditEvent | dict[str, Any]) -> dict[str, Any]:
    """The fields that the hash covers, in a form that survives export and import."""

    def get(name: str) -> Any:
        return event[name] if isinstance(event, dict) else getattr(event, name)

    at = get("at")
    return {
        "seq": get("seq"),
        "at": at if isinstance(at, str) else format_time(at),
        "actor_type": get("actor_type"),
        "actor_id": get("actor_id"),
        "actor_name": get("actor_name"),
        "action": get("action"),
        "object_type": get("object_type"),
        "object_id": get("object_id"),
        "changes": get("changes"),
    }


def canonical_json(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(record)).encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(pglocks.xact_lock(AUDIT_LOCK_ID)))


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any],
    now: datetime,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    _lock_chain(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    # Round-trip through JSON so what is stored is exactly what was hashed.
    clean_changes = portable(json.loads(json.dumps(redact(changes), default=str)))
    event = AuditEvent(
        seq=seq,
        at=now.astimezone(UTC),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=clean_changes,
        prev_hash=prev_hash,
    )
    event.hash = chain_hash(prev_hash, canonical_record(event))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    reason: str = ""
    bad_action: str | None = None
    bad_at: str | None = None


def verify_records(records: Iterable[dict[str, Any]]) -> VerifyResult:
    """Check a sequence of exported records (dicts with prev_hash and hash)."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in records:
        seq = row["seq"]
        reason = ""
        if seq != expected_seq:
            reason = f"expected record {expected_seq} but found {seq}: " + (
                "records are missing" if seq > expected_seq else "a record was inserted"
            )
        elif "unreadable" in row:
            reason = f"it cannot be read ({row['unreadable']}): it was edited outside fireline"
        elif row["prev_hash"] != prev_hash:
            reason = "its prev_hash does not match the hash of the record before it"
        elif chain_hash(prev_hash, canonical_record(row)) != row["hash"]:
            reason = "its contents do not match its hash: the record was edited"
        if reason:
            return VerifyResult(
                False,
                checked,
                expected_seq - 1,
                prev_hash,
                seq,
                reason,
                bad_action=row.get("action"),
                bad_at=row.get("at"),
            )
        prev_hash, expected_seq, checked = row["hash"], seq + 1, checked + 1
    return VerifyResult(True, checked, expected_seq - 1, prev_hash)


def iter_records(session: Session, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every event in chain order, as exported dicts (plain rows: no ORM objects to build)."""
    last = 0
    while True:
        try:
            rows = _exported(session, AuditEvent.seq > last, batch)
        except (ValueError, TypeError):
            # SQLite stores whatever it is given: a timestamp or JSON edited into
            # garbage cannot be parsed. Find that record rather than crash.
            rows = _exported_one_by_one(session, last, batch)
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1]["seq"]


def _exported(session: Session, where: Any, limit: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(*AuditEvent.__table__.columns).where(where).order_by(AuditEvent.seq).limit(limit)
    ).mappings()
    return [
        {**canonical_record(dict(row)), "prev_hash": row["prev_hash"], "hash": row["hash"]}
        for row in rows
    ]


def _exported_one_by_one(session: Session, last: int, limit: int) -> list[dict[str, Any]]:
    seqs = session.scalars(
        select(AuditEvent.seq).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(limit)
    ).all()
    found: list[dict[str, Any]] = []
    for seq in seqs:
        try:
            found.extend(_exported(session, AuditEvent.seq == seq, 1))
        except (ValueError, TypeError) as exc:
            raw = session.execute(
                select(AuditEvent.action, AuditEvent.prev_hash, AuditEvent.hash).where(
                    AuditEvent.seq == seq
                )
            ).one()
            found.append(
                {
                    "seq": seq,
                    "action": raw.action,
                    "prev_hash": raw.prev_hash,
                    "hash": raw.hash,
                    "unreadable": str(exc),
                }
            )
    return found


def verify(session: Session) -> VerifyResult:
    return verify_records(iter_records(session))
