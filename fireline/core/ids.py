"""Row ids as clients send them: bounded so that no database overflows on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id")]


def as_row_id(ref: str) -> int | None:
    """The id in ``ref`` when it is one, else ``None`` (so it is looked up by name)."""
    if ref.isascii() and ref.isdigit() and 0 < int(ref) <= MAX_ID:
        return int(ref)
    return None
