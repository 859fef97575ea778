"""Chain of custody: which events may follow which."""

from __future__ import annotations

import pytest

from fireline.core.errors import InvalidInput
from fireline.security.evidence.custody import Custody, CustodyEvent, apply, replay


def event(kind: str, by: str = "sam", **extra: str) -> CustodyEvent:
    return CustodyEvent(kind, by, **extra)


def test_a_full_trail_ends_where_the_item_is() -> None:
    final = replay(
        [
            event("collected", location="locker 3"),
            event("checked_out"),
            event("analysed", purpose="timeline of the intrusion"),
            event("copied"),
            event("checked_in", location="locker 4"),
            event("transferred", to="legal@acme.example", location="safe"),
        ]
    )
    assert final == Custody(custodian="legal@acme.example", location="safe")


@pytest.mark.parametrize(
    ("trail", "field", "message"),
    [
        ([event("transferred", to="x")], "kind", "starts with collected"),
        ([event("collected"), event("collected")], "kind", "collected already"),
        ([event("collected"), event("checked_in")], "kind", "not checked out"),
        (
            [event("collected"), event("checked_out"), event("checked_out", by="ana")],
            "kind",
            "checked out to sam already",
        ),
        (
            [event("collected"), event("checked_out"), event("destroyed")],
            "kind",
            "check it in from sam first",
        ),
        ([event("collected"), event("transferred", by="ana", to="bo")], "by", "only its custodian"),
        ([event("collected"), event("transferred")], "to", "who receives it"),
        ([event("collected"), event("destroyed"), event("analysed")], "kind", "trail has ended"),
        ([event("collected"), event("stolen")], "kind", "expected one of"),
        ([event("collected", by=" ")], "by", "who did it"),
    ],
)
def test_events_out_of_order_are_refused_naming_the_field(
    trail: list[CustodyEvent], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        replay(trail)
    assert refused.value.field == field
    assert message in refused.value.message


def test_copies_and_analyses_move_nothing() -> None:
    held = apply(None, event("collected", location="locker 3"))
    assert apply(held, event("copied")) == held
    assert apply(held, event("analysed")) == held
