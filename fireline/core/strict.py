"""The base models for what clients and plan files send: unknown fields are
an error (which field, named), not silently dropped."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A request body."""

    model_config = ConfigDict(extra="forbid")


class StrictDocument(BaseModel):
    """A part of a document read from YAML (the plan, a playbook, a scenario):
    strict, and never changed once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
