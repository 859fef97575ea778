"""Helpers the source parsers share: timestamps, labels, stable keys."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from fireline.alerts.shape import MAX_LABEL_VALUE, MAX_SUMMARY, SourceError

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
# A NUL character in JSON: the escape \u0000 whose backslash is not itself
# escaped (JSON has no other way to write one).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def replace_nul(body: bytes) -> bytes:
    """A JSON body with every NUL character written as U+FFFD instead.

    JSON may carry NUL, but PostgreSQL stores it in neither text nor jsonb: the
    transaction failed, and a sender that retries the 503 would have been
    refused forever. An alert is worth more than one character, so it is kept
    with the character marked (the same on SQLite, so both databases agree).
    Done on the bytes, before parsing, so that depth costs nothing."""
    if b"\\u0000" not in body:
        return body
    return _NUL_ESCAPE.sub(rb"\1\\ufffd", body)


def parse_time(value: Any, field: str) -> datetime | None:
    """RFC 3339 as monitoring tools write it; Go's zero time means "none"."""
    if value is None or value == "" or value == GO_ZERO_TIME:
        return None
    if not isinstance(value, str):
        raise SourceError("expected an RFC 3339 timestamp", field)
    text = value.strip()
    if text.startswith("0001-01-01"):
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go writes up to nine fractional digits; Python reads six.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: dot + 1] + text[dot + 1 : end][:6].ljust(6, "0") + text[end:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(f"expected an RFC 3339 timestamp, got {value!r}", field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-02:00 is in the year 10000 in UTC
        raise SourceError(
            f"expected a timestamp before the year 10000, got {value!r}", field
        ) from None


def string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SourceError("expected an object of strings", field)
    for key, item in value.items():
        if not isinstance(item, str):
            raise SourceError("expected a string", f"{field}.{key}")
        if len(item) > MAX_LABEL_VALUE:
            raise SourceError(f"at most {MAX_LABEL_VALUE} characters", f"{field}.{key}")
    return value


def json_map(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SourceError("expected an object", field)
    return value


def stable_key(*parts: object) -> str:
    """A dedup key for sources that send none: the same content, the same key."""
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
    return digest[:32]


def summary_of(*candidates: Any, default: str = "alert") -> str:
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:MAX_SUMMARY]
    return default
