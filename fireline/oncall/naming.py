"""Slugs the on-call pages keep for themselves."""

from __future__ import annotations

from fireline.core.errors import InvalidInput

# /oncall/schedules/new and /oncall/policies/new are the forms that make one.
RESERVED_SLUGS = frozenset({"new"})


def check_not_reserved(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"'{slug}' is kept for the page that creates one", field="slug")
