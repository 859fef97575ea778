"""Use cases for schedules: create them, add layers and overrides, and answer
"who is on call now, at T, and for the next two weeks"."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.oncall import schedule as engine
from fireline.oncall.models import Schedule, ScheduleLayer, ScheduleOverride
from fireline.oncall.naming import check_not_reserved
from fireline.oncall.rotation import Layer, Restriction, Rotation, ScheduleError, Unit, on_days
from fireline.people.models import User
from fireline.people.service import check_slug, find_team, find_user

CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
HORIZON = timedelta(days=14)
MAX_OVERRIDE = timedelta(days=62)


def find_schedule(session: Session, ref: str) -> Schedule:
    row_id = as_row_id(ref)
    query = select(Schedule).options(selectinload(Schedule.layers))
    found = session.scalar(
        query.where(Schedule.id == row_id)
        if row_id is not None
        else query.where(Schedule.slug == ref)
    )
    if found is None:
        raise NotFound(f"no schedule {ref}", field="schedule")
    return found


def check_time_zone(name: str, field: str = "time_zone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "expected an IANA time zone such as Europe/Berlin", field=field
        ) from None
    return name


def create_schedule(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    slug: str,
    name: str,
    time_zone: str,
    team: str | None = None,
    description: str = "",
) -> Schedule:
    check_slug(slug)
    check_not_reserved(slug)
    check_time_zone(time_zone)
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    if session.scalar(select(Schedule.id).where(Schedule.slug == slug)) is not None:
        raise Conflict(f"a schedule called {slug} already exists", field="slug")
    row = Schedule(
        slug=slug,
        name=name.strip(),
        time_zone=time_zone,
        team_id=find_team(session, team).id if team else None,
        description=description,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.created",
        object_type="schedule",
        object_id=row.id,
        changes={"slug": slug, "name": row.name, "time_zone": time_zone, "team": team},
        now=now,
    )
    return row


@dataclass(frozen=True)
class LayerSpec:
    name: str
    users: Sequence[str]  # ids or e-mail addresses, in turn order
    handoff: str  # local wall-clock time of the first handoff: "2026-11-02T09:00"
    rotation_length: int = 1
    rotation_unit: str = "weeks"
    restrictions: Sequence[Mapping[str, Any]] = ()
    ends_at: datetime | None = None


HANDOFF_YEARS = (1970, 2200)


def add_layer(
    session: Session, *, actor: Actor, now: datetime, schedule: Schedule, spec: LayerSpec
) -> ScheduleLayer:
    if not spec.users:
        raise InvalidInput("a layer needs at least one person", field="users")
    user_ids = [find_user(session, ref).id for ref in spec.users]
    restrictions = [
        _check_restriction(r, f"restrictions[{n}]") for n, r in enumerate(spec.restrictions)
    ]
    row = ScheduleLayer(
        schedule_id=schedule.id,
        position=max((layer.position for layer in schedule.layers), default=-1) + 1,
        name=spec.name.strip() or f"Layer {len(schedule.layers) + 1}",
        user_ids=user_ids,
        rotation_unit=spec.rotation_unit,
        rotation_length=spec.rotation_length,
        handoff=spec.handoff,
        restrictions=restrictions,
        ends_at=spec.ends_at,
    )
    _layer_of(row, schedule.time_zone)  # the engine's own checks, before anything is stored
    schedule.layers.append(row)
    schedule.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.layer_added",
        object_type="schedule",
        object_id=schedule.id,
        changes={
            "layer": row.name,
            "users": user_ids,
            "rotation": f"{spec.rotation_length} {spec.rotation_unit}",
        },
        now=now,
    )
    return row


def remove_layer(
    session: Session, *, actor: Actor, now: datetime, schedule: Schedule, layer_id: int
) -> None:
    layer = next((layer for layer in schedule.layers if layer.id == layer_id), None)
    if layer is None:
        raise NotFound(f"schedule {schedule.slug} has no layer {layer_id}", field="layer")
    schedule.layers.remove(layer)
    schedule.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="schedule.layer_removed",
        object_type="schedule",
        object_id=schedule.id,
        changes={"layer": layer.name},
        now=now,
    )


def add_override(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    schedule: Schedule,
    user: str,
    starts_at: datetime,
    ends_at: datetime,
    replaces: str | None = None,
    note: str = "",
) -> ScheduleOverride:
    """Someone covers a window; with ``replaces`` it is a swap that covers only
    that person's part of the window."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("times need a UTC offset", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("the end must come after the start", field="ends_at")
    if ends_at - starts_at > MAX_OVERRIDE:
        raise InvalidInput("an override lasts at most 62 days", field="ends_at")
    covering = find_user(session, user)
    replaced = find_user(session, replaces) if replaces else None
    if replaced is not None and replaced.id == covering.id:
        raise InvalidInput("a swap is between two different people", field="replaces")
    row = ScheduleOverride(
        schedule_id=schedule.id,
        user_id=covering.id,
        replaces_user_id=replaced.id if replaced else None,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
        created_by_id=int(actor.id) if actor.type == "user" else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.swap_added" if replaced else "schedule.override_added",
        object_type="schedule",
        object_id=schedule.id,
        changes={
            "user": covering.email,
            "replaces": replaced.email if replaced else None,
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
        now=now,
    )
    return row


def remove_override(
    session: Session, *, actor: Actor, now: datetime, schedule: Schedule, override_id: int
) -> None:
    row = session.get(ScheduleOverride, override_id)
    if row is None or row.schedule_id != schedule.id:
        raise NotFound(f"schedule {schedule.slug} has no override {override_id}", field="override")
    session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="schedule.override_removed",
        object_type="schedule",
        object_id=schedule.id,
        changes={"override": override_id},
        now=now,
    )


# --- from rows to the engine ----------------------------------------------------


def _check_restriction(raw: Mapping[str, Any], field: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            'expected {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}', field=field
        )
    days = raw.get("days", [1, 2, 3, 4, 5, 6, 7])
    if not isinstance(days, list) or not days or not all(d in range(1, 8) for d in days):
        raise InvalidInput("expected ISO weekdays, 1 (Monday) to 7 (Sunday)", field=f"{field}.days")
    for name in ("start", "end"):
        if not isinstance(raw.get(name), str) or not CLOCK_RE.match(raw[name]):
            raise InvalidInput("expected a time of day as HH:MM", field=f"{field}.{name}")
    if raw["start"] == raw["end"]:
        raise InvalidInput(
            "the window must not start and end at the same time", field=f"{field}.end"
        )
    return {"days": sorted(set(days)), "start": raw["start"], "end": raw["end"]}


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _layer_of(row: ScheduleLayer, time_zone: str) -> Layer | engine.ImportedLayer:
    if row.ical_url:
        return engine.ImportedLayer(
            tuple(
                engine.Interval(
                    datetime.fromisoformat(item["start"]),
                    datetime.fromisoformat(item["end"]),
                    int(item["user_id"]),
                )
                for item in row.imported_shifts
            )
        )
    if row.rotation_unit not in Unit.__members__:
        raise InvalidInput("expected hours, days or weeks", field="rotation_unit")
    try:
        handoff = datetime.fromisoformat(row.handoff)
    except ValueError:
        raise InvalidInput(
            "expected a local date and time such as 2026-11-02T09:00", field="handoff"
        ) from None
    # Near the ends of the calendar the conversion to UTC overflows.
    if not HANDOFF_YEARS[0] <= handoff.year <= HANDOFF_YEARS[1]:
        raise InvalidInput(
            f"expected a year from {HANDOFF_YEARS[0]} to {HANDOFF_YEARS[1]}", field="handoff"
        )
    if row.ends_at is not None and not HANDOFF_YEARS[0] <= row.ends_at.year <= HANDOFF_YEARS[1]:
        raise InvalidInput(
            f"expected a year from {HANDOFF_YEARS[0]} to {HANDOFF_YEARS[1]}", field="ends_at"
        )
    if handoff.tzinfo is None:
        handoff = handoff.replace(tzinfo=ZoneInfo(time_zone))
    restrictions: list[Restriction] = []
    for item in row.restrictions:
        restrictions.extend(on_days(item["days"], _clock(item["start"]), _clock(item["end"])))
    try:
        return Layer(
            people=tuple(row.user_ids),
            rotation=Rotation(row.rotation_length, Unit(row.rotation_unit)),
            start=handoff,
            restrictions=tuple(restrictions),
            end=row.ends_at,
        )
    except ScheduleError as exc:
        raise InvalidInput(f"expected {exc.expected}", field=exc.field) from None


def plan_of(
    session: Session, schedule: Schedule, start: datetime, end: datetime
) -> engine.Schedule:
    """The pure schedule, with the overrides and swaps that touch [start, end)."""
    overrides: list[engine.Override] = []
    swaps: list[engine.Swap] = []
    rows = session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule.id,
            ScheduleOverride.ends_at > start,
            ScheduleOverride.starts_at < end,
        )
        .order_by(ScheduleOverride.created_at, ScheduleOverride.id)
    )
    for row in rows:
        if row.replaces_user_id is None:
            overrides.append(engine.Override(row.starts_at, row.ends_at, row.user_id))
        else:
            swaps.append(engine.Swap(row.replaces_user_id, row.user_id, row.starts_at, row.ends_at))
    return engine.Schedule(
        time_zone=schedule.time_zone,
        layers=tuple(_layer_of(layer, schedule.time_zone) for layer in schedule.layers),
        overrides=tuple(overrides),
        swaps=tuple(swaps),
    )


def on_call_at(session: Session, schedule: Schedule, at: datetime) -> int | None:
    plan = plan_of(session, schedule, at, at + timedelta(seconds=1))
    return engine.on_call_at(plan, at)


def shifts(session: Session, schedule: Schedule, start: datetime, end: datetime) -> engine.Timeline:
    return engine.timeline(plan_of(session, schedule, start, end), start, end)


def user_names(session: Session, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
