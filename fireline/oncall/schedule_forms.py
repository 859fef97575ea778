"""Reading the schedule forms: a rotation layer (people in turn order, the
rotation, the first handoff, an optional weekly window) and the days the
timeline shows.

The use cases check the values; what is read here is only what a form
cannot say the way an API client would: several pickers for one list,
checkboxes for weekdays, blank inputs for "not given".
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from fireline.core.errors import InvalidInput
from fireline.oncall import schedules
from fireline.oncall.schedules import HANDOFF_YEARS
from fireline.oncall.view_kit import chosen_users, text, values_of, whole_number
from fireline.oncall.wallclock import instant, wall_clock

WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
UNITS = ("hours", "days", "weeks")
PEOPLE_SLOTS = 8  # pickers on the layer form; a longer rotation is made through the API
WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 92
YEARS = HANDOFF_YEARS
LAYER_FIELDS = (
    "layer_name",
    "rotation_length",
    "rotation_unit",
    "handoff",
    "restriction_start",
    "restriction_end",
)
# The use cases name the fields of their own input; the form calls them this.
LAYER_INPUTS = {
    "users": "people",
    "people": "people",
    "rotation.length": "rotation_length",
    "rotation.unit": "rotation_unit",
    "start": "handoff",
    "end": "handoff",
    "restrictions[0].days": "restriction_days",
    "restrictions[0].start": "restriction_start",
    "restrictions[0].end": "restriction_end",
}


@functools.cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


def layer_spec(session: Session, form: FormData) -> schedules.LayerSpec:
    """The layer the form describes: people in turn order, the rotation, the
    first handoff and an optional weekly window."""
    users = chosen_users(session, form, "people")
    unit = text(form, "rotation_unit", 40) or "weeks"
    if unit not in UNITS:
        raise InvalidInput("expected hours, days or weeks", field="rotation_unit")
    return schedules.LayerSpec(
        name=text(form, "layer_name", 200),
        users=users,
        handoff=text(form, "handoff", 32),
        rotation_length=whole_number(form, "rotation_length", 1, 1000, default=1) or 1,
        rotation_unit=unit,
        restrictions=_restrictions(form),
    )


def _restrictions(form: FormData) -> list[dict[str, Any]]:
    days = []
    for value in form.getlist("restriction_days"):
        if value not in {str(number) for number, _ in WEEKDAYS}:
            raise InvalidInput("expected weekdays Monday to Sunday", field="restriction_days")
        days.append(int(str(value)))
    opens, closes = text(form, "restriction_start", 20), text(form, "restriction_end", 20)
    if not (days or opens or closes):
        return []  # on call around the clock
    window: dict[str, Any] = {"start": opens, "end": closes}
    if days:
        window["days"] = days
    return [window]


def layer_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = values_of(form, LAYER_FIELDS)
    values["people"] = [str(v) for v in form.getlist("people")]
    values["restriction_days"] = [str(v) for v in form.getlist("restriction_days")]
    return values


def layer_defaults(now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    nine = wall_clock(now, zone).replace(hour=9, minute=0, second=0, microsecond=0)
    return {"rotation_length": "1", "rotation_unit": "weeks", "handoff": nine.isoformat()[:16]}


def window_of(start: str, end: str, zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    """The first and last day shown (both included): two weeks from today by default."""
    first = _day(start, "start") or wall_clock(now, zone).date()
    last = _day(end, "end") or first + timedelta(days=WINDOW_DAYS - 1)
    if last < first:
        raise InvalidInput("the last day must not come before the first", field="end")
    if (last - first).days >= MAX_WINDOW_DAYS:
        raise InvalidInput(f"at most {MAX_WINDOW_DAYS} days at once", field="end")
    return first, last


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value[:40]).date()
    except ValueError:
        raise InvalidInput("expected a date like 2026-11-23", field=field) from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise InvalidInput(f"expected a year from {YEARS[0]} to {YEARS[1]}", field=field)
    return day


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return instant(datetime.combine(day, time()), zone)
