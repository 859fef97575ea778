"""JSON API for the on-call load report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from fireline.core.deps import Principal, get_now, get_session, require_viewer
from fireline.oncall import load, load_report

router = APIRouter(prefix="/api/v1", tags=["on-call"])
DEFAULT_WEEKS = 4


class PersonOut(BaseModel):
    id: int
    name: str
    email: str


class CountsOut(BaseModel):
    pages: int
    notifications: int
    off_hours: int
    sleep_hours: int
    hours_on_call: float

    @classmethod
    def of(cls, counts: load.Counts) -> CountsOut:
        return cls(
            pages=counts.pages,
            notifications=counts.notifications,
            off_hours=counts.off_hours,
            sleep_hours=counts.sleep_hours,
            hours_on_call=round(counts.hours_on_call, 2),
        )


class WeekOut(CountsOut):
    week: str
    start: datetime
    end: datetime


class PersonLoadOut(BaseModel):
    user: PersonOut
    time_zone: str
    total: CountsOut
    weeks: list[WeekOut]


class LoadOut(BaseModel):
    start: date
    end: date
    team: str | None
    people: list[PersonLoadOut]


def default_days(today: date, weeks: int = DEFAULT_WEEKS) -> tuple[date, date]:
    """This week so far and the ``weeks - 1`` whole weeks before it."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks - 1), today + timedelta(days=1)


@router.get("/oncall/load", response_model=LoadOut)
def oncall_load(
    start: date | None = Query(
        default=None, description="first day (YYYY-MM-DD), in each person's own time zone"
    ),
    end: date | None = Query(default=None, description="the day after the last one"),
    team: str | None = Query(default=None, description="only this team's members"),
    _: Principal = Depends(require_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> LoadOut:
    """Pages, notifications (off-hours, sleep hours) and hours on call, per person and ISO week.

    Default: this week and the three before it."""
    default_start, default_end = default_days(now.date())
    report = load_report.load_report(
        session, first=start or default_start, last=end or default_end, team_ref=team
    )
    return LoadOut(
        start=report.first,
        end=report.last,
        team=report.team.slug if report.team else None,
        people=[
            PersonLoadOut(
                user=PersonOut(id=user.id, name=user.name, email=user.email),
                time_zone=person.time_zone,
                total=CountsOut.of(person.total),
                weeks=[
                    WeekOut(
                        week=week.label,
                        start=week.start,
                        end=week.end,
                        **CountsOut.of(week.counts).model_dump(),
                    )
                    for week in person.weeks
                ],
            )
            for user, person in report.people
        ],
    )
