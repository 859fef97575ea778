"""When the next stakeholder update of an incident is due. Pure: the caller
passes the times and ``now``.

The clock starts when the incident is declared and starts again with every
update; a severity whose ``update_every`` is best effort has no cadence. A
closed or resolved incident owes nobody an update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Cadence:
    every: timedelta | None
    due_at: datetime | None  # None: no update is owed
    overdue: bool


def cadence(
    *,
    every: timedelta | None,
    declared_at: datetime,
    last_update_at: datetime | None,
    is_open: bool,
    now: datetime,
) -> Cadence:
    if every is None or not is_open:
        return Cadence(every, None, False)
    due = max(declared_at, last_update_at or declared_at) + every
    return Cadence(every, due, now >= due)
