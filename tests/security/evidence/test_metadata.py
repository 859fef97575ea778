"""Evidence metadata, checked and normalised (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from fireline.core.errors import InvalidInput
from fireline.security.evidence.metadata import (
    Details,
    check_label,
    checked,
    collected_moment,
    local_collected,
    next_label,
    parse_item_ref,
    safe_file_name,
    zone_of,
)

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def field_of(exc: pytest.ExceptionInfo[InvalidInput]) -> str | None:
    return exc.value.field


def test_refs_and_labels() -> None:
    assert [parse_item_ref(t) for t in ("EV-12", "ev12", " 12 ", "E1", "EV-", "0")] == [
        12, 12, 12, None, None, None,
    ]  # fmt: skip
    assert check_label(" laptop_4711-b ") == "laptop_4711-b"
    for bad in ("", "-x", "a b", "x" * 65, "12", "EV-3", "ev7", "report.pdf"):
        with pytest.raises(InvalidInput) as exc:
            check_label(bad)
        assert field_of(exc) == "label"
    assert next_label(set()) == "E1"
    assert next_label({"E1", "laptop"}) == "E3"
    assert next_label({"e3", "x", "y"}) == "E4"


def test_the_collectors_clock() -> None:
    # A time without an offset is read in the zone given, daylight saving included.
    winter, zone = collected_moment(datetime(2026, 3, 28, 23, 30), "Europe/Berlin", NOW)
    summer, _ = collected_moment(datetime(2026, 3, 29, 3, 30), "Europe/Berlin", NOW)
    assert (winter, zone) == (datetime(2026, 3, 28, 22, 30, tzinfo=UTC), "Europe/Berlin")
    assert summer == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # A time with an offset keeps it as the zone, or must agree with the zone named.
    plus_five = datetime(2026, 3, 1, 18, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert collected_moment(plus_five, "", NOW) == (
        datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
        "UTC+05:30",
    )
    assert collected_moment(plus_five, "Asia/Kolkata", NOW)[1] == "Asia/Kolkata"
    with pytest.raises(InvalidInput) as exc:
        collected_moment(plus_five, "Europe/Berlin", NOW)
    assert field_of(exc) == "collected_at" and "+01:00 then" in str(exc.value)
    assert collected_moment(None, "", NOW) == (NOW, "UTC")
    assert collected_moment(datetime(2026, 3, 1, 9, 0), "UTC-03:00", NOW)[0].hour == 12
    for at, zone, field in (
        (datetime(2026, 3, 1, 9, 0), "", "collected_tz"),
        (datetime(2026, 3, 1, 9, 0), "Atlantis/Capital", "collected_tz"),
        (datetime(2026, 3, 1, 9, 0), "UTC+15:00", "collected_tz"),
        (NOW + timedelta(seconds=1), "", "collected_at"),
    ):
        with pytest.raises(InvalidInput) as exc:
            collected_moment(at, zone, NOW)
        assert field_of(exc) == field
    shown = local_collected(datetime(2026, 3, 28, 22, 30, tzinfo=UTC), "Europe/Berlin")
    assert shown.strftime("%H:%M %Z") == "23:30 CET"
    assert zone_of("utc+02:00").utcoffset(None) == timedelta(hours=2)


def test_details_are_trimmed_bounded_and_hashes_lowered() -> None:
    clean = checked(
        Details(
            item_type=" laptop ",
            description=" in locker 4 ",
            collected_at=datetime(2026, 3, 1, 9, 0),
            collected_tz="Europe/Paris",
            retain_until=date(2030, 1, 1),
            sha256="AB" * 32,
            md5="CD" * 16,
        ),
        origin="external",
        collector="Sam",
        now=NOW,
    )
    assert (clean.item_type, clean.description, clean.collected_by) == (
        "laptop",
        "in locker 4",
        "Sam",
    )
    assert clean.collected_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert (clean.sha256, clean.md5, clean.sha1) == ("ab" * 32, "cd" * 16, None)
    cases = [
        (Details(item_type=""), "external", "type"),
        (Details(item_type="laptop"), "external", "description"),
        (Details(item_type="log", sha256="ab" * 32), "upload", "sha256"),
        (Details(item_type="log", description="usb", md5="abc"), "external", "md5"),
        (Details(item_type="log", tool="x" * 201), "upload", "tool"),
        (Details(item_type="log", description="nul\x00"), "upload", "description"),
        (Details(item_type="log", retain_until=date(2026, 3, 29)), "upload", "retain_until"),
    ]
    for details, origin, field in cases:
        with pytest.raises(InvalidInput) as exc:
            checked(details, origin=origin, collector="Sam", now=NOW)
        assert field_of(exc) == field, details


def test_file_names_from_clients() -> None:
    assert safe_file_name("C:\\Users\\kim\\mem.raw") == "mem.raw"
    assert safe_file_name('../../etc/"pass\nwd"') == "passwd"
    assert safe_file_name("/") == "evidence.bin"
