"""Schedule pages: the new-schedule form, and each schedule's timeline with
its layers, overrides and the forms that change them.

Writes go through ``fireline.oncall.schedules``, as the JSON API's do; times
typed into the forms are wall-clock readings in the schedule's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import RowId
from fireline.oncall import schedules
from fireline.oncall import timeline_bars as layout
from fireline.oncall.models import Schedule, ScheduleLayer, ScheduleOverride
from fireline.oncall.schedule import Shift, Source
from fireline.oncall.schedule_forms import (
    LAYER_INPUTS,
    PEOPLE_SLOTS,
    UNITS,
    WEEKDAYS,
    layer_defaults,
    layer_form,
    layer_spec,
    midnight,
    time_zones,
    window_of,
)
from fireline.oncall.view_kit import (
    chosen_user,
    failed,
    local_moment,
    local_text,
    not_found,
    page,
    page_responder,
    people,
    posted,
    see,
    teams,
    text,
    unreachable,
    values_of,
    zone_of,
)
from fireline.web.pages import page_manager, page_viewer

router = APIRouter(prefix="/schedules", include_in_schema=False)

SCHEDULE_FIELDS = ("slug", "name", "time_zone", "team", "description")
OVERRIDE_FIELDS = ("user", "starts_at", "ends_at", "replaces", "note")


# --- what the schedule page shows --------------------------------------------------


def current_shift(session: Session, schedule: Schedule, now: datetime) -> Shift | None:
    """The shift on now, with its real end (up to two weeks ahead)."""
    final = schedules.shifts(session, schedule, now, now + schedules.HORIZON).final
    return final[0] if final and final[0].start <= now else None


def _days_text(days: list[int]) -> str:
    """ISO weekdays as runs: "Mon-Fri" (with an en dash), "Sat, Sun", "Mon, Wed-Fri"."""
    names = dict(WEEKDAYS)
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}"
        for run in runs
        if run[0] in names and run[-1] in names
    )


def layer_facts(layer: ScheduleLayer, names: Mapping[int, str]) -> dict[str, Any]:
    unit = layer.rotation_unit[:-1] if layer.rotation_length == 1 else layer.rotation_unit
    try:
        handoff = datetime.fromisoformat(layer.handoff).strftime("%a %d %b %Y %H:%M")
    except ValueError:
        handoff = layer.handoff
    return {
        "id": layer.id,
        "name": layer.name,
        "people": [names.get(uid, f"user {uid}") for uid in layer.user_ids],
        "rotation": f"every {layer.rotation_length} {unit}",
        "handoff": handoff,
        "restrictions": [
            f"{_days_text(list(r.get('days', [])))} {r.get('start')}–{r.get('end')}"
            for r in layer.restrictions
        ],
        "ends_at": layer.ends_at,
        # Only the host: a feed's URL usually holds a secret token.
        "feed": (urlsplit(layer.ical_url).hostname or "a calendar") if layer.ical_url else None,
        "imported_at": layer.imported_at,
        "import_error": layer.import_error,
    }


def _timeline(
    session: Session, schedule: Schedule, start: datetime, end: datetime, names: dict[int, str]
) -> dict[str, Any]:
    zone = zone_of(schedule.time_zone)
    timeline = schedules.shifts(session, schedule, start, end)
    everyone = {
        s.user_id for row in (*timeline.layers, timeline.overrides, timeline.final) for s in row
    }
    names.update({uid: u.name for uid, u in schedules.user_names(session, everyone).items()})
    # Swaps exist only in the final row; shown beside the overrides, they say why it differs.
    covers = sorted(
        [*timeline.overrides, *(s for s in timeline.final if s.source == Source.swap)],
        key=lambda s: s.start,
    )
    rows = [
        (layer.name, layout.bars(shifts, start, end, zone, names))
        for layer, shifts in zip(schedule.layers, timeline.layers, strict=True)
    ]
    return {
        "rows": rows,
        "covers": layout.bars(covers, start, end, zone, names),
        "final": layout.bars(timeline.final, start, end, zone, names),
        "final_shifts": timeline.final,
        "ticks": layout.day_ticks(start, end, zone),
    }


def _schedule_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    schedule: Schedule,
    *,
    start: str = "",
    end: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    zone = zone_of(schedule.time_zone)
    try:
        first, last = window_of(start, end, zone, now)
    except InvalidInput as exc:
        extra = {**failed(exc, "range"), **extra}
        first, last = window_of("", "", zone, now)
    window = (midnight(first, zone), midnight(last + timedelta(days=1), zone))
    overrides = list(
        session.scalars(
            select(ScheduleOverride)
            .where(ScheduleOverride.schedule_id == schedule.id, ScheduleOverride.ends_at > now)
            .order_by(ScheduleOverride.starts_at, ScheduleOverride.id)
        )
    )
    layer_people = {uid for layer in schedule.layers for uid in layer.user_ids}
    involved = layer_people | {o.user_id for o in overrides}
    involved |= {o.replaces_user_id for o in overrides if o.replaces_user_id}
    users = schedules.user_names(session, involved)
    names = {uid: user.name for uid, user in users.items()}
    timeline = _timeline(session, schedule, *window, names)
    current = current_shift(session, schedule, now)
    span = last - first + timedelta(days=1)
    context = {
        "title": schedule.name,
        "schedule": schedule,
        "zone": zone,
        "first": first,
        "last": last,
        "earlier": f"?start={first - span}&end={last - span}",
        "later": f"?start={first + span}&end={last + span}",
        "range_form": {"start": start or first.isoformat(), "end": end or last.isoformat()},
        "now_at": layout.marker(now, *window),
        "current": current,
        "current_until_horizon": current is not None and current.end >= now + schedules.HORIZON,
        "layers": [layer_facts(layer, names) for layer in schedule.layers],
        "overrides": overrides,
        "names": names,
        "warnings": unreachable(session, users.values()),
        "people": people(session),
        "weekdays": WEEKDAYS,
        "units": UNITS,
        "slots": range(PEOPLE_SLOTS),
        "override_form": {},
        "layer_form": layer_defaults(now, zone),
        "local": lambda moment: local_text(moment, zone),
        **timeline,
        **extra,
    }
    return page(request, principal, now, "oncall/schedule.html", context, status=status)


def _schedule(session: Session, principal: Principal, slug: str) -> Schedule:
    try:
        return schedules.find_schedule(session, slug)
    except NotFound as exc:
        raise not_found(principal, exc) from None


# --- a new schedule ----------------------------------------------------------------


def _new_form(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    zone = zone_of(principal.time_zone)
    context = {
        "title": "New schedule",
        "form": {"time_zone": zone.key},
        "layer_form": layer_defaults(now, zone),
        "time_zones": time_zones(),
        "teams": teams(session),
        "people": people(session),
        "weekdays": WEEKDAYS,
        "units": UNITS,
        "slots": range(PEOPLE_SLOTS),
        **extra,
    }
    return page(request, principal, now, "oncall/schedule_new.html", context, status=status)


@router.get("/new")
def new_schedule_form(
    request: Request,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _new_form(request, principal, session, now)


@router.post("/new")
def create_schedule(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        spec = layer_spec(session, form)
        team = text(form, "team", 64)
        try:
            row = schedules.create_schedule(
                session,
                actor=principal.actor,
                now=now,
                slug=text(form, "slug", 64),
                name=text(form, "name", 200),
                time_zone=text(form, "time_zone", 64),
                team=team or None,
                description=text(form, "description", 2000),
            )
        except NotFound as exc:  # the only lookup is the team's
            raise InvalidInput(exc.message, field="team") from None
        schedules.add_layer(session, actor=principal.actor, now=now, schedule=row, spec=spec)
    except AppError as exc:
        session.rollback()
        return _new_form(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=values_of(form, SCHEDULE_FIELDS),
            layer_form=layer_form(form),
            **failed(exc, "schedule", "slug", LAYER_INPUTS),
        )
    session.commit()
    return see(f"/oncall/schedules/{row.slug}")


# --- one schedule -----------------------------------------------------------------


@router.get("/{slug}")
def schedule_page(
    request: Request,
    slug: str,
    start: str = Query(default=""),
    end: str = Query(default=""),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedule = _schedule(session, principal, slug)
    return _schedule_page(request, principal, session, now, schedule, start=start, end=end)


@router.post("/{slug}/layers")
def add_layer(
    request: Request,
    slug: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedule = _schedule(session, principal, slug)
    try:
        spec = layer_spec(session, form)
        schedules.add_layer(session, actor=principal.actor, now=now, schedule=schedule, spec=spec)
    except AppError as exc:
        session.rollback()
        schedule = _schedule(session, principal, slug)
        return _schedule_page(
            request,
            principal,
            session,
            now,
            schedule,
            status=exc.status,
            layer_form=layer_form(form),
            **failed(exc, "layer", "people", LAYER_INPUTS),
        )
    session.commit()
    return see(f"/oncall/schedules/{schedule.slug}")


@router.post("/{slug}/layers/{layer_id}/remove")
def remove_layer(
    slug: str,
    layer_id: RowId,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedule = _schedule(session, principal, slug)
    try:
        schedules.remove_layer(
            session, actor=principal.actor, now=now, schedule=schedule, layer_id=layer_id
        )
    except NotFound as exc:
        raise not_found(principal, exc) from None
    session.commit()
    return see(f"/oncall/schedules/{schedule.slug}")


@router.post("/{slug}/overrides")
def add_override(
    request: Request,
    slug: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedule = _schedule(session, principal, slug)
    zone = zone_of(schedule.time_zone)
    try:
        user = chosen_user(session, form, "user")
        replaces = chosen_user(session, form, "replaces", required=False)
        starts_at = local_moment(form, "starts_at", zone)
        ends_at = local_moment(form, "ends_at", zone)
        if starts_at is None:
            raise InvalidInput("say when the cover starts", field="starts_at")
        if ends_at is None:
            raise InvalidInput("say when the cover ends", field="ends_at")
        schedules.add_override(
            session,
            actor=principal.actor,
            now=now,
            schedule=schedule,
            user=user,
            starts_at=starts_at,
            ends_at=ends_at,
            replaces=replaces or None,
            note=text(form, "note", 500),
        )
    except AppError as exc:
        session.rollback()
        schedule = _schedule(session, principal, slug)
        return _schedule_page(
            request,
            principal,
            session,
            now,
            schedule,
            status=exc.status,
            override_form=values_of(form, OVERRIDE_FIELDS),
            **failed(exc, "override", "user"),
        )
    session.commit()
    return see(f"/oncall/schedules/{schedule.slug}")


@router.post("/{slug}/overrides/{override_id}/remove")
def remove_override(
    slug: str,
    override_id: RowId,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    schedule = _schedule(session, principal, slug)
    try:
        schedules.remove_override(
            session, actor=principal.actor, now=now, schedule=schedule, override_id=override_id
        )
    except NotFound as exc:
        raise not_found(principal, exc) from None
    session.commit()
    return see(f"/oncall/schedules/{schedule.slug}")
