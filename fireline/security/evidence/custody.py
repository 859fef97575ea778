"""Chain of custody: which custody events may follow which, and where an
item stands after them. Pure.

The trail is append-only; this decides whether the next event makes sense
(an item is checked in before it is checked out again, handed on only by
whoever holds it, and nothing happens to it once destroyed), so that the
trail a court reads has no gaps a lawyer could drive through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from fireline.core.errors import InvalidInput

KINDS = (
    "collected",
    "transferred",
    "checked_out",
    "checked_in",
    "copied",
    "analysed",
    "returned",
    "destroyed",
)


@dataclass(frozen=True)
class CustodyEvent:
    kind: str
    by: str  # who did it
    to: str = ""  # transferred: the new custodian; returned: the owner
    location: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class Custody:
    """Where an item stands: who holds it, where, whether it is out."""

    custodian: str = ""
    location: str = ""
    checked_out_by: str = ""
    gone: str = ""  # "returned" or "destroyed": the trail has ended


def apply(state: Custody | None, event: CustodyEvent) -> Custody:
    """The state after ``event``; InvalidInput when it cannot follow ``state``."""
    if event.kind not in KINDS:
        raise InvalidInput(f"expected one of {', '.join(KINDS)}", field="kind")
    if not event.by.strip():
        raise InvalidInput("say who did it", field="by")
    if state is None:
        if event.kind != "collected":
            raise InvalidInput("a trail starts with collected", field="kind")
        return Custody(custodian=event.by, location=event.location)
    if event.kind == "collected":
        raise InvalidInput("this item was collected already", field="kind")
    if state.gone:
        raise InvalidInput(f"the item was {state.gone}: its trail has ended", field="kind")
    if event.kind == "checked_out":
        if state.checked_out_by:
            raise InvalidInput(f"checked out to {state.checked_out_by} already", field="kind")
        return replace(state, checked_out_by=event.by)
    if event.kind == "checked_in":
        if not state.checked_out_by:
            raise InvalidInput("the item is not checked out", field="kind")
        return replace(state, checked_out_by="", location=event.location or state.location)
    if state.checked_out_by and event.kind in ("transferred", "returned", "destroyed"):
        raise InvalidInput(f"check it in from {state.checked_out_by} first", field="kind")
    if event.kind == "transferred":
        if not event.to.strip():
            raise InvalidInput("say who receives it", field="to")
        if event.by != state.custodian:
            raise InvalidInput(f"only its custodian, {state.custodian}, hands it on", field="by")
        return replace(state, custodian=event.to, location=event.location or state.location)
    if event.kind in ("returned", "destroyed"):
        return replace(state, gone=event.kind, checked_out_by="")
    return state  # copied, analysed: recorded, nothing moves


def replay(events: Iterable[CustodyEvent]) -> Custody | None:
    """The state after a whole trail (checking every step on the way)."""
    state: Custody | None = None
    for event in events:
        state = apply(state, event)
    return state
