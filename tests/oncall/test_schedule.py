"""Schedule resolution by example: rotations across DST, restrictions, layers,
overrides, swaps, imported layers, and the errors bad input gets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fireline.oncall.schedule import (
    FRIDAY,
    MONDAY,
    WEEKDAYS,
    ImportedLayer,
    Interval,
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    ScheduleError,
    Shift,
    Source,
    Swap,
    final_shifts,
    on_call_at,
    on_days,
    timeline,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ALICE, BOB, CAROL, DAVE, ERIN = 1, 2, 3, 4, 5


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows(shifts: list[Shift]) -> list[tuple[datetime, datetime, int]]:
    return [(s.start, s.end, s.user_id) for s in shifts]


def weekly_berlin(start: datetime) -> Schedule:
    layer = Layer(people=(ALICE, BOB, CAROL), rotation=Rotation(1, "weeks"), start=start)
    return Schedule("Europe/Berlin", layers=(layer,))


def test_weekly_monday_handoff_stays_at_0900_when_berlin_springs_forward() -> None:
    schedule = weekly_berlin(datetime(2026, 3, 16, 9, tzinfo=BERLIN))

    shifts = final_shifts(schedule, utc(2026, 3, 16), utc(2026, 4, 6, 12))

    assert rows(shifts) == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), ALICE),
        # 29 March: clocks go from 02:00 CET to 03:00 CEST, so this week is an hour short.
        (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), BOB),
        (utc(2026, 3, 30, 7), utc(2026, 4, 6, 7), CAROL),
        (utc(2026, 4, 6, 7), utc(2026, 4, 6, 12), ALICE),
    ]
    assert {s.start.astimezone(BERLIN).time() for s in shifts[1:]} == {time(9)}


def test_weekly_monday_handoff_stays_at_0900_when_berlin_falls_back() -> None:
    schedule = weekly_berlin(datetime(2026, 10, 19, 9, tzinfo=BERLIN))

    shifts = final_shifts(schedule, utc(2026, 10, 19, 7), utc(2026, 11, 2, 8))

    assert rows(shifts) == [
        # 25 October: clocks go from 03:00 CEST back to 02:00 CET, a week an hour long.
        (utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), ALICE),
        (utc(2026, 10, 26, 8), utc(2026, 11, 2, 8), BOB),
    ]


def test_a_handoff_time_that_does_not_exist_happens_when_the_clocks_jump() -> None:
    # New York springs forward on 8 March 2026 from 02:00 EST to 03:00 EDT.
    layer = Layer((ALICE, BOB), Rotation(1, "days"), datetime(2026, 3, 6, 2, 30, tzinfo=NEW_YORK))
    schedule = Schedule("America/New_York", layers=(layer,))

    shifts = final_shifts(schedule, utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30))

    assert rows(shifts) == [
        (utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), BOB),  # 02:30 EST to 03:00 EDT
        (utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30), ALICE),  # 03:00 EDT to 02:30 EDT
    ]


def test_a_handoff_time_that_happens_twice_takes_the_first() -> None:
    # New York falls back on 1 November 2026: 01:30 happens at 05:30Z and 06:30Z.
    layer = Layer((ALICE, BOB), Rotation(1, "days"), datetime(2026, 10, 30, 1, 30, tzinfo=NEW_YORK))
    schedule = Schedule("America/New_York", layers=(layer,))

    shifts = final_shifts(schedule, utc(2026, 10, 31, 5, 30), utc(2026, 11, 2, 6, 30))

    assert rows(shifts) == [
        (utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), BOB),
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), ALICE),  # 25 hours
    ]


def test_lord_howe_half_hour_jump() -> None:
    # Lord Howe Island goes from 02:00 to 02:30 on 4 October 2026 (UTC+10:30 to +11).
    layer = Layer((ALICE, BOB), Rotation(1, "days"), datetime(2026, 10, 2, 2, 15, tzinfo=LORD_HOWE))
    schedule = Schedule("Australia/Lord_Howe", layers=(layer,))

    starts = [
        s.start.astimezone(LORD_HOWE)
        for s in final_shifts(schedule, utc(2026, 10, 2), utc(2026, 10, 6))
    ]

    assert [(s.day, s.hour, s.minute) for s in starts[1:]] == [
        (3, 2, 15),
        (4, 2, 30),
        (5, 2, 15),
        (6, 2, 15),
    ]


def test_hour_rotations_count_on_the_wall_clock() -> None:
    # Every 8 hours from 00:00 keeps 00:00, 08:00 and 16:00 across the change.
    layer = Layer((ALICE, BOB, CAROL), Rotation(8, "hours"), datetime(2026, 3, 28, tzinfo=BERLIN))
    schedule = Schedule("Europe/Berlin", layers=(layer,))

    shifts = final_shifts(schedule, utc(2026, 3, 28, 15), utc(2026, 3, 29, 21))

    local = [(s.start.astimezone(BERLIN).strftime("%d %H:%M"), s.user_id) for s in shifts]
    assert local == [
        ("28 16:00", CAROL),
        ("29 00:00", ALICE),
        ("29 08:00", BOB),
        ("29 16:00", CAROL),
    ]
    assert shifts[1].end - shifts[1].start == timedelta(hours=7)


def test_a_one_hour_turn_inside_the_skipped_hour_is_passed_over() -> None:
    layer = Layer((ALICE, BOB), Rotation(1, "hours"), datetime(2026, 3, 29, 1, tzinfo=BERLIN))
    schedule = Schedule("Europe/Berlin", layers=(layer,))

    shifts = final_shifts(schedule, utc(2026, 3, 29), utc(2026, 3, 29, 2))

    # Turn 02:00-03:00 (Bob's) does not exist that night; Alice follows Alice.
    assert rows(shifts) == [(utc(2026, 3, 29), utc(2026, 3, 29, 2), ALICE)]


def business_hours_over_weekly() -> Schedule:
    weekly = Layer((ALICE, BOB), Rotation(1, "weeks"), datetime(2026, 3, 2, 9, tzinfo=BERLIN))
    daytime = Layer(
        (CAROL, DAVE),
        Rotation(1, "days"),
        datetime(2026, 3, 2, 9, tzinfo=BERLIN),
        restrictions=on_days(WEEKDAYS, time(9), time(17)),
    )
    return Schedule("Europe/Berlin", layers=(weekly, daytime))


def test_weekday_business_hours_layer_over_a_weekly_layer() -> None:
    shifts = final_shifts(business_hours_over_weekly(), utc(2026, 3, 5, 23), utc(2026, 3, 10, 8))

    assert [(s.start, s.user_id, s.source, s.index) for s in shifts] == [
        (utc(2026, 3, 5, 23), ALICE, Source.layer, 0),
        # Friday 09:00-17:00, the fifth day: the days keep counting over the weekend
        (utc(2026, 3, 6, 8), CAROL, Source.layer, 1),
        (utc(2026, 3, 6, 16), ALICE, Source.layer, 0),  # the weekend shows the layer below
        (utc(2026, 3, 9, 8), DAVE, Source.layer, 1),  # Monday, day eight: top layer again ...
        (utc(2026, 3, 9, 16), BOB, Source.layer, 0),  # ... over Bob's new week
    ]
    assert shifts[-1].end == utc(2026, 3, 10, 8)


def test_timeline_has_a_row_per_layer_and_the_result() -> None:
    view = timeline(business_hours_over_weekly(), utc(2026, 3, 6), utc(2026, 3, 7))

    assert rows(list(view.layers[0])) == [(utc(2026, 3, 6), utc(2026, 3, 7), ALICE)]
    assert rows(list(view.layers[1])) == [(utc(2026, 3, 6, 8), utc(2026, 3, 6, 16), CAROL)]
    assert view.overrides == ()
    assert [s.user_id for s in view.final] == [ALICE, CAROL, ALICE]


def test_restriction_across_midnight_and_weekly_window() -> None:
    nights = Layer(
        (ALICE,),
        Rotation(1, "weeks"),
        utc(2026, 1, 1),
        restrictions=(Restriction.daily(time(22), time(6)),),
    )
    weekend = Layer(
        (BOB,),
        Rotation(1, "weeks"),
        utc(2026, 1, 1),
        restrictions=(Restriction.weekly(FRIDAY, time(18), MONDAY, time(9)),),
    )
    schedule = Schedule("UTC", layers=(nights, weekend))

    view = timeline(schedule, utc(2026, 3, 5, 12), utc(2026, 3, 10, 12))

    assert rows(list(view.layers[0])) == [
        (utc(2026, 3, day, 22), utc(2026, 3, day + 1, 6), ALICE) for day in range(5, 10)
    ]
    assert rows(list(view.layers[1])) == [(utc(2026, 3, 6, 18), utc(2026, 3, 9, 9), BOB)]
    assert rows(final_shifts(schedule, utc(2026, 3, 5, 12), utc(2026, 3, 10, 12))) == [
        (utc(2026, 3, 5, 22), utc(2026, 3, 6, 6), ALICE),
        (utc(2026, 3, 6, 18), utc(2026, 3, 9, 9), BOB),
        (utc(2026, 3, 9, 22), utc(2026, 3, 10, 6), ALICE),
    ]
    assert on_call_at(schedule, utc(2026, 3, 5, 12)) is None


def test_a_layer_covers_nothing_before_its_start_or_from_its_end() -> None:
    layer = Layer((ALICE,), Rotation(1, "days"), utc(2026, 3, 2), end=utc(2026, 3, 4))
    schedule = Schedule("UTC", layers=(layer,))

    assert rows(final_shifts(schedule, utc(2026, 3, 1), utc(2026, 3, 5))) == [
        (utc(2026, 3, 2), utc(2026, 3, 4), ALICE)
    ]
    assert on_call_at(schedule, utc(2026, 3, 1, 23)) is None
    assert on_call_at(schedule, utc(2026, 3, 2)) == ALICE
    assert on_call_at(schedule, utc(2026, 3, 4)) is None


def test_overrides_win_and_the_later_override_wins_where_they_overlap() -> None:
    base = business_hours_over_weekly()
    schedule = Schedule(
        base.time_zone,
        base.layers,
        overrides=(
            Override(utc(2026, 3, 6, 10), utc(2026, 3, 6, 20), ERIN),
            Override(utc(2026, 3, 6, 12), utc(2026, 3, 6, 13), BOB),
        ),
    )

    shifts = final_shifts(schedule, utc(2026, 3, 6, 8), utc(2026, 3, 6, 21))

    assert [(s.start.hour, s.end.hour, s.user_id, s.source, s.index) for s in shifts] == [
        (8, 10, CAROL, Source.layer, 1),
        (10, 12, ERIN, Source.override, 0),
        (12, 13, BOB, Source.override, 1),
        (13, 20, ERIN, Source.override, 0),
        (20, 21, ALICE, Source.layer, 0),
    ]
    assert on_call_at(schedule, utc(2026, 3, 6, 12, 30)) == BOB
    assert on_call_at(schedule, utc(2026, 3, 6, 19, 59)) == ERIN


def test_an_override_covers_hours_no_layer_does() -> None:
    schedule = Schedule("UTC", overrides=(Override(utc(2026, 3, 6), utc(2026, 3, 7), ERIN),))

    assert rows(final_shifts(schedule, utc(2026, 3, 5), utc(2026, 3, 8))) == [
        (utc(2026, 3, 6), utc(2026, 3, 7), ERIN)
    ]


def test_a_swap_replaces_the_giver_only_where_the_giver_is_on_call() -> None:
    base = business_hours_over_weekly()
    # Alice hands Friday to Erin; Carol's business hours that day are not hers to give.
    swap = Swap(ALICE, ERIN, utc(2026, 3, 6), utc(2026, 3, 7))
    schedule = Schedule(base.time_zone, base.layers, swaps=(swap,))

    shifts = final_shifts(schedule, utc(2026, 3, 6), utc(2026, 3, 7, 6))

    assert [(s.start.hour, s.user_id, s.source) for s in shifts] == [
        (0, ERIN, Source.swap),
        (8, CAROL, Source.layer),
        (16, ERIN, Source.swap),
        (0, ALICE, Source.layer),
    ]


def test_swaps_chain_and_overrides_still_win_over_them() -> None:
    layer = Layer((ALICE,), Rotation(1, "weeks"), utc(2026, 1, 1))
    schedule = Schedule(
        "UTC",
        layers=(layer,),
        swaps=(
            Swap(ALICE, BOB, utc(2026, 3, 6), utc(2026, 3, 8)),
            Swap(BOB, CAROL, utc(2026, 3, 7), utc(2026, 3, 8)),
        ),
        overrides=(Override(utc(2026, 3, 7, 12), utc(2026, 3, 7, 13), ALICE),),
    )

    assert [
        on_call_at(schedule, utc(2026, 3, day, hour))
        for day, hour in ((6, 12), (7, 6), (7, 12), (8, 0))
    ] == [BOB, CAROL, ALICE, ALICE]


def test_imported_layer_under_a_rotation() -> None:
    imported = ImportedLayer(
        (
            Interval(utc(2026, 3, 6), utc(2026, 3, 8), BOB),
            # Overlaps Bob's: the later start takes over from here.
            Interval(utc(2026, 3, 7), utc(2026, 3, 7, 12), CAROL),
        )
    )
    daytime = Layer(
        (DAVE,),
        Rotation(1, "days"),
        utc(2026, 3, 1),
        restrictions=on_days(WEEKDAYS, time(9), time(17)),
    )
    schedule = Schedule("UTC", layers=(imported, daytime))

    assert rows(final_shifts(schedule, utc(2026, 3, 6), utc(2026, 3, 9))) == [
        (utc(2026, 3, 6), utc(2026, 3, 6, 9), BOB),
        (utc(2026, 3, 6, 9), utc(2026, 3, 6, 17), DAVE),
        (utc(2026, 3, 6, 17), utc(2026, 3, 7), BOB),
        (utc(2026, 3, 7), utc(2026, 3, 7, 12), CAROL),
        (utc(2026, 3, 7, 12), utc(2026, 3, 8), BOB),
    ]
    assert on_call_at(schedule, utc(2026, 3, 7, 6)) == CAROL


def test_pieces_of_the_same_person_and_source_are_joined() -> None:
    solo = Layer((ALICE,), Rotation(1, "days"), utc(2026, 3, 1))
    schedule = Schedule(
        "UTC",
        layers=(solo,),
        overrides=(
            Override(utc(2026, 3, 3), utc(2026, 3, 4), ALICE),
            Override(utc(2026, 3, 4), utc(2026, 3, 5), BOB),
        ),
    )

    shifts = final_shifts(schedule, utc(2026, 3, 1), utc(2026, 3, 6))

    # Five daily turns of Alice become one shift; her override stays its own piece.
    assert [(s.start.day, s.end.day, s.user_id, s.source) for s in shifts] == [
        (1, 3, ALICE, Source.layer),
        (3, 4, ALICE, Source.override),
        (4, 5, BOB, Source.override),
        (5, 6, ALICE, Source.layer),
    ]


def test_results_are_in_utc_whatever_zone_the_input_uses() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    shifts = final_shifts(weekly_berlin(start), start, start + timedelta(days=10))

    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in shifts)
    assert shifts[0].start == utc(2026, 3, 2, 8)


def test_two_weeks_of_a_busy_schedule_tile_without_gaps() -> None:
    weekly = Layer(
        tuple(range(1, 11)), Rotation(1, "weeks"), datetime(2026, 1, 5, 9, tzinfo=BERLIN)
    )
    daytime = Layer(
        tuple(range(1, 11)),
        Rotation(1, "days"),
        datetime(2026, 1, 5, 9, tzinfo=BERLIN),
        restrictions=on_days(WEEKDAYS, time(9), time(17)),
    )
    nights = Layer(
        tuple(range(1, 11)),
        Rotation(12, "hours"),
        datetime(2026, 1, 5, 8, tzinfo=BERLIN),
        restrictions=(Restriction.weekly(FRIDAY, time(18), MONDAY, time(9)),),
    )
    overrides = tuple(
        Override(
            utc(2026, 3, 20) + timedelta(hours=7 * n),
            utc(2026, 3, 20) + timedelta(hours=7 * n + 3),
            n % 10 + 1,
        )
        for n in range(50)
    )
    schedule = Schedule("Europe/Berlin", (weekly, daytime, nights), overrides)

    shifts = final_shifts(schedule, utc(2026, 3, 20), utc(2026, 4, 3))

    assert shifts[0].start == utc(2026, 3, 20)
    assert shifts[-1].end == utc(2026, 4, 3)
    assert all(a.end == b.start for a, b in itertools.pairwise(shifts))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Layer((), Rotation(1), utc(2026, 1, 1)), "people"),
        (lambda: Layer((1, "2"), Rotation(1), utc(2026, 1, 1)), "people[1]"),  # type: ignore[arg-type]
        (lambda: Rotation(0), "rotation.length"),
        (lambda: Rotation(1, "fortnights"), "rotation.unit"),  # type: ignore[arg-type]
        (lambda: Layer((1,), Rotation(1), datetime(2026, 1, 1)), "start"),
        (lambda: Layer((1,), Rotation(1), utc(2026, 1, 2), end=utc(2026, 1, 1)), "end"),
        (lambda: Schedule("Mars/Olympus_Mons"), "time_zone"),
        (lambda: Schedule("../../etc/passwd"), "time_zone"),
        (lambda: Restriction.daily(time(9), time(9)), "restriction.end"),
        (lambda: Restriction.weekly(MONDAY, time(9), MONDAY, time(9)), "restriction.end"),
        (lambda: Restriction(time(9), time(17), start_day=MONDAY), "restriction.end_day"),
        (lambda: Restriction.weekly(8, time(9), MONDAY, time(17)), "restriction.start_day"),
        (lambda: Restriction.daily(time(9, tzinfo=UTC), time(17)), "restriction.start"),
        (lambda: Override(utc(2026, 1, 2), utc(2026, 1, 1), ALICE), "end"),
        (lambda: Override(utc(2026, 1, 1), utc(2026, 1, 2), True), "user_id"),
        (lambda: Swap(ALICE, ALICE, utc(2026, 1, 1), utc(2026, 1, 2)), "to_user"),
        (lambda: Interval(utc(2026, 1, 1), utc(2026, 1, 1), ALICE), "end"),
        (lambda: Schedule("UTC", layers=("weekly",)), "layers[0]"),  # type: ignore[arg-type]
        (lambda: final_shifts(Schedule("UTC"), utc(2026, 1, 2), utc(2026, 1, 1)), "end"),
        (lambda: on_call_at(Schedule("UTC"), datetime(2026, 1, 1)), "t"),
    ],
)
def test_bad_input_names_the_field(build: object, field: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        build()  # type: ignore[operator]

    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: expected ")
