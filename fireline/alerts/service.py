"""Use cases for integrations, alert groups, routing rules, silences and
maintenance windows. One transaction per use case; the caller commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.alerts import pipeline
from fireline.alerts.heartbeats import deadline, schedule_check
from fireline.alerts.keys import hash_key, new_key
from fireline.alerts.matchers import MatcherError, parse_matchers
from fireline.alerts.models import (
    GROUP_REF_PREFIX,
    OPEN_ALERT,
    Alert,
    AlertGroup,
    AlertGroupEvent,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from fireline.alerts.shape import SourceError
from fireline.alerts.sources import generic
from fireline.catalog.models import Service
from fireline.catalog.service import find_service
from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.incidents.queries import resolve_severity, resolve_type
from fireline.oncall import paging
from fireline.plan.schema import Plan

KINDS = ("alertmanager", "grafana", "pagerduty", "generic", "heartbeat", "change")
URGENCIES = ("high", "low")
INCIDENT_ACTIONS = ("none", "declare", "attach")
REPEATS = ("none", "daily", "weekly")
MAX_SILENCE = timedelta(days=365)
# Upper bounds: beyond them a value is a typo, and past 2**31 PostgreSQL's
# integer columns refuse it (or, for a heartbeat, the date overflows).
YEAR_MINUTES = 365 * 24 * 60
YEAR_SECONDS = YEAR_MINUTES * 60
MIN_HEARTBEAT_SECONDS = 10
MAX_RATE_PER_MINUTE = 1_000_000
MAX_RULE_POSITION = 1_000_000_000
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
    _within(
        period,
        MIN_HEARTBEAT_SECONDS,
        YEAR_SECONDS,
        f"expected {MIN_HEARTBEAT_SECONDS} seconds to a year",
        "heartbeat_period_seconds",
    )
    _within(grace, 0, YEAR_SECONDS, "expected 0 seconds to a year", "heartbeat_grace_seconds")
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
        _within(value, 1, YEAR_MINUTES, message, "auto_resolve_minutes")
    return value


def _check_rate(value: int | None) -> int:
    message = f"expected 0 (no limit) to {MAX_RATE_PER_MINUTE:,}"
    return _within(value, 0, MAX_RATE_PER_MINUTE, message, "rate_limit_per_minute")


def _within(value: int | None, low: int, high: int, message: str, field: str) -> int:
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


# --- routing rules ----------------------------------------------------------------


@dataclass
class RuleSpec:
    name: str
    matchers: str
    integration: int | None = None
    service: str | None = None
    urgency: str | None = None
    escalation_policy: str | None = None
    incident_action: str = "none"
    incident_severity: str | None = None
    incident_type: str | None = None
    position: int | None = None


def create_rule(
    session: Session, *, actor: Actor, now: datetime, spec: RuleSpec, plan: Plan
) -> RoutingRule:
    """``plan`` knows the severities and incident types a rule may declare."""
    values = _rule_values(session, spec, plan)
    position = spec.position
    if position is not None:
        limit = MAX_RULE_POSITION
        _within(position, -limit, limit, f"expected -{limit:,} to {limit:,}", "position")
    else:
        last = session.scalar(select(RoutingRule.position).order_by(RoutingRule.position.desc()))
        position = (last or 0) + 10
    row = RoutingRule(position=position, created_at=now, updated_at=now, **values)
    session.add(row)
    session.flush()
    pipeline.forget_context()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.created",
        object_type="routing_rule",
        object_id=row.id,
        changes={"name": row.name, "matchers": row.matchers, "position": position},
        now=now,
    )
    return row


def _rule_values(session: Session, spec: RuleSpec, plan: Plan) -> dict[str, Any]:
    if not spec.name.strip():
        raise InvalidInput("a name is required", field="name")
    matchers = _matchers(spec.matchers, field="matchers", allow_empty=True)
    if spec.urgency is not None and spec.urgency not in URGENCIES:
        raise InvalidInput("expected high or low", field="urgency")
    if spec.incident_action not in INCIDENT_ACTIONS:
        raise InvalidInput(
            f"expected one of {', '.join(INCIDENT_ACTIONS)}", field="incident_action"
        )
    if spec.incident_action == "declare" and not (spec.incident_severity and spec.incident_type):
        raise InvalidInput(
            "a rule that declares needs an incident severity and type", field="incident_severity"
        )
    service_id = find_service(session, spec.service).id if spec.service else None
    if spec.integration is not None:
        find_integration(session, spec.integration)
    return {
        "name": spec.name.strip()[:200],
        "matchers": matchers,
        "integration_id": spec.integration,
        "service_id": service_id,
        "urgency": spec.urgency,
        "escalation_policy": spec.escalation_policy or None,
        "incident_action": spec.incident_action,
        # Checked now: a rule naming what the plan lacks would fail only when
        # its alert fires, the moment its incident is needed.
        "incident_severity": _in_plan(
            resolve_severity, plan, spec.incident_severity, "incident_severity"
        ),
        "incident_type": _in_plan(resolve_type, plan, spec.incident_type, "incident_type"),
    }


def _in_plan(
    resolve: Callable[[Plan, str], str], plan: Plan, value: str | None, field: str
) -> str | None:
    """The plan's own key for a severity or type, with errors naming the rule's field."""
    if not value:
        return None
    try:
        return resolve(plan, value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def delete_rule(session: Session, *, actor: Actor, now: datetime, rule_id: int) -> None:
    row = session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound(f"no routing rule {rule_id}")
    session.delete(row)
    pipeline.forget_context()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.deleted",
        object_type="routing_rule",
        object_id=rule_id,
        changes={"name": row.name},
        now=now,
    )


def _matchers(text: str, *, field: str, allow_empty: bool = False) -> list[dict[str, str]]:
    try:
        parsed = parse_matchers(text) if text.strip() else []
    except MatcherError as exc:
        raise InvalidInput(str(exc), field=field) from None
    if not parsed and not allow_empty:
        raise InvalidInput('give at least one matcher, e.g. alertname="DiskFull"', field=field)
    return [m.to_dict() for m in parsed]


# --- silences and maintenance ---------------------------------------------------------


def add_silence(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    matchers: str,
    ends_at: datetime,
    comment: str,
    starts_at: datetime | None = None,
) -> Silence:
    parsed = _matchers(matchers, field="matchers")
    starts = starts_at or now
    if not comment.strip():
        raise InvalidInput("say why: a comment is required", field="comment")
    if ends_at <= starts:
        raise InvalidInput("the silence must end after it starts", field="ends_at")
    if ends_at - starts > MAX_SILENCE:
        raise InvalidInput("a silence lasts at most a year", field="ends_at")
    row = Silence(
        matchers=parsed,
        starts_at=starts,
        ends_at=ends_at,
        comment=comment.strip()[:2000],
        created_by_id=principal.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    pipeline.forget_context()
    audit.record(
        session,
        actor=principal.actor,
        action="silence.created",
        object_type="silence",
        object_id=row.id,
        changes={"matchers": parsed, "ends_at": ends_at.isoformat(), "comment": row.comment},
        now=now,
    )
    return row


def expire_silence(
    session: Session, *, principal: Principal, now: datetime, silence_id: int
) -> Silence:
    row = session.get(Silence, silence_id)
    if row is None:
        raise NotFound(f"no silence {silence_id}")
    if row.expired_at is None and row.ends_at > now:
        row.expired_at = now
        pipeline.forget_context()
        audit.record(
            session,
            actor=principal.actor,
            action="silence.expired",
            object_type="silence",
            object_id=row.id,
            changes={},
            now=now,
        )
    return row


def silence_state(silence: Silence, now: datetime) -> str:
    if silence.expired_at is not None or silence.ends_at <= now:
        return "expired"
    return "active" if silence.starts_at <= now else "pending"


def add_maintenance(
    session: Session,
    *,
    principal: Principal,
    now: datetime,
    service: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    repeat: str = "none",
    repeat_until: datetime | None = None,
) -> MaintenanceWindow:
    found: Service = find_service(session, service)
    if not title.strip():
        raise InvalidInput("a title is required", field="title")
    if ends_at <= starts_at:
        raise InvalidInput("the window must end after it starts", field="ends_at")
    if repeat not in REPEATS:
        raise InvalidInput("expected none, daily or weekly", field="repeat")
    length = ends_at - starts_at
    if repeat != "none" and length > timedelta(days=1 if repeat == "daily" else 7):
        raise InvalidInput("a repeating window must be shorter than its period", field="ends_at")
    row = MaintenanceWindow(
        service_id=found.id,
        title=title.strip()[:300],
        starts_at=starts_at,
        ends_at=ends_at,
        repeat=repeat,
        repeat_until=repeat_until,
        created_by_id=principal.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    pipeline.forget_context()
    audit.record(
        session,
        actor=principal.actor,
        action="maintenance.created",
        object_type="maintenance_window",
        object_id=row.id,
        changes={"service": found.slug, "title": row.title, "repeat": repeat},
        now=now,
    )
    return row


def delete_maintenance(
    session: Session, *, principal: Principal, now: datetime, window_id: int
) -> None:
    row = session.get(MaintenanceWindow, window_id)
    if row is None:
        raise NotFound(f"no maintenance window {window_id}")
    session.delete(row)
    pipeline.forget_context()
    audit.record(
        session,
        actor=principal.actor,
        action="maintenance.deleted",
        object_type="maintenance_window",
        object_id=window_id,
        changes={"title": row.title},
        now=now,
    )
