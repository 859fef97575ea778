"""The base models for what clients and plan files send: unknown fields are
an error (which field, named), not silently dropped."""

from __future__ import annotations

from typing import TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

T = TypeVar("T")


class Strict(BaseModel):
    """A request body."""

    model_config = ConfigDict(extra="forbid")


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
