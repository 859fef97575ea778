"""Properties of schedule resolution over random schedules, weighted towards
the days around DST changes in zones with whole-hour, half-hour and no DST.

Two independent paths are compared throughout: ``on_call_at`` resolves one
instant on its own, ``final_shifts``/``timeline`` work on interval boundaries."""

from __future__ import annotations

import bisect
import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.oncall.schedule import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Source,
    Swap,
    final_shifts,
    on_call_at,
    timeline,
)
from fireline.oncall.wallclock import instant, wall_clock

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
USERS = st.integers(min_value=1, max_value=6)
SETTINGS = settings(max_examples=200, deadline=None)
PROBES = 12  # random instants checked per example, besides the shift boundaries


def _changes(zone: ZoneInfo) -> list[datetime]:
    """The days in 2026 on which the zone's UTC offset changes."""
    step = timedelta(days=1)
    t, found = datetime(2026, 1, 1, tzinfo=UTC), []
    while t.year == 2026:
        if (t + step).astimezone(zone).utcoffset() != t.astimezone(zone).utcoffset():
            found.append(t + step)
        t += step
    return found


# Zones without DST still get instants from around the others' changes.
NEAR = sorted({change for name in ZONES for change in _changes(ZoneInfo(name))})
moments = st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(NEAR),
    st.integers(min_value=-4 * 86400, max_value=4 * 86400),
)
# Minutes of the day, so readings such as 02:30 that DST skips or repeats come up.
clock_times = st.integers(0, 24 * 60 - 1).map(lambda minute: time(*divmod(minute, 60)))
rotations = st.one_of(
    st.builds(Rotation, st.integers(1, 36), st.just("hours")),
    st.builds(Rotation, st.integers(1, 10), st.just("days")),
    st.builds(Rotation, st.integers(1, 3), st.just("weeks")),
)


@st.composite
def restrictions(draw: st.DrawFn) -> Restriction:
    start, end = draw(clock_times), draw(clock_times)
    if draw(st.booleans()):
        start_day, end_day = draw(st.integers(1, 7)), draw(st.integers(1, 7))
        if start_day == end_day and start == end:
            end_day = start_day % 7 + 1
        return Restriction.weekly(start_day, start, end_day, end)
    if start == end:
        end = time((start.hour + 1) % 24, start.minute)
    return Restriction.daily(start, end)


@st.composite
def layers(draw: st.DrawFn, restricted: bool = True) -> Layer:
    start = draw(moments) - timedelta(days=draw(st.integers(0, 20)))
    end = None
    if restricted and draw(st.booleans()):
        end = start + timedelta(hours=draw(st.integers(1, 30 * 24)))
    return Layer(
        people=tuple(draw(st.lists(USERS, min_size=1, max_size=4))),
        rotation=draw(rotations),
        start=start,
        restrictions=tuple(draw(st.lists(restrictions(), max_size=2))) if restricted else (),
        end=end,
    )


@st.composite
def spans(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(moments)
    return start, start + timedelta(minutes=draw(st.integers(1, 14 * 24 * 60)))


@st.composite
def schedules(
    draw: st.DrawFn,
    overrides: tuple[int, int] = (0, 3),
    swaps: tuple[int, int] = (0, 2),
    most_layers: int = 3,
) -> Schedule:
    """A schedule with between the given (fewest, most) overrides and swaps."""
    chosen_overrides = [
        Override(*draw(spans()), draw(USERS)) for _ in range(draw(st.integers(*overrides)))
    ]
    chosen_swaps = []
    for _ in range(draw(st.integers(*swaps))):
        giver, taker = draw(st.lists(USERS, min_size=2, max_size=2, unique=True))
        chosen_swaps.append(Swap(giver, taker, *draw(spans())))
    return Schedule(
        draw(st.sampled_from(ZONES)),
        layers=tuple(draw(st.lists(layers(), min_size=1, max_size=most_layers))),
        overrides=tuple(chosen_overrides),
        swaps=tuple(chosen_swaps),
    )


def containing(shifts: list[Shift], t: datetime) -> Shift | None:
    position = bisect.bisect_right([s.start for s in shifts], t) - 1
    if position >= 0 and shifts[position].start <= t < shifts[position].end:
        return shifts[position]
    return None


def probes(draw: st.DrawFn, start: datetime, end: datetime, shifts: list[Shift]) -> list[datetime]:
    """Random instants in [start, end) plus both sides of (some) shift boundaries."""
    # One seeded Random instead of a draw per instant keeps data generation
    # cheap; Hypothesis still replays and shrinks it.
    chance = draw(st.randoms(use_true_random=False))
    picked = [start + (end - start) * chance.random() for _ in range(PROBES)]
    edges = [t for s in shifts[:: max(1, len(shifts) // 10)] for t in (s.start, s.end)]
    picked += [t + d for t in edges for d in (-timedelta(microseconds=1), timedelta(0))]
    return [t for t in picked if start <= t < end]


def assert_tiles_without_overlap(shifts: list[Shift], start: datetime, end: datetime) -> None:
    for shift in shifts:
        assert start <= shift.start < shift.end <= end
        assert shift.start.tzinfo is UTC and shift.end.tzinfo is UTC
    for before, after in itertools.pairwise(shifts):
        assert before.end <= after.start
        if before.end == after.start:
            # Touching pieces of one person from one source would have been joined.
            same = (before.user_id, before.source, before.index)
            assert same != (after.user_id, after.source, after.index)


@SETTINGS
@given(st.sampled_from(ZONES), layers(restricted=False), spans(), st.data())
def test_an_unrestricted_layer_has_exactly_one_person_at_every_instant(
    zone: str, layer: Layer, window: tuple[datetime, datetime], data: st.DataObject
) -> None:
    schedule = Schedule(zone, layers=(layer,))
    start, end = window

    shifts = final_shifts(schedule, start, end)

    covered_from = max(start, layer.start)
    if covered_from >= end:
        assert shifts == []
        return
    # No gaps and no overlaps, whatever DST does inside the window.
    assert shifts[0].start == covered_from
    assert shifts[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(shifts))
    assert_tiles_without_overlap(shifts, start, end)
    for t in probes(data.draw, start, end, shifts):
        shift = containing(shifts, t)
        expected = None if shift is None else shift.user_id
        assert on_call_at(schedule, t) == expected
        assert (shift is None) == (t < layer.start)


@SETTINGS
@given(schedules(), spans(), st.data())
def test_final_shifts_agree_with_on_call_at_everywhere(
    schedule: Schedule, window: tuple[datetime, datetime], data: st.DataObject
) -> None:
    start, end = window

    view = timeline(schedule, start, end)

    final = list(view.final)
    assert_tiles_without_overlap(final, start, end)
    for row in view.layers:
        assert_tiles_without_overlap(list(row), start, end)
    every_edge = final + [s for row in view.layers for s in row] + list(view.overrides)
    for t in probes(data.draw, start, end, every_edge):
        shift = containing(final, t)
        assert on_call_at(schedule, t) == (None if shift is None else shift.user_id)
        # Someone is on call wherever any layer or override has someone.
        covered = any(containing(list(row), t) for row in view.layers) or containing(
            list(view.overrides), t
        )
        assert (shift is not None) == bool(covered)


@SETTINGS
@given(schedules(overrides=(1, 3), swaps=(0, 0), most_layers=2), st.data())
def test_overrides_win_at_every_instant_inside_them(
    schedule: Schedule, data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(schedule.overrides))
    start, end = chosen.start, chosen.end
    final = final_shifts(schedule, start - timedelta(hours=1), end + timedelta(hours=1))

    for t in probes(data.draw, start, end, final):
        winner = max(
            (i for i, o in enumerate(schedule.overrides) if o.start <= t < o.end), default=None
        )
        assert winner is not None
        assert on_call_at(schedule, t) == schedule.overrides[winner].user_id
        shift = containing(final, t)
        assert shift is not None
        assert (shift.source, shift.index) == (Source.override, winner)


@SETTINGS
@given(schedules(overrides=(0, 0), swaps=(1, 1), most_layers=2), st.data())
def test_a_swap_changes_only_the_givers_time(schedule: Schedule, data: st.DataObject) -> None:
    swap = schedule.swaps[0]
    plain = Schedule(schedule.time_zone, schedule.layers)
    swapped = Schedule(schedule.time_zone, schedule.layers, swaps=(swap,))
    final = final_shifts(swapped, swap.start, swap.end)

    for t in probes(data.draw, swap.start, swap.end, final):
        before = on_call_at(plain, t)
        after = on_call_at(swapped, t)
        assert after == (swap.to_user if before == swap.from_user else before)


@SETTINGS
@given(st.sampled_from(ZONES), layers(restricted=False), st.integers(2, 40))
def test_day_and_week_handoffs_keep_their_wall_clock_time(
    zone_name: str, layer: Layer, turns: int
) -> None:
    if layer.rotation.unit == "hours":
        return
    zone = ZoneInfo(zone_name)
    # Distinct people, so that no two turns are joined into one shift.
    layer = Layer(tuple(range(1, turns + 1)), layer.rotation, layer.start)
    step = layer.rotation.step
    start = layer.start
    end = start + (turns - 1) * step + timedelta(hours=1)

    shifts = final_shifts(Schedule(zone_name, layers=(layer,)), start, end)

    reading = wall_clock(start, zone)
    for number, shift in enumerate(shifts[1:], start=1):
        expected = reading + number * step
        assert shift.start == instant(expected, zone)
        handoff = wall_clock(shift.start, zone)
        # The wall clock shows the handoff time, unless that time was skipped
        # that day; then the handoff is when the clocks jump past it.
        assert handoff == expected or (handoff > expected and _offset_changes_at(shift.start, zone))
    for shift in shifts[1:-1]:
        assert abs((shift.end - shift.start) - step) <= timedelta(hours=1)


def _offset_changes_at(t: datetime, zone: ZoneInfo) -> bool:
    return (t - timedelta(seconds=1)).astimezone(zone).utcoffset() != t.astimezone(zone).utcoffset()
