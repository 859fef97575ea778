"""Checking what is asked, and what adding an observable again changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fireline.core.errors import InvalidInput
from fireline.security.observables.entry import Current, check, initial, merged

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_new_observable_defaults_to_amber_and_sorted_unique_techniques() -> None:
    entry = check(
        "ipv4-addr", "203.0.113.7", now=NOW, techniques=["t1566", "T1078.004", "T1566", ""]
    )
    start = initial(entry)
    assert start.tlp == "AMBER" and start.techniques == ("T1078.004", "T1566")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hash_algorithm": "SHA-256"}, "hash_algorithm"),
        ({"marking": "PURPLE"}, "tlp"),
        ({"techniques": ["phishing"]}, "techniques"),
        ({"techniques": [f"T{1000 + n}" for n in range(51)]}, "techniques"),
        ({"description": "x" * 5001}, "description"),
        ({"first_seen": NOW + HOUR}, "first_seen"),
        ({"first_seen": datetime(2026, 3, 1, 9, 0)}, "first_seen"),
        ({"first_seen": datetime.fromisoformat("0001-01-01T00:00:00+14:00")}, "first_seen"),
        ({"first_seen": NOW - HOUR, "last_seen": NOW - 2 * HOUR}, "last_seen"),
    ],
)
def test_bad_input_names_its_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check("ipv4-addr", "203.0.113.7", now=NOW, **kwargs)
    assert refused.value.field == field


def current(**changes: object) -> Current:
    values = {
        "tlp": "RED",
        "description": "C2 address",
        "techniques": ("T1071.001",),
        "first_seen": NOW - 5 * HOUR,
        "last_seen": NOW - 4 * HOUR,
        **changes,
    }
    return Current(**values)  # type: ignore[arg-type]


def test_adding_again_merges_techniques_and_widens_the_seen_window() -> None:
    entry = check(
        "ipv4-addr",
        "203.0.113.7",
        now=NOW,
        techniques=["T1041"],
        first_seen=NOW - 6 * HOUR,
        last_seen=NOW - HOUR,
    )
    changes = merged(current(), entry, may_lower_tlp=True)
    assert changes == {
        "techniques": ("T1041", "T1071.001"),
        "first_seen": NOW - 6 * HOUR,
        "last_seen": NOW - HOUR,
    }


def test_adding_the_same_again_changes_nothing() -> None:
    entry = check("ipv4-addr", "203.0.113.7", now=NOW, techniques=["T1071.001"])
    assert merged(current(), entry, may_lower_tlp=True) == {}


def test_a_person_may_lower_a_marking_an_import_may_not() -> None:
    lower = check("ipv4-addr", "203.0.113.7", now=NOW, marking="GREEN")
    assert merged(current(), lower, may_lower_tlp=True) == {"tlp": "GREEN"}
    assert merged(current(), lower, may_lower_tlp=False) == {}
    higher = check("ipv4-addr", "203.0.113.7", now=NOW, marking="RED")
    assert merged(current(tlp="AMBER"), higher, may_lower_tlp=False) == {"tlp": "RED"}
