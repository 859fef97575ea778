"""What a reader asks for (days, a preset, filters), checked and resolved;
shared by the API, the pages and the export so they accept the same things."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from fireline.insights.period import Period, choose_period, parse_day
from fireline.insights.queries import Scope, resolve_scope
from fireline.plan.schema import Plan


@dataclass(frozen=True)
class Asked:
    since: str = ""
    until: str = ""
    preset: str = ""
    team: str = ""
    service: str = ""
    severity: str = ""


def resolve(session: Session, plan: Plan, now: datetime, asked: Asked) -> tuple[Period, Scope]:
    zone = plan.organisation.time_zone
    period = choose_period(
        since=parse_day(asked.since, "since"),
        until=parse_day(asked.until, "until"),
        preset=asked.preset.strip() or None,
        today=now.astimezone(ZoneInfo(zone)).date(),
        zone=zone,
    )
    scope = resolve_scope(
        session, plan, team=asked.team, service=asked.service, severity=asked.severity
    )
    return period, scope
