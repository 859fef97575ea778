"""JSON API for schedules and who is on call; escalation policies and pages
are in ``paging_api``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    require_manager,
    require_responder,
    require_viewer,
)
from fireline.core.errors import InvalidInput
from fireline.core.http import safe_url
from fireline.core.ids import RowId
from fireline.core.strict import Moment, Strict
from fireline.oncall import paging_api, schedules
from fireline.oncall.models import Schedule, ScheduleOverride
from fireline.oncall.schedule import Shift
from fireline.people.models import User

router = APIRouter(prefix="/api/v1", tags=["on-call"])
router.include_router(paging_api.router)
MAX_WINDOW = timedelta(days=92)


class PersonOut(BaseModel):
    id: int
    name: str
    email: str


class ShiftOut(BaseModel):
    start: datetime
    end: datetime
    user: PersonOut | None
    source: str


class LayerIn(Strict):
    name: str = Field(default="", max_length=200)
    users: list[str] = Field(min_length=1, max_length=100)
    handoff: str = Field(max_length=32, description="first handoff, local time: 2026-11-02T09:00")
    rotation_length: int = Field(default=1, ge=1, le=1000)
    rotation_unit: str = Field(default="weeks", pattern="^(hours|days|weeks)$")
    restrictions: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    ends_at: datetime | None = None


class LayerOut(BaseModel):
    id: int
    position: int
    name: str
    user_ids: list[int]
    rotation_length: int
    rotation_unit: str
    handoff: str
    restrictions: list[dict[str, Any]]
    # An imported layer: the feed's origin only (the rest of a calendar URL
    # is usually its secret), when it was last read and why the last read failed.
    imported_from: str | None
    imported_at: datetime | None = None
    import_error: str | None = None


class ScheduleIn(Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(max_length=64)
    team: str | None = None
    description: str = Field(default="", max_length=2000)
    layers: list[LayerIn] = Field(default_factory=list, max_length=20)


class ScheduleOut(BaseModel):
    id: int
    slug: str
    name: str
    time_zone: str
    team: str | None
    layers: list[LayerOut]
    on_call_now: PersonOut | None


class OverrideIn(Strict):
    user: str
    starts_at: datetime
    ends_at: datetime
    replaces: str | None = Field(default=None, description="a swap: cover only this person")
    note: str = Field(default="", max_length=500)


class OverrideOut(BaseModel):
    id: int
    user_id: int
    replaces_user_id: int | None
    starts_at: datetime
    ends_at: datetime
    note: str


class TimelineOut(BaseModel):
    schedule: str
    start: datetime
    end: datetime
    layers: list[list[ShiftOut]]
    overrides: list[ShiftOut]
    final: list[ShiftOut]


class OnCallOut(BaseModel):
    schedule: str
    name: str
    at: datetime
    user: PersonOut | None
    until: datetime | None


def _person(user: User | None) -> PersonOut | None:
    return PersonOut(id=user.id, name=user.name, email=user.email) if user else None


def _schedule_out(session: Session, row: Schedule, now: datetime) -> ScheduleOut:
    current = schedules.on_call_at(session, row, now)
    return ScheduleOut(
        id=row.id,
        slug=row.slug,
        name=row.name,
        time_zone=row.time_zone,
        team=row.team.slug if row.team else None,
        layers=[
            LayerOut(
                id=layer.id,
                position=layer.position,
                name=layer.name,
                user_ids=layer.user_ids,
                rotation_length=layer.rotation_length,
                rotation_unit=layer.rotation_unit,
                handoff=layer.handoff,
                restrictions=layer.restrictions,
                imported_from=safe_url(layer.ical_url) if layer.ical_url else None,
                imported_at=layer.imported_at,
                import_error=layer.import_error,
            )
            for layer in row.layers
        ],
        on_call_now=_person(session.get(User, current) if current else None),
    )


@router.get("/schedules", response_model=list[ScheduleOut])
def list_schedules(
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> list[ScheduleOut]:
    rows = session.scalars(select(Schedule).order_by(Schedule.name))
    return [_schedule_out(session, row, now) for row in rows]


@router.post("/schedules", response_model=ScheduleOut, status_code=201)
def create_schedule(
    body: ScheduleIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ScheduleOut:
    row = schedules.create_schedule(
        session,
        actor=principal.actor,
        now=now,
        slug=body.slug,
        name=body.name,
        time_zone=body.time_zone,
        team=body.team,
        description=body.description,
    )
    for n, layer in enumerate(body.layers):
        try:
            schedules.add_layer(
                session,
                actor=principal.actor,
                now=now,
                schedule=row,
                spec=schedules.LayerSpec(**layer.model_dump()),
            )
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"layers[{n}].{exc.field}") from None
    session.commit()
    return _schedule_out(session, row, now)


@router.get("/schedules/{ref}", response_model=ScheduleOut)
def get_schedule(
    ref: str,
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ScheduleOut:
    return _schedule_out(session, schedules.find_schedule(session, ref), now)


@router.post("/schedules/{ref}/layers", response_model=ScheduleOut, status_code=201)
def add_layer(
    ref: str,
    body: LayerIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ScheduleOut:
    row = schedules.find_schedule(session, ref)
    schedules.add_layer(
        session,
        actor=principal.actor,
        now=now,
        schedule=row,
        spec=schedules.LayerSpec(**body.model_dump()),
    )
    session.commit()
    return _schedule_out(session, row, now)


@router.delete("/schedules/{ref}/layers/{layer_id}", status_code=204)
def remove_layer(
    ref: str,
    layer_id: RowId,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    row = schedules.find_schedule(session, ref)
    schedules.remove_layer(session, actor=principal.actor, now=now, schedule=row, layer_id=layer_id)
    session.commit()


@router.post("/schedules/{ref}/overrides", response_model=OverrideOut, status_code=201)
def add_override(
    ref: str,
    body: OverrideIn,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> OverrideOut:
    row = schedules.find_schedule(session, ref)
    override = schedules.add_override(
        session, actor=principal.actor, now=now, schedule=row, **body.model_dump()
    )
    session.commit()
    return _override_out(override)


def _override_out(row: ScheduleOverride) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        user_id=row.user_id,
        replaces_user_id=row.replaces_user_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        note=row.note,
    )


@router.delete("/schedules/{ref}/overrides/{override_id}", status_code=204)
def remove_override(
    ref: str,
    override_id: RowId,
    principal: Principal = Depends(require_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    row = schedules.find_schedule(session, ref)
    schedules.remove_override(
        session, actor=principal.actor, now=now, schedule=row, override_id=override_id
    )
    session.commit()


@router.get("/schedules/{ref}/shifts", response_model=TimelineOut)
def schedule_shifts(
    ref: str,
    start: Moment | None = Query(default=None, description="default: now"),
    end: Moment | None = Query(default=None, description="default: two weeks after start"),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> TimelineOut:
    row = schedules.find_schedule(session, ref)
    start, end = _window(start, end, now)
    timeline = schedules.shifts(session, row, start, end)
    people = schedules.user_names(
        session,
        {s.user_id for s in timeline.final}
        | {s.user_id for s in timeline.overrides}
        | {s.user_id for layer in timeline.layers for s in layer},
    )

    def out(shift: Shift) -> ShiftOut:
        return ShiftOut(
            start=shift.start,
            end=shift.end,
            user=_person(people.get(shift.user_id)),
            source=shift.source.value,
        )

    return TimelineOut(
        schedule=row.slug,
        start=start,
        end=end,
        layers=[[out(s) for s in layer] for layer in timeline.layers],
        overrides=[out(s) for s in timeline.overrides],
        final=[out(s) for s in timeline.final],
    )


def _window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    start = start or now
    end = end or start + schedules.HORIZON
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("times need a UTC offset, e.g. 2026-11-23T09:00:00Z", field="start")
    if end <= start:
        raise InvalidInput("the end must come after the start", field="end")
    if end - start > MAX_WINDOW:
        raise InvalidInput("at most 92 days at once", field="end")
    return start, end


@router.get("/oncall", response_model=list[OnCallOut])
def on_call(
    schedule: str | None = Query(default=None),
    at: Moment | None = Query(default=None, description="default: now"),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> list[OnCallOut]:
    """Who is on call at an instant, for one schedule or all of them."""
    at = at or now
    if at.tzinfo is None:
        raise InvalidInput("the time needs a UTC offset", field="at")
    rows = (
        [schedules.find_schedule(session, schedule)]
        if schedule
        else list(session.scalars(select(Schedule).order_by(Schedule.name)))
    )
    answers = []
    for row in rows:
        final = schedules.shifts(session, row, at, at + schedules.HORIZON).final
        current = final[0] if final and final[0].start <= at else None
        answers.append(
            OnCallOut(
                schedule=row.slug,
                name=row.name,
                at=at,
                user=_person(session.get(User, current.user_id) if current else None),
                until=current.end if current else None,
            )
        )
    return answers
