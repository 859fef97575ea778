"""The alerts a heartbeat raises when a ping is missed, and clears on the next."""

from __future__ import annotations

from datetime import datetime

from fireline.alerts.shape import Action, AlertIn, Severity


def _key(heartbeat_id: int) -> str:
    return f"heartbeat-{heartbeat_id}"


def missed_alert(
    name: str, heartbeat_id: int, last_ping: datetime | None, now: datetime
) -> AlertIn:
    since = f"no ping since {last_ping:%Y-%m-%d %H:%M UTC}" if last_ping else "never pinged"
    return AlertIn(
        dedup_key=_key(heartbeat_id),
        action=Action.trigger,
        severity=Severity.critical,
        summary=f"Heartbeat '{name}' missed: {since}",
        source="heartbeat",
        labels={"alertname": "HeartbeatMissed", "heartbeat": name},
        starts_at=now,
        raw={"heartbeat": name, "last_ping": last_ping.isoformat() if last_ping else None},
    )


def recovered_alert(
    name: str, heartbeat_id: int, last_ping: datetime | None, now: datetime
) -> AlertIn:
    return AlertIn(
        dedup_key=_key(heartbeat_id),
        action=Action.resolve,
        severity=Severity.info,
        summary=f"Heartbeat '{name}' pinged again",
        source="heartbeat",
        labels={"alertname": "HeartbeatMissed", "heartbeat": name},
        ends_at=now,
        raw={"heartbeat": name, "pinged_at": now.isoformat()},
    )
