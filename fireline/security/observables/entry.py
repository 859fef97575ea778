"""What a person (or a bundle) asks to record about an observable, checked,
and what recording it again changes. Pure.

Adding an observable that the incident already has never makes a second
row: the existing one is updated. Techniques are merged, the seen window
widens, a description given replaces the old one. A marking given replaces
the old one when a person adds it; an import never lowers a marking, since
a feed's marking says how the feed may be shared, not what this incident's
people decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fireline.core.errors import InvalidInput
from fireline.security.observables.normalise import TLP, Observable, normalise, technique, tlp

DEFAULT_TLP = "AMBER"
MAX_DESCRIPTION = 5_000
MAX_TECHNIQUES = 50


@dataclass(frozen=True)
class Entry:
    observable: Observable
    tlp: str | None  # None: keep what is there (AMBER for a new one)
    description: str | None  # None: keep what is there
    techniques: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True)
class Current:
    """What is recorded now, as plain values."""

    tlp: str
    description: str
    techniques: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None


def check(
    type_: str,
    value: str,
    *,
    now: datetime,
    hash_algorithm: str | None = None,
    marking: str | None = None,
    description: str | None = None,
    techniques: Sequence[str] = (),
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
) -> Entry:
    """The entry, or InvalidInput naming the field that is wrong."""
    if type_ != "file" and hash_algorithm:
        raise InvalidInput("only a file has a hash algorithm", field="hash_algorithm")
    observable = normalise(type_, value, hash_algorithm or None)
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_DESCRIPTION} characters", field="description")
    for name, moment in (("first_seen", first_seen), ("last_seen", last_seen)):
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise InvalidInput("give a time zone, e.g. 2026-03-02T09:00:00Z", field=name)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise InvalidInput("not a time fireline can keep", field=name) from None
        if moment > now:
            raise InvalidInput("cannot be in the future", field=name)
    if first_seen and last_seen and last_seen < first_seen:
        raise InvalidInput("cannot be before first_seen", field="last_seen")
    return Entry(
        observable=observable,
        tlp=tlp(marking) if marking else None,
        description=description.strip() if description is not None else None,
        techniques=checked_techniques(techniques),
        first_seen=first_seen,
        last_seen=last_seen,
    )


def checked_techniques(values: Sequence[str]) -> tuple[str, ...]:
    found = sorted({technique(v) for v in values if v.strip()})
    if len(found) > MAX_TECHNIQUES:
        raise InvalidInput(f"at most {MAX_TECHNIQUES} techniques", field="techniques")
    return tuple(found)


def initial(entry: Entry) -> Current:
    return Current(
        tlp=entry.tlp or DEFAULT_TLP,
        description=entry.description or "",
        techniques=entry.techniques,
        first_seen=entry.first_seen,
        last_seen=entry.last_seen or entry.first_seen,
    )


def merged(current: Current, entry: Entry, *, may_lower_tlp: bool) -> dict[str, Any]:
    """The fields a repeated add changes, with their new values (empty: nothing new)."""
    changes: dict[str, Any] = {}
    if entry.tlp and entry.tlp != current.tlp:
        lowers = TLP.index(entry.tlp) < TLP.index(current.tlp)
        if may_lower_tlp or not lowers:
            changes["tlp"] = entry.tlp
    if entry.description and entry.description != current.description:
        changes["description"] = entry.description
    techniques = tuple(sorted(set(current.techniques) | set(entry.techniques)))
    if techniques != current.techniques:
        changes["techniques"] = techniques
    first = _earliest(current.first_seen, entry.first_seen)
    if first != current.first_seen:
        changes["first_seen"] = first
    last = _latest(current.last_seen, entry.last_seen or entry.first_seen)
    if last != current.last_seen:
        changes["last_seen"] = last
    return changes


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a and b else a or b
