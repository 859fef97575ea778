"""Use cases for integrations and alert groups (routing rules are in ``rules``,
silences and maintenance windows in ``silences``). One transaction per use
case; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts.heartbeats import deadline, schedule_check
from fireline.alerts.keys import hash_key, new_key
from fireline.alerts.models import (
    GROUP_REF_PREFIX,
    OPEN_ALERT,
    Alert,
    AlertGroup,
    AlertGroupEvent,
    Heartbeat,
    Integration,
)
from fireline.alerts.shape import SourceError
from fireline.alerts.sources import generic
from fireline.catalog.service import find_service
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.oncall import paging

KINDS = ("alertmanager", "grafana", "pagerduty", "generic", "heartbeat", "change")
# Upper bounds: beyond them a value is a typo, and past 2**31 PostgreSQL's
# integer columns refuse it (or, for a heartbeat, the date overflows).
YEAR_MINUTES = 365 * 24 * 60
YEAR_SECONDS = YEAR_MINUTES * 60
MIN_HEARTBEAT_SECONDS = 10
MAX_RATE_PER_MINUTE = 1_000_000
# Quiet periods after which an alert not seen again resolves by itself.
# Alertmanager and Grafana repeat firing alerts (every 4 hours by default), so
# a day of silence means the rule is gone; generic webhooks often never send a
# resolve at all. PagerDuty clients resolve explicitly, as PagerDuty expects.
DEFAULT_QUIET_MINUTES = {"alertmanager": 24 * 60, "grafana": 24 * 60, "generic": 4 * 60}


# --- integrations -------------------------------------------------------------


@dataclass
class IntegrationSpec:
    service: str
    kind: str
    name: str = ""
    group_by: Sequence[str] = ()
    mapping: dict[str, Any] | None = None
    auto_resolve_minutes: int | None = None
    rate_limit_per_minute: int | None = None
    heartbeat_period_seconds: int | None = None
    heartbeat_grace_seconds: int | None = None


def create_integration(
    session: Session, *, actor: Actor, now: datetime, spec: IntegrationSpec
) -> tuple[Integration, str]:
    """A new integration and its key, which is shown this once."""
    if spec.kind not in KINDS:
        raise InvalidInput(f"expected one of {', '.join(KINDS)}", field="kind")
    service = find_service(session, spec.service)
    mapping = _check_mapping(spec.kind, spec.mapping)
    group_by = _check_group_by(spec.group_by)
    _check_quiet_minutes(spec.auto_resolve_minutes)
    if spec.rate_limit_per_minute is not None:
        _check_rate(spec.rate_limit_per_minute)
    key = new_key()
    row = Integration(
        service_id=service.id,
        kind=spec.kind,
        name=(spec.name or f"{service.slug} {spec.kind}").strip()[:200],
        key_hash=hash_key(key),
        key_hint=key[-4:],
        group_by=group_by,
        mapping=mapping,
        auto_resolve_minutes=(
            spec.auto_resolve_minutes
            if spec.auto_resolve_minutes is not None
            else DEFAULT_QUIET_MINUTES.get(spec.kind)
        ),
        created_at=now,
    )
    if spec.rate_limit_per_minute is not None:
        row.rate_limit_per_minute = spec.rate_limit_per_minute
    session.add(row)
    session.flush()
    if spec.kind == "heartbeat":
        _add_heartbeat(session, row, spec, now)
    audit.record(
        session,
        actor=actor,
        action="integration.created",
        object_type="integration",
        object_id=row.id,
        changes={"service": service.slug, "kind": spec.kind, "name": row.name},
        now=now,
    )
    return row, key


def _add_heartbeat(
    session: Session, integration: Integration, spec: IntegrationSpec, now: datetime
) -> None:
    period = spec.heartbeat_period_seconds or 300
    grace = spec.heartbeat_grace_seconds if spec.heartbeat_grace_seconds is not None else 60
    check_within(
        period,
        MIN_HEARTBEAT_SECONDS,
        YEAR_SECONDS,
        f"expected {MIN_HEARTBEAT_SECONDS} seconds to a year",
        "heartbeat_period_seconds",
    )
    check_within(grace, 0, YEAR_SECONDS, "expected 0 seconds to a year", "heartbeat_grace_seconds")
    heartbeat = Heartbeat(
        integration_id=integration.id, period_seconds=period, grace_seconds=grace, status="new"
    )
    heartbeat.due_at = deadline(heartbeat, now)
    session.add(heartbeat)
    session.flush()
    schedule_check(session, heartbeat, now)


def _check_quiet_minutes(value: int | None) -> int | None:
    if value is not None:
        message = "expected 1 minute to a year (525600), or nothing"
        check_within(value, 1, YEAR_MINUTES, message, "auto_resolve_minutes")
    return value


def _check_rate(value: int | None) -> int:
    message = f"expected 0 (no limit) to {MAX_RATE_PER_MINUTE:,}"
    return check_within(value, 0, MAX_RATE_PER_MINUTE, message, "rate_limit_per_minute")


def check_within(value: int | None, low: int, high: int, message: str, field: str) -> int:
    if value is None or not low <= value <= high:
        raise InvalidInput(message, field=field)
    return value


def _check_mapping(kind: str, mapping: dict[str, Any] | None) -> dict[str, Any]:
    if kind != "generic":
        if mapping:
            raise InvalidInput("only generic integrations take a mapping", field="mapping")
        return {}
    try:
        generic.compile_mapping(mapping or {})
    except SourceError as exc:
        raise InvalidInput(exc.message, field=exc.field or "mapping") from None
    return dict(mapping or {})


def _check_group_by(labels: Sequence[str]) -> list[str]:
    clean = [label.strip() for label in labels if label.strip()]
    for label in clean:
        if len(label) > 200:
            raise InvalidInput("label names are at most 200 characters", field="group_by")
    return clean


def find_integration(session: Session, ref: str | int) -> Integration:
    row = session.get(Integration, as_row_id(str(ref)) or -1)
    if row is None:
        raise NotFound(f"no integration {ref}")
    return row


def rotate_key(session: Session, *, actor: Actor, now: datetime, integration: Integration) -> str:
    if integration.revoked_at is not None:
        raise Conflict("a revoked integration cannot get a new key")
    key = new_key()
    integration.key_hash = hash_key(key)
    integration.key_hint = key[-4:]
    integration.rotated_at = now
    audit.record(
        session,
        actor=actor,
        action="integration.key_rotated",
        object_type="integration",
        object_id=integration.id,
        changes={},
        now=now,
    )
    return key


def revoke(session: Session, *, actor: Actor, now: datetime, integration: Integration) -> None:
    if integration.revoked_at is None:
        integration.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action="integration.revoked",
            object_type="integration",
            object_id=integration.id,
            changes={},
            now=now,
        )


def update_integration(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    integration: Integration,
    changes: dict[str, Any],
) -> None:
    if "group_by" in changes:
        integration.group_by = _check_group_by(changes["group_by"] or [])
    if "mapping" in changes:
        integration.mapping = _check_mapping(integration.kind, changes["mapping"])
    if "auto_resolve_minutes" in changes:
        integration.auto_resolve_minutes = _check_quiet_minutes(changes["auto_resolve_minutes"])
    if "rate_limit_per_minute" in changes:
        integration.rate_limit_per_minute = _check_rate(changes["rate_limit_per_minute"])
    if changes.get("name"):
        integration.name = str(changes["name"]).strip()[:200]
    audit.record(
        session,
        actor=actor,
        action="integration.updated",
        object_type="integration",
        object_id=integration.id,
        changes={k: v for k, v in changes.items() if k != "mapping"},
        now=now,
    )


# --- alert groups ---------------------------------------------------------------


def find_group(session: Session, ref: str) -> AlertGroup:
    text = ref.strip()
    if text.upper().startswith(GROUP_REF_PREFIX):
        text = text[len(GROUP_REF_PREFIX) :]
    row_id = as_row_id(text)
    row = session.get(AlertGroup, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(f"no alert group {ref}")
    return row


def group_event(
    session: Session,
    group: AlertGroup,
    kind: str,
    text: str,
    now: datetime,
    principal: Principal | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    add_group_event(session, group.id, kind, text, now, principal, data)


def add_group_event(
    session: Session,
    group_id: int,
    kind: str,
    text: str,
    now: datetime,
    principal: Principal | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """An entry on a group's timeline, for callers that hold only its id."""
    session.add(
        AlertGroupEvent(
            group_id=group_id,
            at=now,
            kind=kind,
            actor_id=principal.user_id if principal else None,
            text=text,
            data=data or {},
        )
    )


def acknowledge(session: Session, principal: Principal, now: datetime, group: AlertGroup) -> None:
    pipeline.lock_alerts(session)
    session.refresh(group)
    if group.status == "acknowledged":
        return
    if not group.is_open:
        raise Conflict(f"{group.ref} is already resolved")
    group.status = "acknowledged"
    group.acknowledged_at = now
    group.acknowledged_by_id = principal.user_id
    group.updated_at = now
    group_event(session, group, "acknowledged", f"acknowledged by {principal.name}", now, principal)
    paging.acknowledged(session, "alert_group", group.id, principal.user_id, now)
    _audit_group(session, principal, group, "acknowledged", now)


def reopen(session: Session, now: datetime, group: AlertGroup, why: str) -> None:
    """Undo an acknowledgement: the page was handed on, or nobody resolved in time."""
    if group.status != "acknowledged":
        return
    group.status = "triggered"
    group.acknowledged_at = None
    group.acknowledged_by_id = None
    group.updated_at = now
    group_event(session, group, "reopened", why, now)


def resolve(
    session: Session, principal: Principal, now: datetime, group: AlertGroup, note: str = ""
) -> None:
    """Resolve the group and every alert still open in it."""
    pipeline.lock_alerts(session)
    session.refresh(group)
    if not group.is_open:
        return
    for alert in session.scalars(select(Alert).where(Alert.group_id == group.id, OPEN_ALERT)):
        alert.is_open = False
        alert.status = "resolved"
        alert.ends_at = alert.ends_at or now
    group.status = "resolved"
    group.is_open = False
    group.active_count = 0
    group.resolved_at = now
    group.updated_at = now
    text = f"resolved by {principal.name}" + (f": {note}" if note else "")
    group_event(session, group, "resolved", text, now, principal)
    paging.resolved(session, "alert_group", group.id, now)
    _audit_group(session, principal, group, "resolved", now)


def escalate(
    session: Session, principal: Principal, now: datetime, group: AlertGroup, note: str = ""
) -> None:
    """Page again now, from the top: the on-call engine takes it from there."""
    from fireline.core.jobs import queue

    if not group.is_open:
        raise Conflict(f"{group.ref} is resolved; nothing to escalate")
    if group.status == "acknowledged":
        group.status = "triggered"
        group.acknowledged_at = None
        group.acknowledged_by_id = None
    group.updated_at = now
    text = f"escalated by {principal.name}" + (f": {note}" if note else "")
    group_event(session, group, "escalated", text, now, principal)
    queue.enqueue(
        session,
        kind=pipeline.PAGE_JOB,
        payload={"group_id": group.id, "escalated": True},
        now=now,
    )
    _audit_group(session, principal, group, "escalated", now)


def _audit_group(
    session: Session, principal: Principal, group: AlertGroup, what: str, now: datetime
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=f"alert_group.{what}",
        object_type="alert_group",
        object_id=group.id,
        changes={"status": group.status},
        now=now,
    )
