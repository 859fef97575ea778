"""The base models for what clients and plan files send: unknown fields are
an error (which field, named), not silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from fireline.core.errors import InvalidInput

T = TypeVar("T")


CALENDAR = "a moment in the years 1 to 9999 once turned into UTC"
# A time without an offset is read in some time zone later; none is further
# than this from UTC.
_FURTHEST_ZONE = timedelta(hours=14)


def outside_the_calendar(moment: datetime) -> bool:
    """Whether ``moment`` leaves the years 1-9999 once turned into UTC, as
    fireline keeps it (0001-01-01T00:00+14:00 is in the year 0). A moment
    without an offset is judged for every zone it could be read in."""
    if moment.tzinfo is None:
        return not datetime.min + _FURTHEST_ZONE <= moment <= datetime.max - _FURTHEST_ZONE
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return True
    return False


def keepable(moment: datetime) -> datetime:
    """Refused here, a moment outside the calendar is a 422 naming its
    field; found while storing it, it could only be a generic one."""
    if outside_the_calendar(moment):
        raise PydanticCustomError("datetime_range", CALENDAR)
    return moment


def keepable_input(moment: datetime, field: str) -> datetime:
    """The same for a form's field."""
    if outside_the_calendar(moment):
        raise InvalidInput(CALENDAR, field=field)
    return moment


Moment = Annotated[datetime, AfterValidator(keepable)]
"""A date and time a client sends outside a :class:`Strict` body (a query parameter)."""


class Strict(BaseModel):
    """A request body. Its dates and times, at any depth of Strict models,
    are ones fireline can keep."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _keepable_moments(cls, value: Any) -> Any:
        return keepable(value) if isinstance(value, datetime) else value


class StrictDocument(BaseModel):
    """A part of a document read from YAML (the plan, a playbook, a scenario):
    strict, and never changed once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_null(value: T) -> T:
    if value is None:
        raise PydanticCustomError(
            "null", "leave the field out to keep it as it is; null is no value here"
        )
    return value


NotNull = AfterValidator(_not_null)
"""For a partial update's field that may be left out but not set to null:
``Annotated[str | None, NotNull]``. Defaults are not validated, so a field
left out stays ``None``, and an explicit null is a 422 naming the field."""
