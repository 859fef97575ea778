"""Times people state for obligations: when the trigger happened, when a
notice went out. Always with a time zone (a regulator counts from a moment,
not from a wall-clock reading), never in the future. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.core.errors import InvalidInput
from fireline.core.strict import keepable_input

# A laptop's clock a little ahead of the server's is not a claim about the future.
CLOCK_SKEW = timedelta(minutes=1)


def stated_time(
    at: datetime, time_zone: str | None, *, now: datetime, field: str
) -> tuple[datetime, str]:
    """``at`` in UTC, and the zone it was stated in (an IANA name, or its
    offset). A time without an offset is read in ``time_zone``; with neither
    it is refused, naming ``field``."""
    label = ""
    if time_zone:
        zone = _zone(time_zone)
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone)
        # A time with an offset of its own keeps it; the zone's name is
        # recorded only when the two agree.
        if at.utcoffset() == at.astimezone(zone).utcoffset():
            label = time_zone
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(
            "give the time with its time zone, like 2026-03-02T09:30:00+01:00,"
            " or name the zone in time_zone",
            field=field,
        )
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{at.isoformat()} is in the future; record what has happened", field=field
        )
    return min(at, now).astimezone(UTC), label or _offset_label(at)


def local_input(text: str, *, field: str) -> datetime:
    """A time typed in a form (``2026-03-02T09:30``, with or without an offset)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"expected a date and time like 2026-03-02T09:30, not {text!r}", field=field
        ) from None
    return keepable_input(moment, field)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a directory
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin", field="time_zone"
        ) from None


def _offset_label(at: datetime) -> str:
    offset = at.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
