"""SLA durations as a plan writes them: ``15m``, ``4h``, ``2d``, ``next business day``, ``best effort``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

_PATTERN = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}
NEXT_BUSINESS_DAY = "next business day"
BEST_EFFORT = "best effort"
EXPECTED = 'expected a duration like 15m, 4h, 1d, "next business day" or "best effort"'


@dataclass(frozen=True)
class Duration:
    """Either a number of minutes, the close of the next business day, or no target."""

    minutes: int | None = None
    next_business_day: bool = False

    @property
    def span(self) -> timedelta | None:
        """The fixed length, or None for "next business day" and "best effort"."""
        return None if self.minutes is None else timedelta(minutes=self.minutes)

    @property
    def best_effort(self) -> bool:
        return self.minutes is None and not self.next_business_day

    def __str__(self) -> str:
        if self.next_business_day:
            return NEXT_BUSINESS_DAY
        if self.minutes is None:
            return BEST_EFFORT
        for unit, size in (("d", 1440), ("h", 60)):
            if self.minutes % size == 0:
                return f"{self.minutes // size}{unit}"
        return f"{self.minutes}m"

    @classmethod
    def parse(cls, value: object) -> Duration:
        if isinstance(value, Duration):
            return value
        if not isinstance(value, str):
            raise PydanticCustomError("duration", EXPECTED)
        text = " ".join(value.lower().split())
        if text == NEXT_BUSINESS_DAY:
            return cls(next_business_day=True)
        if text == BEST_EFFORT:
            return cls()
        match = _PATTERN.match(text)
        if not match or int(match.group(1)) == 0:
            raise PydanticCustomError("duration", EXPECTED)
        return cls(minutes=int(match.group(1)) * _UNIT_MINUTES[match.group(2)[0].lower()])

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            # Lets Plan.model_json_schema() describe the field for editors and API docs.
            json_schema_input_schema=core_schema.str_schema(),
        )
