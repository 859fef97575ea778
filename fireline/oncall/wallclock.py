"""Local wall-clock readings and the instants they stand for.

Schedules are written in wall-clock time ("hand over every Monday at 09:00 in
Berlin"), but twice a year some readings do not exist (the clocks spring
forward over them) and some exist twice (the clocks fall back over them).
Everything in this package turns a reading into an instant through
:func:`instant`, which applies one rule:

    a reading stands for the first instant at which the zone's clocks show
    that reading or a later one.

So a reading that exists once is that instant; a reading that exists twice is
the earlier of the two (before the clocks fall back); a skipped reading is the
instant the clocks jump past it (02:30 on the night Berlin springs forward is
03:00 CEST). The rule never maps a later reading to an earlier instant, which
is what keeps consecutive handoffs and windows free of overlaps, and since
every reading maps to some instant it leaves no gaps either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

_SECOND = timedelta(seconds=1)


def wall_clock(t: datetime, zone: tzinfo) -> datetime:
    """The reading (without tzinfo) of a clock in ``zone`` at the aware instant ``t``."""
    return t.astimezone(zone).replace(tzinfo=None)


def instant(reading: datetime, zone: tzinfo) -> datetime:
    """The UTC instant for the naive wall-clock ``reading`` in ``zone`` (see the module rule)."""
    early = reading.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = reading.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early == late:
        return early
    exists = [t for t in (early, late) if wall_clock(t, zone) == reading]
    if exists:
        return min(exists)
    # Skipped: the two folds land on either side of the jump, so the jump lies
    # between them; find it to the second (zone transitions fall on whole seconds).
    return _transition(min(early, late), max(early, late), zone)


def _transition(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    offset_after = after.astimezone(zone).utcoffset()
    low = before.replace(microsecond=0)
    high = after.replace(microsecond=0) + _SECOND
    while high - low > _SECOND:
        middle = low + ((high - low) // _SECOND // 2) * _SECOND
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high
