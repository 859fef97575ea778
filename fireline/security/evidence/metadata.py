"""What describes an evidence item, checked and normalised. Pure.

A court asks where an item came from, who took it, when (on whose clock),
with what tool, where it is kept and until when: every answer is read here
with an error that names its field, before anything is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.core.errors import InvalidInput
from fireline.core.ids import as_row_id
from fireline.security.evidence.models import REF_PREFIX

ORIGINS = ("upload", "external")
# Offered in forms; any other short type is accepted too.
TYPES = (
    "disk image",
    "memory dump",
    "log excerpt",
    "network capture",
    "e-mail",
    "document",
    "screenshot",
    "malware sample",
    "laptop",
    "mobile phone",
    "removable media",
    "server",
    "cloud snapshot",
    "other",
)
SOURCE_FIELDS = ("host", "serial", "account", "cloud")
HASH_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32}
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
GLOBAL_REF = re.compile(r"EV-?(\d+)", re.IGNORECASE)
OFFSET_ZONE = re.compile(r"UTC([+-])(\d{2}):(\d{2})")
# What the API and the forms call a field, where it differs from the column.
FIELD_NAMES = {"item_type": "type"}
# Free-text limits, as the columns hold them.
LIMITS = {
    "item_type": 64,
    "source_host": 255,
    "source_serial": 255,
    "source_account": 320,
    "source_cloud": 1000,
    "collected_by": 200,
    "tool": 200,
    "tool_version": 100,
    "storage_location": 500,
    "file_name": 255,
    "content_type": 255,
    "description": 20_000,
}


@dataclass(frozen=True)
class Details:
    """An item as registered. ``collected_at`` may arrive naive, read in
    ``collected_tz``; :func:`checked` returns it in UTC."""

    item_type: str
    description: str = ""
    label: str = ""
    source_host: str = ""
    source_serial: str = ""
    source_account: str = ""
    source_cloud: str = ""
    collected_by: str = ""
    collected_at: datetime | None = None
    collected_tz: str = ""
    tool: str = ""
    tool_version: str = ""
    storage_location: str = ""
    legal_hold: bool = False
    retain_until: date | None = None
    file_name: str = ""
    content_type: str = ""
    # What the collector measured (external items); an upload's are computed.
    sha256: str | None = None
    sha1: str | None = None
    md5: str | None = None


def parse_item_ref(text: str) -> int | None:
    """``EV-12``, ``ev12`` or ``12``: the item's id; None for anything else."""
    value = text.strip()
    match = GLOBAL_REF.fullmatch(value)
    return as_row_id(match.group(1) if match else value)


def format_ref(item_id: int) -> str:
    return f"{REF_PREFIX}{item_id}"


def check_label(label: str) -> str:
    text = label.strip()
    if not LABEL.fullmatch(text):
        raise InvalidInput(
            "a label is 1 to 64 letters, digits, '-' or '_', starting with a letter or digit",
            field="label",
        )
    if text.isdigit() or GLOBAL_REF.fullmatch(text):
        raise InvalidInput(
            "a label cannot be a number or look like a global ref (EV-12)", field="label"
        )
    return text


def next_label(taken: set[str]) -> str:
    """E1, E2, … : the first one the incident does not use yet."""
    lowered = {t.lower() for t in taken}
    n = len(taken) + 1
    while f"e{n}" in lowered:
        n += 1
    return f"E{n}"


def check_hash(algorithm: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    length = HASH_LENGTHS[algorithm]
    if len(text) != length or any(c not in "0123456789abcdef" for c in text):
        raise InvalidInput(f"a {algorithm.upper()} is {length} hexadecimal digits", field=algorithm)
    return text


def zone_of(name: str) -> timezone | ZoneInfo:
    """An IANA zone (Europe/Berlin) or a fixed offset (UTC+02:00, UTC)."""
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = OFFSET_ZONE.fullmatch(text.upper())
    if match:
        sign = 1 if match.group(1) == "+" else -1
        hours, minutes = int(match.group(2)), int(match.group(3))
        if hours > 14 or minutes > 59:
            raise InvalidInput(f"{text} is not an offset clocks use", field="collected_tz")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {text!r}: give an IANA name such as Europe/Berlin, or UTC+02:00",
            field="collected_tz",
        ) from None


def offset_name(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def collected_moment(at: datetime | None, zone: str, now: datetime) -> tuple[datetime, str]:
    """When it was collected, in UTC, and the zone its collector's clock showed.

    A time without an offset is read in ``zone``. A time in UTC is an instant,
    whatever the zone. A time with another offset keeps it, and must agree
    with ``zone`` when both are given (a time that says +01:00 in a zone that
    was at +02:00 that day is a typing error, not evidence)."""
    if at is None:
        name = zone.strip() or "UTC"
        zone_of(name)
        return now, name
    if at.tzinfo is None:
        if not zone.strip():
            raise InvalidInput(
                "give the time with its offset (2026-03-02T09:00:00+01:00) or its time zone",
                field="collected_tz",
            )
        local = at.replace(tzinfo=zone_of(zone))
        moment, name = local, zone.strip()
    elif zone.strip():
        tz = zone_of(zone)
        if at.utcoffset() and at.utcoffset() != at.astimezone(tz).utcoffset():
            expected = offset_name(at.astimezone(tz))
            raise InvalidInput(
                f"{at.isoformat()} is not {zone.strip()} time, which was {expected} then",
                field="collected_at",
            )
        moment, name = at, zone.strip()
    else:
        moment, name = at, offset_name(at)
    utc = moment.astimezone(UTC)
    if utc > now:
        raise InvalidInput("evidence cannot be collected in the future", field="collected_at")
    return utc, name


def local_collected(at: datetime, zone: str) -> datetime:
    """The collection time as the collector's clock showed it."""
    try:
        return at.astimezone(zone_of(zone))
    except InvalidInput:
        return at


def _text(details: Details, name: str, *, required: bool = False) -> str:
    value = str(getattr(details, name)).strip()
    field = FIELD_NAMES.get(name, name)
    if required and not value:
        raise InvalidInput("this field is required", field=field)
    if len(value) > LIMITS[name]:
        raise InvalidInput(f"at most {LIMITS[name]} characters", field=field)
    if "\x00" in value:
        raise InvalidInput("a NUL character cannot be stored", field=field)
    return value


def checked(details: Details, *, origin: str, collector: str, now: datetime) -> Details:
    """``details`` normalised: trimmed, limits kept, the collection time in
    UTC with its zone, hashes in lower case; InvalidInput names the field."""
    if origin not in ORIGINS:
        raise InvalidInput(f"expected one of {', '.join(ORIGINS)}", field="origin")
    texts = {name: _text(details, name) for name in LIMITS}
    texts["item_type"] = _text(details, "item_type", required=True)
    if origin == "external" and not texts["description"]:
        raise InvalidInput(
            "describe the item: what it is and how to recognise it", field="description"
        )
    texts["collected_by"] = texts["collected_by"] or collector
    collected_at, collected_tz = collected_moment(details.collected_at, details.collected_tz, now)
    if details.retain_until is not None and details.retain_until < collected_at.date():
        raise InvalidInput("keep it at least until it was collected", field="retain_until")
    hashes = {a: check_hash(a, getattr(details, a)) for a in HASH_LENGTHS}
    if origin == "upload" and any(hashes.values()):
        raise InvalidInput("fireline computes an upload's hashes itself", field="sha256")
    changes: dict[str, Any] = {
        **texts,
        "label": check_label(details.label) if details.label.strip() else "",
        "collected_at": collected_at,
        "collected_tz": collected_tz,
        **hashes,
    }
    return replace(details, **changes)


def safe_file_name(name: str) -> str:
    """The last part of a path a client sent, without control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"').strip()
    return cleaned[: LIMITS["file_name"]] or "evidence.bin"
