"""iCalendar (RFC 5545) feeds: on-call shifts out, other on-call calendars in.

Export writes one VEVENT per shift, in UTC, for a whole schedule or for one
person. Import reads a feed that somebody else keeps (another paging tool, a
shared team calendar) into the intervals of an imported layer.

Reading a feed follows the schedule's own time rules: all-day events and
floating times are read on the schedule zone's wall clock, events with a
TZID on that zone's clock, and every wall-clock reading becomes an instant
through :func:`fireline.oncall.wallclock.instant`. A recurring event repeats
on its own zone's wall clock and every occurrence keeps the wall-clock length
of the first, so "Monday 09:00 to the next Monday 09:00, weekly" hands over
at 09:00 on both sides of a DST change. (RFC 5545 gives occurrences the exact
length of the first when DTEND is given; that would shift every handoff after
a DST change by an hour, which is not what anyone writing such a calendar
means.) A DTEND in a different zone than DTSTART keeps the exact length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr
from icalendar import Calendar, Component, Event, vCalAddress, vRecur

from fireline.oncall.rotation import ScheduleError, require_aware
from fireline.oncall.schedule import ImportedLayer, Interval, Shift
from fireline.oncall.wallclock import instant, wall_clock

PRODID = "-//fireline//on-call schedule//EN"
UID_DOMAIN = "fireline"
# A recurring event with more occurrences than this inside the requested
# window is not an on-call rotation; reading it would only cost time.
MAX_OCCURRENCES = 5000
_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})


# --- export -----------------------------------------------------------------


def export_calendar(
    shifts: Iterable[Shift],
    *,
    schedule_id: int,
    schedule_name: str,
    people: Mapping[int, tuple[str, str]],
    now: datetime,
    user_id: int | None = None,
) -> bytes:
    """A VCALENDAR with one event per shift; ``people`` maps user ids to (name, e-mail).

    With ``user_id`` it is that person's feed: only their shifts, each titled
    "On call for <schedule>". Without it every shift is titled
    "On call: <schedule> (<name>)". Each event names its person as ATTENDEE,
    which is also how :func:`import_calendar` finds them again."""
    stamp = require_aware(now, "now")
    person_name = _name(people, user_id) if user_id is not None else ""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    title = f"On call: {schedule_name}"
    if user_id is not None:
        title = f"On call for {schedule_name} ({person_name})"
    calendar.add("x-wr-calname", title)
    calendar.add("name", title)
    for shift in shifts:
        if user_id is not None and shift.user_id != user_id:
            continue
        name = _name(people, shift.user_id)
        event = Event()
        event.add("uid", shift_uid(schedule_id, shift))
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        if user_id is None:
            event.add("summary", f"On call: {schedule_name} ({name})")
        else:
            event.add("summary", f"On call for {schedule_name}")
        event.add("description", f"{name} is on call for {schedule_name}.")
        # Being on call does not make anyone busy for meetings.
        event.add("transp", "TRANSPARENT")
        email = people.get(shift.user_id, ("", ""))[1]
        if email:
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params["CN"] = name
            event.add("attendee", attendee)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def shift_uid(schedule_id: int, shift: Shift) -> str:
    """The same shift gets the same UID in every export, so calendars update it in place."""
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"schedule-{schedule_id}-user-{shift.user_id}-{start}@{UID_DOMAIN}"


def _name(people: Mapping[int, tuple[str, str]], user_id: int) -> str:
    return people.get(user_id, ("", ""))[0] or f"user {user_id}"


# --- import -----------------------------------------------------------------


class FeedError(ValueError):
    """The feed as a whole cannot be read."""


@dataclass(frozen=True, slots=True)
class FeedWarning:
    """An event that was skipped, or read under an assumption, and why."""

    uid: str
    summary: str
    message: str


@dataclass(frozen=True, slots=True)
class FeedImport:
    intervals: tuple[Interval, ...]
    warnings: tuple[FeedWarning, ...]

    def layer(self) -> ImportedLayer:
        return ImportedLayer(self.intervals)


class _Skip(ValueError):
    """This event cannot be used; the message says why."""


def import_calendar(
    feed: bytes | str,
    *,
    time_zone: str,
    start: datetime,
    end: datetime,
    directory: Mapping[str, int],
) -> FeedImport:
    """The on-call intervals of ``feed`` that overlap [start, end).

    ``directory`` maps e-mail addresses and names (any case) to user ids. An
    event belongs to the first of these found in the directory: an attendee's
    address, an attendee's CN, the organizer's address or CN, the whole
    summary, or a name or address appearing as words in the summary. Events
    that match nobody, or that cannot be read, come back as warnings."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError("time_zone", "an IANA time zone name such as 'Europe/Berlin'") from None
    window = (require_aware(start, "start"), require_aware(end, "end"))
    if window[1] <= window[0]:
        raise ScheduleError("end", "a time after start")
    events = _events(feed)
    people = _Directory(directory)
    replaced = _replaced_occurrences(events, zone)
    intervals: list[Interval] = []
    warnings: list[FeedWarning] = []
    for event in events:
        uid, summary = str(event.get("UID", "")), str(event.get("SUMMARY", ""))
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            notes: list[str] = []
            is_exception = "RECURRENCE-ID" in event
            spans = _occurrences(
                event, zone, window, set() if is_exception else replaced.get(uid, set()), notes
            )
            if not spans:
                continue
            user = people.match(event)
        # Anything a malformed event makes the parser or the recurrence
        # expansion raise is reported against that event alone.
        except (ValueError, TypeError, OverflowError, LookupError, AttributeError) as error:
            reason = (
                str(error)
                if isinstance(error, _Skip)
                else f"cannot be read: {error or type(error).__name__}"
            )
            warnings.append(FeedWarning(uid, summary, reason))
            continue
        warnings.extend(FeedWarning(uid, summary, note) for note in notes)
        if user is None:
            warnings.append(FeedWarning(uid, summary, "matches nobody in the directory"))
            continue
        intervals.extend(Interval(opens, closes, user) for opens, closes in spans)
    intervals.sort(key=lambda i: (i.start, i.end, i.user_id))
    return FeedImport(tuple(intervals), tuple(warnings))


def _events(feed: bytes | str) -> list[Event]:
    try:
        calendar = Calendar.from_ical(feed)
    # The parser raises assorted exception types on malformed input; any of
    # them means the same thing to the caller: this is not a usable feed.
    except Exception as error:
        raise FeedError(f"not an iCalendar feed: {error}") from None
    if not isinstance(calendar, Component) or calendar.name != "VCALENDAR":
        raise FeedError("not an iCalendar feed: expected a VCALENDAR")
    return [event for event in calendar.walk("VEVENT") if isinstance(event, Event)]


class _Directory:
    def __init__(self, directory: Mapping[str, int]) -> None:
        self.users = {_key(name): user for name, user in directory.items() if _key(name)}
        self.patterns = [
            (re.compile(rf"(?<!\w){re.escape(name)}(?!\w)"), user)
            for name, user in self.users.items()
        ]

    def match(self, event: Event) -> int | None:
        for candidate in _people_named(event):
            if candidate in self.users:
                return self.users[candidate]
        summary = _key(str(event.get("SUMMARY", "")))
        if summary in self.users:
            return self.users[summary]
        named = {user for pattern, user in self.patterns if pattern.search(summary)}
        if len(named) > 1:
            raise _Skip("its summary names more than one person in the directory")
        return named.pop() if named else None


def _key(text: str) -> str:
    text = text.strip().casefold()
    return text.removeprefix("mailto:").strip()


def _people_named(event: Event) -> Iterator[str]:
    attendees = _as_list(event.get("ATTENDEE"))
    organizers = _as_list(event.get("ORGANIZER"))
    for group in (attendees, organizers):
        addresses = [_key(str(a)) for a in group]
        names = [_key(str(a.params.get("CN", ""))) for a in group if hasattr(a, "params")]
        yield from (candidate for candidate in addresses + names if candidate)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _single(event: Event, name: str) -> date | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, list) or not hasattr(value, "dt"):
        raise _Skip(f"has an unreadable {name}")
    moment = value.dt
    if not isinstance(moment, date):
        raise _Skip(f"has an unreadable {name}")
    return moment


def _clock_of(moment: date, zone: tzinfo) -> tuple[datetime, tzinfo]:
    """A DTSTART-like value as a wall-clock reading and the zone whose clock it is on."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time()), zone
    if moment.tzinfo is None:
        return moment, zone
    return moment.replace(tzinfo=None), moment.tzinfo


def _reading_in(moment: date, clock: tzinfo) -> datetime:
    """An EXDATE, RDATE or UNTIL value as a reading of the event's clock.

    A floating value is taken as already on that clock: feeds that leave out
    the TZID there mean the event's own zone."""
    if isinstance(moment, datetime):
        return wall_clock(moment, clock) if moment.tzinfo is not None else moment
    return datetime.combine(moment, time())


def _instant_of(moment: date, zone: tzinfo) -> datetime:
    reading, clock = _clock_of(moment, zone)
    return instant(reading, clock)


def _replaced_occurrences(events: list[Event], zone: tzinfo) -> dict[str, set[datetime]]:
    """Per UID, the occurrences that an exception event (RECURRENCE-ID) replaces or cancels."""
    replaced: dict[str, set[datetime]] = {}
    for event in events:
        try:
            moment = _single(event, "RECURRENCE-ID")
        except ValueError:
            continue  # the exception event itself is reported when it is read
        if moment is not None:
            replaced.setdefault(str(event.get("UID", "")), set()).add(_instant_of(moment, zone))
    return replaced


def _occurrences(
    event: Event,
    zone: tzinfo,
    window: tuple[datetime, datetime],
    replaced: set[datetime],
    notes: list[str],
) -> list[tuple[datetime, datetime]]:
    first = _single(event, "DTSTART")
    if first is None:
        raise _Skip("has no DTSTART")
    params = getattr(event.get("DTSTART"), "params", {})
    if isinstance(first, datetime) and first.tzinfo is None and "TZID" in params:
        notes.append(f"unknown time zone {params['TZID']!r}, read as {zone}")
    reading, clock = _clock_of(first, zone)
    nominal, exact = _length(event, first, reading, clock, zone)
    spans = []
    for occurrence, own_end in _readings(event, reading, clock, window, exact):
        opens = instant(occurrence, clock)
        if opens in replaced:
            continue
        if own_end is not None:
            closes = own_end
        elif nominal is not None:
            closes = instant(occurrence + nominal, clock)
        else:
            closes = opens + exact
        if opens < window[1] and closes > window[0] and closes > opens:
            spans.append((opens, closes))
    return spans


def _length(
    event: Event, first: date, reading: datetime, clock: tzinfo, zone: tzinfo
) -> tuple[timedelta | None, timedelta]:
    """(wall-clock length, exact length of the first occurrence); the
    wall-clock length is None when start and end are on different clocks."""
    last = _single(event, "DTEND")
    nominal: timedelta | None
    if last is not None:
        if isinstance(last, datetime) != isinstance(first, datetime):
            raise _Skip("mixes a date and a date-time in DTSTART and DTEND")
        end_reading, end_clock = _clock_of(last, zone)
        exact = instant(end_reading, end_clock) - instant(reading, clock)
        nominal = end_reading - reading if end_clock == clock else None
    elif (duration := event.get("DURATION")) is not None:
        nominal = getattr(duration, "dt", None)
        if not isinstance(nominal, timedelta):
            raise _Skip("has an unreadable DURATION")
        exact = instant(reading + nominal, clock) - instant(reading, clock)
    elif not isinstance(first, datetime):
        nominal = timedelta(days=1)  # an all-day event without an end lasts its day
        exact = instant(reading + nominal, clock) - instant(reading, clock)
    else:
        raise _Skip("has no DTEND or DURATION, so it lasts no time")
    if (nominal is not None and nominal <= timedelta(0)) or exact < timedelta(0):
        raise _Skip("ends before it starts")
    return nominal, exact


def _readings(
    event: Event,
    first: datetime,
    clock: tzinfo,
    window: tuple[datetime, datetime],
    length: timedelta,
) -> Iterator[tuple[datetime, datetime | None]]:
    """Each occurrence's start as a reading of ``clock``, with its own end
    instant when an RDATE period gives one."""
    rules = _as_list(event.get("RRULE"))
    rdates = event.rdates
    if not rules and not rdates:
        yield first, None
        return
    recurrence = rruleset()
    if not rules:
        recurrence.rdate(first)  # with RDATE alone, DTSTART is still an occurrence
    for rule in rules:
        recurrence.rrule(_rule(rule, first, clock))
    for moment, period_end in rdates:
        if period_end is None:
            recurrence.rdate(_reading_in(moment, clock))
    for moment in event.exdates:
        recurrence.exdate(_reading_in(moment, clock))
    # A day of slack on each side covers any offset between the clocks.
    low = wall_clock(window[0], clock) - length - timedelta(days=1)
    high = wall_clock(window[1], clock) + timedelta(days=1)
    for count, occurrence in enumerate(recurrence.xafter(low, inc=True)):
        if occurrence > high:
            break
        if count >= MAX_OCCURRENCES:
            raise _Skip(f"repeats more than {MAX_OCCURRENCES} times in the window")
        yield occurrence, None
    for moment, period_end in rdates:
        if period_end is None:
            continue
        opens = _reading_in(moment, clock)
        if isinstance(period_end, timedelta):
            yield opens, instant(opens + period_end, clock)
        else:
            yield opens, _instant_of(period_end, clock)


def _rule(recur: Any, first: datetime, clock: tzinfo) -> Any:
    if not isinstance(recur, vRecur):
        raise _Skip("has an unreadable RRULE")
    parts = dict(recur)
    frequency = str(parts.get("FREQ", [""])[0]).upper()
    if frequency in _TOO_FREQUENT:
        raise _Skip(f"repeats {frequency.lower()}, too often for an on-call shift")
    # dateutil loops forever on an INTERVAL of 0.
    interval = parts.get("INTERVAL", [1])[0]
    if not isinstance(interval, int) or interval < 1:
        raise _Skip("has an RRULE whose INTERVAL is not a positive number")
    # dateutil wants UNTIL on the same kind of clock as DTSTART (here a naive
    # reading), while iCalendar writes it in UTC for zoned events.
    until = parts.pop("UNTIL", None)
    rule = rrulestr(vRecur(parts).to_ical().decode(), dtstart=first)
    if not isinstance(rule, rrule):  # one RRULE line never parses to a set
        raise _Skip("has an unreadable RRULE")
    if until:
        last = until[0]
        if isinstance(last, datetime):
            rule = rule.replace(until=_reading_in(last, clock))
        else:
            # A date UNTIL includes every occurrence on that day.
            rule = rule.replace(until=datetime.combine(last, time.max))
    return rule
