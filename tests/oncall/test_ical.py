"""iCalendar feeds: exporting shifts, importing other calendars as a layer,
and the round trip between the two."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from fireline.oncall.ical import FeedError, FeedImport, export_calendar, import_calendar, shift_uid
from fireline.oncall.schedule import (
    WEEKDAYS,
    Layer,
    Override,
    Rotation,
    Schedule,
    Shift,
    Source,
    final_shifts,
    on_call_at,
    on_days,
)

BERLIN = ZoneInfo("Europe/Berlin")
ALICE, BOB, CAROL = 1, 2, 3
PEOPLE = {
    ALICE: ("Alice Adams", "alice@example.com"),
    BOB: ("Bob Brown", "bob@example.com"),
    CAROL: ("Carol Chen", "carol@example.com"),
}
DIRECTORY = {"alice@example.com": ALICE, "Bob Brown": BOB, "carol@example.com": CAROL}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def feed(*events: str, timezones: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{timezones}{body}END:VCALENDAR\r\n"
    return text.replace("\n\r\n", "\r\n").encode()


def read(
    data: bytes,
    time_zone: str = "Europe/Berlin",
    start: datetime = utc(2026, 1, 1),
    end: datetime = utc(2027, 1, 1),
) -> FeedImport:
    return import_calendar(data, time_zone=time_zone, start=start, end=end, directory=DIRECTORY)


def spans(result: FeedImport) -> list[tuple[datetime, datetime, int]]:
    return [(i.start, i.end, i.user_id) for i in result.intervals]


def berlin_schedule() -> Schedule:
    weekly = Layer((ALICE, BOB), Rotation(1, "weeks"), datetime(2026, 3, 16, 9, tzinfo=BERLIN))
    daytime = Layer(
        (CAROL,),
        Rotation(1, "days"),
        datetime(2026, 3, 16, 9, tzinfo=BERLIN),
        restrictions=on_days(WEEKDAYS, time(9), time(17)),
    )
    overrides = (Override(utc(2026, 3, 28, 22), utc(2026, 3, 29, 4), CAROL),)
    return Schedule("Europe/Berlin", layers=(weekly, daytime), overrides=overrides)


# --- export -------------------------------------------------------------------


def test_schedule_feed_has_one_event_per_shift() -> None:
    shifts = final_shifts(berlin_schedule(), utc(2026, 3, 23), utc(2026, 4, 6))

    data = export_calendar(shifts, schedule_id=7, schedule_name="Primary", people=PEOPLE, now=NOW)

    calendar = Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "On call: Primary"
    events = calendar.walk("VEVENT")
    assert len(events) == len(shifts)
    first, shift = events[0], shifts[0]
    assert str(first["UID"]) == f"schedule-7-user-{shift.user_id}-20260323T000000Z@fireline"
    assert first["DTSTAMP"].dt == NOW
    assert (first["DTSTART"].dt, first["DTEND"].dt) == (shift.start, shift.end)
    assert str(first["SUMMARY"]) == "On call: Primary (Alice Adams)"
    assert str(first["ATTENDEE"]) == "mailto:alice@example.com"
    assert first["ATTENDEE"].params["CN"] == "Alice Adams"
    assert b"DTSTART:20260323T000000Z" in data


def test_person_feed_has_only_their_shifts() -> None:
    shifts = final_shifts(berlin_schedule(), utc(2026, 3, 23), utc(2026, 4, 6))

    data = export_calendar(
        shifts, schedule_id=7, schedule_name="Primary", people=PEOPLE, now=NOW, user_id=CAROL
    )

    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == len([s for s in shifts if s.user_id == CAROL]) > 0
    assert {str(e["SUMMARY"]) for e in events} == {"On call for Primary"}
    assert {str(e["ATTENDEE"]) for e in events} == {"mailto:carol@example.com"}


def test_export_is_stable_and_copes_with_unknown_people() -> None:
    shifts = [Shift(utc(2026, 3, 2), utc(2026, 3, 3), 99, Source.layer, 0)]

    once = export_calendar(shifts, schedule_id=1, schedule_name="Ops", people={}, now=NOW)
    again = export_calendar(shifts, schedule_id=1, schedule_name="Ops", people={}, now=NOW)

    assert once == again
    event = Calendar.from_ical(once).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "On call: Ops (user 99)"
    assert "ATTENDEE" not in event
    assert str(event["UID"]) == shift_uid(1, shifts[0])


# --- round trip ---------------------------------------------------------------


def test_exported_shifts_come_back_as_the_same_intervals() -> None:
    schedule = berlin_schedule()
    shifts = final_shifts(schedule, utc(2026, 3, 20), utc(2026, 4, 10))
    data = export_calendar(shifts, schedule_id=7, schedule_name="Primary", people=PEOPLE, now=NOW)

    result = read(data, start=utc(2026, 3, 20), end=utc(2026, 4, 10))

    assert result.warnings == ()
    assert spans(result) == [(s.start, s.end, s.user_id) for s in shifts]
    # As a layer of its own, the feed reproduces the schedule it came from.
    mirror = Schedule("Europe/Berlin", layers=(result.layer(),))
    for hours in range(0, 21 * 24, 5):
        t = utc(2026, 3, 20) + timedelta(hours=hours)
        assert on_call_at(mirror, t) == on_call_at(schedule, t)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 7 * 24 * 60), st.sampled_from([ALICE, BOB, CAROL])),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_round_trip_of_any_shifts(lengths: list[tuple[int, int]], time_zone: str) -> None:
    t, shifts = utc(2026, 3, 27), []
    for minutes, user in lengths:
        shifts.append(Shift(t, t + timedelta(minutes=minutes), user, Source.layer, 0))
        t += timedelta(minutes=minutes)
    data = export_calendar(shifts, schedule_id=3, schedule_name="Any", people=PEOPLE, now=NOW)

    result = read(data, time_zone=time_zone, start=shifts[0].start, end=shifts[-1].end)

    assert spans(result) == [(s.start, s.end, s.user_id) for s in shifts]


# --- import: times --------------------------------------------------------------


def test_tzid_utc_and_floating_times() -> None:
    data = feed(
        "UID:a\nSUMMARY:Bob Brown\nDTSTART;TZID=Europe/Berlin:20260302T090000\nDTEND;TZID=Europe/Berlin:20260302T170000",
        "UID:b\nSUMMARY:Bob Brown\nDTSTART:20260303T090000Z\nDTEND:20260303T170000Z",
        # Floating: read on the schedule zone's clock (New York here).
        "UID:c\nSUMMARY:Bob Brown\nDTSTART:20260304T090000\nDTEND:20260304T170000",
        # Windows zone names are understood too.
        "UID:d\nSUMMARY:Bob Brown\nDTSTART;TZID=W. Europe Standard Time:20260305T090000\nDURATION:PT8H",
    )

    result = read(data, time_zone="America/New_York")

    assert spans(result) == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 16), BOB),
        (utc(2026, 3, 3, 9), utc(2026, 3, 3, 17), BOB),
        (utc(2026, 3, 4, 14), utc(2026, 3, 4, 22), BOB),
        (utc(2026, 3, 5, 8), utc(2026, 3, 5, 16), BOB),
    ]
    assert result.warnings == ()


def test_custom_vtimezone_is_used() -> None:
    zone = """BEGIN:VTIMEZONE
TZID:Office Time
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
""".replace("\n", "\r\n")
    data = feed(
        "UID:a\nSUMMARY:Bob Brown\nDTSTART;TZID=Office Time:20260323T090000\nDTEND;TZID=Office Time:20260330T090000\nRRULE:FREQ=WEEKLY;COUNT=2",
        timezones=zone,
    )

    assert spans(read(data)) == [
        (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), BOB),
        (utc(2026, 3, 30, 7), utc(2026, 4, 6, 7), BOB),
    ]


def test_all_day_events_follow_the_schedule_zone_across_dst() -> None:
    data = feed(
        "UID:a\nSUMMARY:Bob Brown\nDTSTART;VALUE=DATE:20260328\nDTEND;VALUE=DATE:20260330",
        "UID:b\nSUMMARY:Bob Brown\nDTSTART;VALUE=DATE:20260330",  # no end: the one day
    )

    assert spans(read(data)) == [
        # Saturday 00:00 CET to Monday 00:00 CEST: 47 hours.
        (utc(2026, 3, 27, 23), utc(2026, 3, 29, 22), BOB),
        (utc(2026, 3, 29, 22), utc(2026, 3, 30, 22), BOB),
    ]


def test_weekly_recurrence_keeps_its_handoff_time_across_dst() -> None:
    data = feed(
        """UID:weekly
SUMMARY:Bob Brown
DTSTART;TZID=Europe/Berlin:20260316T090000
DTEND;TZID=Europe/Berlin:20260323T090000
RRULE:FREQ=WEEKLY;UNTIL=20260420T070000Z
EXDATE;TZID=Europe/Berlin:20260406T090000"""
    )

    result = read(data, start=utc(2026, 3, 20), end=utc(2026, 12, 1))

    assert spans(result) == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), BOB),  # overlaps the window's start
        (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), BOB),
        (utc(2026, 3, 30, 7), utc(2026, 4, 6, 7), BOB),
        (utc(2026, 4, 13, 7), utc(2026, 4, 20, 7), BOB),  # 6 April excluded
        (utc(2026, 4, 20, 7), utc(2026, 4, 27, 7), BOB),  # UNTIL includes 20 April
    ]


def test_open_ended_recurrence_is_expanded_only_over_the_window() -> None:
    data = feed(
        "UID:daily\nSUMMARY:Bob Brown\nDTSTART:20200101T000000Z\nDTEND:20200101T080000Z\nRRULE:FREQ=DAILY;BYDAY=MO,WE"
    )

    result = read(data, start=utc(2026, 3, 2), end=utc(2026, 3, 9))

    assert spans(result) == [
        (utc(2026, 3, 2), utc(2026, 3, 2, 8), BOB),
        (utc(2026, 3, 4), utc(2026, 3, 4, 8), BOB),
    ]


def test_moved_and_cancelled_occurrences_and_extra_dates() -> None:
    data = feed(
        "UID:r\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z\nRRULE:FREQ=DAILY;COUNT=4\nRDATE:20260310T090000Z",
        # The second day moves to the afternoon ...
        "UID:r\nSUMMARY:Carol\nATTENDEE:mailto:carol@example.com\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T120000Z\nDTEND:20260303T200000Z",
        # ... and the third is cancelled.
        "UID:r\nRECURRENCE-ID:20260304T090000Z\nSTATUS:CANCELLED\nDTSTART:20260304T090000Z\nDTEND:20260304T170000Z",
    )

    assert spans(read(data)) == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 17), BOB),
        (utc(2026, 3, 3, 12), utc(2026, 3, 3, 20), CAROL),
        (utc(2026, 3, 5, 9), utc(2026, 3, 5, 17), BOB),
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 17), BOB),
    ]


# --- import: people ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "user"),
    [
        ("ATTENDEE:mailto:ALICE@Example.com\nORGANIZER:mailto:bob@example.com", ALICE),
        ("ATTENDEE;CN=Bob Brown:mailto:someone@elsewhere.org", BOB),
        ("ORGANIZER:mailto:carol@example.com", CAROL),
        ("SUMMARY:bob brown", BOB),
        ("SUMMARY:On call: Primary (Bob Brown)", BOB),
        ("SUMMARY:Primary - carol@example.com", CAROL),
    ],
)
def test_events_are_matched_to_people(lines: str, user: int) -> None:
    data = feed(f"UID:x\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z\n{lines}")

    assert spans(read(data)) == [(utc(2026, 3, 2, 9), utc(2026, 3, 2, 17), user)]


def test_unreadable_or_unmatched_events_are_reported_not_dropped() -> None:
    data = feed(
        "UID:ok\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z",
        "UID:nobody\nSUMMARY:Zed\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z",
        "UID:two\nSUMMARY:Bob Brown and carol@example.com\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z",
        "UID:nostart\nSUMMARY:Bob Brown",
        "UID:noend\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z",
        "UID:backwards\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260301T090000Z",
        "UID:garbled\nSUMMARY:Bob Brown\nDTSTART:soon\nDTEND:20260302T170000Z",
        "UID:busy\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260302T090100Z\nRRULE:FREQ=MINUTELY",
        "UID:badrule\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z\nRRULE:FREQ=WEEKLY;BYDAY=XX",
        "UID:stuck\nSUMMARY:Bob Brown\nDTSTART:20260302T090000Z\nDTEND:20260302T170000Z\nRRULE:FREQ=DAILY;INTERVAL=0",
        "UID:mixed\nSUMMARY:Bob Brown\nDTSTART;VALUE=DATE:20260302\nDTEND:20260302T170000Z",
        "UID:elsewhere\nSUMMARY:Bob Brown\nDTSTART;TZID=Mars/Olympus:20260302T090000\nDTEND;TZID=Mars/Olympus:20260302T170000",
        "UID:outside\nSUMMARY:Zed\nDTSTART:20300302T090000Z\nDTEND:20300302T170000Z",
    )

    result = read(data)

    assert [i.user_id for i in result.intervals] == [BOB, BOB]  # "ok" and "elsewhere"
    reasons = {w.uid: w.message for w in result.warnings}
    assert reasons == {
        "nobody": "matches nobody in the directory",
        "two": "its summary names more than one person in the directory",
        "nostart": "has no DTSTART",
        "noend": "has no DTEND or DURATION, so it lasts no time",
        "backwards": "ends before it starts",
        "garbled": reasons["garbled"],
        "busy": "repeats minutely, too often for an on-call shift",
        "badrule": "has an unreadable RRULE",
        "stuck": "has an RRULE whose INTERVAL is not a positive number",
        "mixed": "mixes a date and a date-time in DTSTART and DTEND",
        "elsewhere": "unknown time zone 'Mars/Olympus', read as Europe/Berlin",
    }
    assert reasons["garbled"].startswith("cannot be read: ")
    assert {w.summary for w in result.warnings if w.uid == "nobody"} == {"Zed"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"\xff\xfe\x00",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
        b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    ],
)
def test_a_feed_that_is_not_a_calendar_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(FeedError, match="not an iCalendar feed"):
        read(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_no_input_crashes_the_importer(noise: bytes) -> None:
    for data in (noise, feed(noise.decode("utf-8", "replace").replace("\r", ""))):
        with contextlib.suppress(FeedError):
            read(data)


FIELDS = (
    "DTSTART",
    "DTEND",
    "DURATION",
    "RRULE",
    "EXDATE",
    "RDATE",
    "RECURRENCE-ID",
    "ATTENDEE",
    "ORGANIZER",
    "SUMMARY",
    "STATUS",
)
PARAMETERS = (
    "",
    ";VALUE=DATE",
    ";TZID=Europe/Berlin",
    ";TZID=Nowhere",
    ";VALUE=PERIOD",
    ";CN=Bob Brown",
)
VALUES = (
    "20260302T090000Z",
    "20260302T090000",
    "20260302",
    "20261025T023000",
    "PT8H",
    "-P1D",
    "P1W",
    "FREQ=DAILY;COUNT=3",
    "FREQ=WEEKLY;UNTIL=20260401",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=HOURLY;INTERVAL=0",
    "20260302T090000Z/PT1H",
    "20260302T090000Z/20260301T090000Z",
    "mailto:bob@example.com",
    "CANCELLED",
    "Bob Brown",
    "",
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(FIELDS), st.sampled_from(PARAMETERS), st.sampled_from(VALUES)),
        max_size=8,
    )
)
def test_no_event_crashes_the_importer(lines: list[tuple[str, str, str]]) -> None:
    body = "\n".join(["UID:x", *(f"{name}{parameter}:{value}" for name, parameter, value in lines)])

    # The parser rejects a few values (a backwards PERIOD) for the whole feed;
    # that is a FeedError too. Anything else is reported per event.
    with contextlib.suppress(FeedError):
        result = read(feed(body, body))
        assert all(i.start < i.end for i in result.intervals)
