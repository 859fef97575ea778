"""The alerts a heartbeat raises when a ping is missed, and clears on the next.

Both share one dedup key per heartbeat, so the recovery resolves exactly the
alert the miss opened, however many checks ran in between."""

from __future__ import annotations

from datetime import UTC, datetime

from fireline.alerts.shape import Action, AlertIn, Severity

ALERTNAME = "HeartbeatMissed"


def dedup_key(heartbeat_id: int) -> str:
    return f"heartbeat-{heartbeat_id}"


def _labels(heartbeat_name: str) -> dict[str, str]:
    return {"alertname": ALERTNAME, "heartbeat": heartbeat_name}


def _utc(moment: datetime) -> datetime:
    # Databases may hand back naive UTC datetimes; the summary says "UTC" either way.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def missed_alert(
    heartbeat_name: str, heartbeat_id: int, last_ping: datetime | None, now: datetime
) -> AlertIn:
    last = _utc(last_ping) if last_ping else None
    since = f"no ping since {last:%Y-%m-%d %H:%M} UTC" if last else "never pinged"
    return AlertIn(
        dedup_key=dedup_key(heartbeat_id),
        action=Action.trigger,
        severity=Severity.critical,
        summary=f"Heartbeat '{heartbeat_name}' missed: {since}",
        source="heartbeat",
        labels=_labels(heartbeat_name),
        starts_at=now,
        raw={"heartbeat": heartbeat_name, "last_ping": last.isoformat() if last else None},
    )


def recovered_alert(
    heartbeat_name: str, heartbeat_id: int, last_ping: datetime | None, now: datetime
) -> AlertIn:
    # Severity is not read on a resolve; info keeps a stray event harmless.
    return AlertIn(
        dedup_key=dedup_key(heartbeat_id),
        action=Action.resolve,
        severity=Severity.info,
        summary=f"Heartbeat '{heartbeat_name}' pinged again",
        source="heartbeat",
        labels=_labels(heartbeat_name),
        ends_at=now,
        raw={"heartbeat": heartbeat_name, "pinged_at": now.isoformat()},
    )
