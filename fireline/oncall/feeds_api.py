"""iCalendar in and out: secret feed URLs for schedules and for one's own
shifts, the public ``/calendar/{token}.ics`` they point at, and importing
another calendar as a schedule layer."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from fireline.core.config import Settings
from fireline.core.deps import (
    Principal,
    get_now,
    get_session,
    get_settings_dep,
    require_manager,
    require_viewer,
)
from fireline.core.errors import InvalidInput, NotFound
from fireline.core.http import safe_url
from fireline.core.ids import RowId
from fireline.core.strict import Strict
from fireline.oncall import feed_content, feed_fetch, feed_import, feeds, schedules
from fireline.oncall.ical import FeedImport
from fireline.oncall.models import CalendarFeed, Schedule, ScheduleLayer
from fireline.people.models import User

router = APIRouter(tags=["on-call"])
# Calendar apps poll on their own timetable (often hourly or slower); this
# only stops a busy client from asking again within minutes.
CACHE_CONTROL = "private, max-age=300"
MAX_WARNINGS_SHOWN = 200


class FeedOut(BaseModel):
    id: int
    schedule: str | None
    user_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: CalendarFeed, schedule: Schedule | None = None) -> FeedOut:
        return cls(
            id=row.id,
            schedule=schedule.slug if schedule else None,
            user_id=row.user_id,
            created_at=row.created_at,
        )


class NewFeedOut(FeedOut):
    url: str = Field(description="the secret URL; shown only now")


def _base_url(request: Request, settings: Settings) -> str:
    return settings.base_url or str(request.base_url)


def _me(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("your account is gone")
    return user


class NewFeedIn(Strict):
    """Nothing to choose yet: the body is an empty object."""


@router.post("/api/v1/schedules/{ref}/calendar-feeds", response_model=NewFeedOut, status_code=201)
def create_schedule_feed(
    ref: str,
    request: Request,
    _body: NewFeedIn,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> NewFeedOut:
    """A secret iCalendar URL showing who is on call for the schedule."""
    schedule = schedules.find_schedule(session, ref)
    issued = feeds.create_schedule_feed(session, actor=principal.actor, now=now, schedule=schedule)
    session.commit()
    return NewFeedOut(
        **FeedOut.of(issued.row, schedule).model_dump(),
        url=feeds.feed_url(_base_url(request, settings), issued.token),
    )


@router.get("/api/v1/schedules/{ref}/calendar-feeds", response_model=list[FeedOut])
def list_schedule_feeds(
    ref: str,
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
) -> list[FeedOut]:
    schedule = schedules.find_schedule(session, ref)
    return [
        FeedOut.of(row, schedule) for row in feeds.active_feeds(session, schedule_id=schedule.id)
    ]


@router.delete("/api/v1/schedules/{ref}/calendar-feeds/{feed_id}", status_code=204)
def revoke_schedule_feed(
    ref: str,
    feed_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    schedule = schedules.find_schedule(session, ref)
    feed = feeds.find_feed(session, feed_id, schedule_id=schedule.id)
    feeds.revoke_feed(session, actor=principal.actor, now=now, feed=feed)
    session.commit()


@router.post("/api/v1/me/calendar-feeds", response_model=NewFeedOut, status_code=201)
def create_my_feed(
    request: Request,
    _body: NewFeedIn,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> NewFeedOut:
    """A secret iCalendar URL with your own shifts on every schedule."""
    issued = feeds.create_person_feed(
        session, actor=principal.actor, now=now, user=_me(session, principal)
    )
    session.commit()
    return NewFeedOut(
        **FeedOut.of(issued.row).model_dump(),
        url=feeds.feed_url(_base_url(request, settings), issued.token),
    )


@router.get("/api/v1/me/calendar-feeds", response_model=list[FeedOut])
def list_my_feeds(
    principal: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[FeedOut]:
    return [FeedOut.of(row) for row in feeds.active_feeds(session, user_id=principal.user_id)]


@router.delete("/api/v1/me/calendar-feeds/{feed_id}", status_code=204)
def revoke_my_feed(
    feed_id: RowId,
    principal: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> None:
    feed = feeds.find_feed(session, feed_id, user_id=principal.user_id)
    feeds.revoke_feed(session, actor=principal.actor, now=now, feed=feed)
    session.commit()


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 304: {}, 404: {}},
)
def calendar(
    token: str,
    request: Request,
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """An iCalendar feed, for calendar apps: no login, the URL is the secret."""
    feed = feeds.feed_for_token(session, token)
    if feed is None:
        # The same answer for a token that never existed and one revoked.
        raise NotFound("no such calendar")
    body = feeds.render(session, feed, now)
    tag = feed_content.etag(body)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if feed_content.not_modified(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="on-call.ics"'},
    )


# --- importing a feed as a layer ---------------------------------------------------


class ImportIn(Strict):
    url: str = Field(max_length=feed_fetch.MAX_URL_LENGTH, description="http(s) or webcal URL")
    name: str = Field(default="", max_length=200)


class FeedWarningOut(BaseModel):
    uid: str
    summary: str
    message: str


class ImportedLayerOut(BaseModel):
    id: int
    position: int
    name: str
    user_ids: list[int]
    imported_from: str = Field(description="the feed's origin; the rest of its URL is secret")
    imported_at: datetime | None
    import_error: str | None
    shifts: int


class ImportOut(BaseModel):
    schedule: str
    layer: ImportedLayerOut
    warnings: list[FeedWarningOut] = Field(description="events that were skipped, and why")
    warnings_total: int


@router.post("/api/v1/schedules/{ref}/layers/import", response_model=ImportOut, status_code=201)
def import_layer(
    ref: str,
    body: ImportIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    settings: Settings = Depends(get_settings_dep),
) -> ImportOut:
    """Add a layer whose shifts come from another calendar; it is read again every 15 minutes."""
    try:
        url = feed_fetch.check_url(body.url)
        schedule = schedules.find_schedule(session, ref)
        feed_import.check_not_imported(schedule, url)
        # Read now rather than by a job: whoever adds a feed needs to know at
        # once whether the URL works and which events matched nobody. The
        # transaction ends first: on SQLite it holds the one write lock, which
        # nobody should wait on for a slow calendar server.
        session.commit()
        data = feed_fetch.fetch(url, allow_private=settings.outbound_allow_private)
        schedule = schedules.find_schedule(session, ref)  # it may have gone meanwhile
        feed = feed_import.read(session, data, time_zone=schedule.time_zone, now=now)
    except feed_fetch.FetchFailed as exc:
        raise InvalidInput(exc.message, field="url") from None
    layer = feed_import.add_imported_layer(
        session,
        actor=principal.actor,
        now=now,
        schedule=schedule,
        url=url,
        name=body.name,
        feed=feed,
    )
    session.commit()
    return _import_out(schedule, layer, feed)


def _import_out(schedule: Schedule, layer: ScheduleLayer, feed: FeedImport) -> ImportOut:
    return ImportOut(
        schedule=schedule.slug,
        layer=ImportedLayerOut(
            id=layer.id,
            position=layer.position,
            name=layer.name,
            user_ids=layer.user_ids,
            imported_from=safe_url(layer.ical_url or ""),
            imported_at=layer.imported_at,
            import_error=layer.import_error,
            shifts=len(layer.imported_shifts),
        ),
        warnings=[
            FeedWarningOut(uid=w.uid, summary=w.summary, message=w.message)
            for w in feed.warnings[:MAX_WARNINGS_SHOWN]
        ],
        warnings_total=len(feed.warnings),
    )
