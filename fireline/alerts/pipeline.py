"""Apply a batch of normalised alerts to the database: dedup, group, route,
silence, and queue the pages. One transaction per batch.

The batch may hold many requests' alerts (see :mod:`fireline.alerts.committer`),
so the work is shaped for throughput: the open alerts and groups a batch
touches are read with a few ``IN`` queries, decisions are made in memory, and
the writes go out as bulk inserts and bulk updates. No ORM objects are built
on this path.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Select, Table, Update, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from fireline.alerts.matchers import Matcher
from fireline.alerts.models import (
    OPEN_ALERT,
    OPEN_GROUP,
    Alert,
    AlertGroup,
    AlertGroupEvent,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from fireline.alerts.routing import (
    Context,
    Route,
    Rule,
    SilenceRule,
    Window,
    group_key,
    route,
    silenced_by,
)
from fireline.alerts.shape import SEVERITY_RANK, Action, AlertIn, Severity
from fireline.catalog.models import Service
from fireline.core.jobs import queue

PAGE_JOB = "alerts.page"
INCIDENT_JOB = "alerts.incident"
CHUNK = 500
# Every writer of alerts and groups takes this lock first on PostgreSQL, so
# that ingest processes and API actions never work from stale group state.
# (SQLite's BEGIN IMMEDIATE already admits one writer at a time.)
ALERTS_LOCK = 0x66_6C_61_6C  # "flal"
ALERTS_TABLE = cast(Table, Alert.__table__)
GROUPS_TABLE = cast(Table, AlertGroup.__table__)
EVENTS_TABLE = cast(Table, AlertGroupEvent.__table__)
# Rules, silences and windows change rarely but are read by every batch; a
# process keeps them this long. Changes made through this process apply at
# once (see forget_context); other processes see them within this time.
CONTEXT_TTL_SECONDS = 1.0
CONTEXT_AGE = timedelta(seconds=CONTEXT_TTL_SECONDS)


@dataclass(slots=True)
class Submission:
    """One request's alerts, for one integration."""

    integration_id: int
    key_hash: str
    alerts: Sequence[AlertIn]


@dataclass(slots=True)
class Outcome:
    accepted: int = 0
    refused: str | None = None  # why the integration could not take it


@dataclass(slots=True)
class _IntegrationState:
    id: int
    service_id: int
    key_hash: str
    revoked: bool
    group_by: list[str]
    flap_count: int
    flap_minutes: int


@dataclass(slots=True)
class _Group:
    row: dict[str, Any]
    is_new: bool = False
    dirty: bool = False
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    route: Route | None = None
    page: bool = False


def lock_alerts(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERTS_LOCK})


_context_cache: dict[str, tuple[float, datetime, Context]] = {}
_context_lock = threading.Lock()


def forget_context() -> None:
    with _context_lock:
        _context_cache.clear()


def cached_context(session: Session, now: datetime) -> Context:
    """load_context, reused for up to CONTEXT_TTL_SECONDS of real and clock time."""
    key = str(session.get_bind().engine.url)
    hit = _context_cache.get(key)
    if hit is not None:
        expires, loaded_at, context = hit
        if time.monotonic() < expires and loaded_at <= now < loaded_at + CONTEXT_AGE:
            return context
    context = load_context(session, now)
    with _context_lock:
        _context_cache[key] = (time.monotonic() + CONTEXT_TTL_SECONDS, now, context)
    return context


def load_context(session: Session, now: datetime) -> Context:
    rules = [
        Rule(
            id=r.id,
            name=r.name,
            integration_id=r.integration_id,
            matchers=tuple(Matcher.from_dict(m) for m in r.matchers),
            service_id=r.service_id,
            urgency=r.urgency,
            escalation_policy=r.escalation_policy,
            incident_action=r.incident_action,
            incident_severity=r.incident_severity,
            incident_type=r.incident_type,
        )
        for r in session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    ]
    silences = [
        SilenceRule(s.id, tuple(Matcher.from_dict(m) for m in s.matchers), s.comment)
        for s in session.scalars(
            select(Silence).where(
                Silence.starts_at <= now, Silence.ends_at > now, Silence.expired_at.is_(None)
            )
        )
    ]
    windows = [
        Window(w.id, w.service_id, w.title, w.starts_at, w.ends_at, w.repeat, w.repeat_until)
        for w in session.scalars(
            select(MaintenanceWindow).where(
                MaintenanceWindow.starts_at <= now,
                (MaintenanceWindow.ends_at > now) | (MaintenanceWindow.repeat != "none"),
            )
        )
    ]
    slugs = {row.id: row.slug for row in session.execute(select(Service.id, Service.slug))}
    return Context(rules=rules, silences=silences, windows=windows, service_slugs=slugs)


def apply(session: Session, submissions: Sequence[Submission], now: datetime) -> list[Outcome]:
    """Apply every submission in order; the caller commits."""
    lock_alerts(session)
    integrations = _integrations(session, {s.integration_id for s in submissions})
    context = cached_context(session, now)
    batch = _Batch(session, context, now)
    outcomes: list[Outcome] = []
    accepted: list[tuple[_IntegrationState, AlertIn]] = []
    for submission in submissions:
        state = integrations.get(submission.integration_id)
        if state is None or state.revoked or state.key_hash != submission.key_hash:
            outcomes.append(Outcome(refused="this integration key was rotated or revoked"))
            continue
        accepted.extend((state, alert) for alert in submission.alerts)
        outcomes.append(Outcome(accepted=len(submission.alerts)))
    if accepted:
        batch.run(accepted)
    return outcomes


def _integrations(session: Session, ids: Iterable[int]) -> dict[int, _IntegrationState]:
    rows = session.connection().execute(
        select(
            Integration.id,
            Integration.service_id,
            Integration.key_hash,
            Integration.revoked_at,
            Integration.group_by,
            Integration.flap_count,
            Integration.flap_minutes,
        ).where(Integration.id.in_(list(ids)))
    )
    return {
        row.id: _IntegrationState(
            row.id,
            row.service_id,
            row.key_hash,
            row.revoked_at is not None,
            list(row.group_by or []),
            row.flap_count,
            row.flap_minutes,
        )
        for row in rows
    }


_ALERT_COLUMNS = (
    Alert.id,
    Alert.group_id,
    Alert.integration_id,
    Alert.dedup_key,
    Alert.severity,
    Alert.count,
)
_GROUP_COLUMNS = tuple(AlertGroup.__table__.columns)


def open_alerts_query(
    integration_id: int, dedup_keys: Sequence[str]
) -> Select[int, int, int, str, str, int]:
    """The open alerts of an integration under these keys (an index lookup)."""
    return select(*_ALERT_COLUMNS).where(
        OPEN_ALERT, Alert.integration_id == integration_id, Alert.dedup_key.in_(dedup_keys)
    )


def open_groups_filter(service_id: int, group_keys: Sequence[str]) -> tuple[Any, ...]:
    """The open groups of a service under these grouping keys (an index lookup)."""
    return (OPEN_GROUP, AlertGroup.service_id == service_id, AlertGroup.group_key.in_(group_keys))


class _Batch:
    """The in-memory state of one batch: what exists, what changes."""

    def __init__(self, session: Session, context: Context, now: datetime) -> None:
        self.session = session
        # Core on the session's connection: the ORM's per-statement work was
        # most of a small batch's cost, and nothing here needs ORM objects.
        self.connection = session.connection()
        self.context = context
        self.now = now
        self.open_alerts: dict[tuple[int, str], dict[str, Any]] = {}
        self.groups_by_key: dict[tuple[int, str], _Group] = {}
        self.groups_by_id: dict[int, _Group] = {}
        self.groups: list[_Group] = []  # every group loaded or opened, in order
        self.new_alerts: list[dict[str, Any]] = []
        self.alert_updates: dict[int, dict[str, Any]] = {}

    def run(self, items: list[tuple[_IntegrationState, AlertIn]]) -> None:
        routed = []
        for state, alert in items:
            chosen = route(self.context.rules, state.id, state.service_id, alert)
            routed.append((state, alert, chosen, group_key(state.group_by, alert)))
        self._prefetch(routed)
        for state, alert, chosen, key in routed:
            if alert.action is Action.trigger:
                self._trigger(state, alert, chosen, key)
            elif alert.action is Action.resolve:
                self._resolve(state, alert)
            else:
                self._acknowledge(state, alert)
        self._write()

    # --- reading ------------------------------------------------------------

    def _prefetch(self, routed: list[tuple[_IntegrationState, AlertIn, Route, str]]) -> None:
        by_integration: dict[int, set[str]] = {}
        group_keys: set[tuple[int, str]] = set()
        for state, alert, chosen, key in routed:
            by_integration.setdefault(state.id, set()).add(alert.dedup_key)
            if alert.action is Action.trigger:
                group_keys.add((chosen.service_id, key))
        group_ids: set[int] = set()
        for integration_id, keys in by_integration.items():
            for chunk in _chunks(sorted(keys)):
                rows = self.connection.execute(open_alerts_query(integration_id, chunk)).mappings()
                for row in rows:
                    self.open_alerts[(integration_id, row["dedup_key"])] = dict(row)
                    group_ids.add(row["group_id"])
        by_service: dict[int, set[str]] = {}
        for service_id, key in group_keys:
            by_service.setdefault(service_id, set()).add(key)
        for service_id, keys in by_service.items():
            for chunk in _chunks(sorted(keys)):
                self._load_groups(*open_groups_filter(service_id, chunk))
        missing = [gid for gid in group_ids if gid not in self.groups_by_id]
        for chunk in _chunks(missing):
            self._load_groups(AlertGroup.id.in_(chunk))

    def _load_groups(self, *where: Any) -> None:
        for row in self.connection.execute(select(*_GROUP_COLUMNS).where(*where)).mappings():
            if row["id"] in self.groups_by_id:
                continue
            group = _Group(dict(row))
            self.groups.append(group)
            self.groups_by_id[row["id"]] = group
            if row["is_open"]:
                self.groups_by_key[(row["service_id"], row["group_key"])] = group

    # --- deciding -----------------------------------------------------------

    def _trigger(self, state: _IntegrationState, alert: AlertIn, chosen: Route, key: str) -> None:
        existing = self.open_alerts.get((state.id, alert.dedup_key))
        if existing is not None:
            self._repeat(existing, alert)
            return
        group = self.groups_by_key.get((chosen.service_id, key))
        silence = silenced_by(self.context, chosen.service_id, alert, self.now)
        if group is None:
            group = self._open_group(state, alert, chosen, key, silence)
        else:
            self._join_group(group, alert, silence)
        starts_at = alert.starts_at or self.now
        row = {
            "_group": group,
            "integration_id": state.id,
            "dedup_key": alert.dedup_key,
            "status": "firing",
            "is_open": True,
            "severity": alert.severity.value,
            "summary": alert.summary,
            "source": alert.source,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "links": [{"href": link.href, "text": link.text} for link in alert.links],
            "silenced_by": silence,
            "count": 1,
            "starts_at": starts_at,
            "ends_at": alert.ends_at,
            "first_seen_at": self.now,
            "last_seen_at": self.now,
            "raw": alert.raw,
        }
        self.new_alerts.append(row)
        self.open_alerts[(state.id, alert.dedup_key)] = row

    def _repeat(self, existing: dict[str, Any], alert: AlertIn) -> None:
        existing["count"] += 1
        existing["severity"] = alert.severity.value
        changes = {
            "count": existing["count"],
            "severity": alert.severity.value,
            "summary": alert.summary,
            "source": alert.source,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "links": [{"href": link.href, "text": link.text} for link in alert.links],
            "ends_at": alert.ends_at,
            "last_seen_at": self.now,
            "raw": alert.raw,
        }
        self._change_alert(existing, changes)
        group = self.groups_by_id.get(existing["group_id"]) or existing.get("_group")
        if group is not None:
            self._touch(group, alert.severity)

    def _resolve(self, state: _IntegrationState, alert: AlertIn) -> None:
        existing = self.open_alerts.pop((state.id, alert.dedup_key), None)
        if existing is None:
            return  # nothing open under this key: a late or repeated resolve
        self._change_alert(
            existing,
            {
                "status": "resolved",
                "is_open": False,
                "ends_at": alert.ends_at or self.now,
                "last_seen_at": self.now,
                "raw": alert.raw or existing.get("raw", {}),
            },
        )
        group = self._group_of(existing)
        group.row["active_count"] -= 1
        group.row["event_count"] += 1
        group.row["updated_at"] = self.now
        group.dirty = True
        if group.row["active_count"] <= 0 and group.row["is_open"]:
            self._close_group(group, "every alert in the group resolved")

    def _acknowledge(self, state: _IntegrationState, alert: AlertIn) -> None:
        existing = self.open_alerts.get((state.id, alert.dedup_key))
        if existing is None:
            return
        group = self._group_of(existing)
        if group.row["status"] == "triggered":
            group.row.update(status="acknowledged", acknowledged_at=self.now, updated_at=self.now)
            group.dirty = True
            group.events.append(
                ("acknowledged", f"acknowledged by the source ({alert.dedup_key})", {})
            )

    # --- groups -------------------------------------------------------------

    def _open_group(
        self,
        state: _IntegrationState,
        alert: AlertIn,
        chosen: Route,
        key: str,
        silence: str | None,
    ) -> _Group:
        flapping = self._is_flapping(state, chosen.service_id, key)
        status = "silenced" if silence else "triggered"
        row: dict[str, Any] = {
            "service_id": chosen.service_id,
            "integration_id": state.id,
            "group_key": key,
            "title": alert.summary,
            "status": status,
            "is_open": True,
            "urgency": chosen.urgency,
            "severity": alert.severity.value,
            "escalation_policy": chosen.escalation_policy,
            "routing_rule_id": chosen.rule.id if chosen.rule else None,
            "silenced_by": silence,
            "flapping": flapping,
            "alert_count": 1,
            "active_count": 1,
            "event_count": 1,
            "incident_id": None,
            "created_at": self.now,
            "updated_at": self.now,
            "last_alert_at": self.now,
            "acknowledged_at": None,
            "acknowledged_by_id": None,
            "resolved_at": None,
        }
        group = _Group(row, is_new=True, route=chosen)
        self.groups.append(group)
        detail: dict[str, Any] = {"first_alert": alert.dedup_key, "group_key": key}
        if chosen.rule:
            detail["rule"] = chosen.rule.name
        group.events.append(("opened", alert.summary, detail))
        if silence:
            group.events.append(("silenced", f"quiet: {self._describe(silence)}", {"by": silence}))
        elif flapping:
            group.events.append(
                (
                    "flapping",
                    f"opened {state.flap_count} or more times in {state.flap_minutes} minutes: "
                    "paging stops until it settles",
                    {},
                )
            )
        else:
            group.page = True
        self.groups_by_key[(chosen.service_id, key)] = group
        return group

    def _join_group(self, group: _Group, alert: AlertIn, silence: str | None) -> None:
        row = group.row
        row["alert_count"] += 1
        row["active_count"] += 1
        self._touch(group, alert.severity)
        if row["status"] == "silenced" and silence is None:
            row.update(status="triggered", silenced_by=None)
            group.events.append(
                ("unsilenced", f"an alert outside the silence: {alert.summary}", {})
            )
            group.page = not row["flapping"]

    def _touch(self, group: _Group, severity: Severity) -> None:
        row = group.row
        row["event_count"] += 1
        row["updated_at"] = row["last_alert_at"] = self.now
        if SEVERITY_RANK[severity] > SEVERITY_RANK[Severity(row["severity"])]:
            row["severity"] = severity.value
        group.dirty = True

    def _close_group(self, group: _Group, why: str) -> None:
        group.row.update(status="resolved", is_open=False, resolved_at=self.now)
        group.dirty = True
        group.events.append(("resolved", why, {}))
        key = (group.row["service_id"], group.row["group_key"])
        if self.groups_by_key.get(key) is group:
            del self.groups_by_key[key]

    def _group_of(self, alert_row: dict[str, Any]) -> _Group:
        group = alert_row.get("_group") or self.groups_by_id[alert_row["group_id"]]
        assert isinstance(group, _Group)
        return group

    def _is_flapping(self, state: _IntegrationState, service_id: int, key: str) -> bool:
        since = self.now - timedelta(minutes=state.flap_minutes)
        opened = self.connection.scalar(
            select(func.count())
            .select_from(AlertGroup)
            .where(
                AlertGroup.service_id == service_id,
                AlertGroup.group_key == key,
                AlertGroup.created_at >= since,
            )
        )
        return (opened or 0) + 1 >= state.flap_count

    def _describe(self, silenced: str) -> str:
        kind, _, ident = silenced.partition(":")
        if kind == "silence":
            found = next((s for s in self.context.silences if str(s.id) == ident), None)
            return f"silence {ident}" + (f" ({found.comment})" if found and found.comment else "")
        found_window = next((w for w in self.context.windows if str(w.id) == ident), None)
        return f"maintenance window {ident}" + (f" ({found_window.title})" if found_window else "")

    def _change_alert(self, existing: dict[str, Any], changes: dict[str, Any]) -> None:
        if "id" in existing:
            self.alert_updates.setdefault(existing["id"], {"id": existing["id"]}).update(changes)
        else:
            existing.update(changes)  # inserted at the end of this batch

    # --- writing ------------------------------------------------------------

    def _write(self) -> None:
        connection = self.connection
        new_groups = [g for g in self.groups if g.is_new]
        if new_groups:
            ids = connection.scalars(
                insert(GROUPS_TABLE).returning(GROUPS_TABLE.c.id, sort_by_parameter_order=True),
                [g.row for g in new_groups],
            ).all()
            for group, group_id in zip(new_groups, ids, strict=True):
                group.row["id"] = group_id
        updated = [g.row for g in self.groups if g.dirty and not g.is_new]
        if updated:
            connection.execute(
                _UPDATE_GROUP,
                [
                    {"id_": row["id"], **{name: row[name] for name in _GROUP_CHANGES}}
                    for row in updated
                ],
            )
        if self.new_alerts:
            rows = []
            for row in self.new_alerts:
                group = row.pop("_group")
                row["group_id"] = group.row["id"]
                rows.append(row)
            _insert_alerts(connection, rows)
        if self.alert_updates:
            for changes in _by_columns(self.alert_updates.values()):
                columns = tuple(sorted(k for k in changes[0] if k != "id_"))
                connection.execute(_update_alerts(columns), changes)
        self._write_events_and_jobs()

    def _write_events_and_jobs(self) -> None:
        events = []
        for group in self.groups:
            group_id = group.row["id"]
            for kind, text_, data in group.events:
                events.append(
                    {
                        "group_id": group_id,
                        "at": self.now,
                        "kind": kind,
                        "text": text_,
                        "data": data,
                    }
                )
            if group.page:
                queue.enqueue(
                    self.session,
                    kind=PAGE_JOB,
                    payload={"group_id": group_id},
                    now=self.now,
                    idempotency_key=f"{PAGE_JOB}:{group_id}",
                )
            rule = group.route.rule if group.route else None
            if group.is_new and rule is not None and rule.incident_action in ("declare", "attach"):
                queue.enqueue(
                    self.session,
                    kind=INCIDENT_JOB,
                    payload={"group_id": group_id, "rule_id": rule.id},
                    now=self.now,
                    idempotency_key=f"{INCIDENT_JOB}:{group_id}",
                )
        if events:
            self.connection.execute(insert(EVENTS_TABLE), events)


# The columns a new alert is written with, in the driver-level INSERT below.
_NEW_ALERT_COLUMNS = (
    "group_id",
    "integration_id",
    "dedup_key",
    "status",
    "is_open",
    "severity",
    "summary",
    "source",
    "labels",
    "annotations",
    "links",
    "silenced_by",
    "count",
    "starts_at",
    "ends_at",
    "first_seen_at",
    "last_seen_at",
    "raw",
)
_JSON_COLUMNS = frozenset({"labels", "annotations", "links", "raw"})
_TIME_COLUMNS = frozenset({"starts_at", "ends_at", "first_seen_at", "last_seen_at"})


def _insert_alerts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """New alerts, as one executemany straight to the driver.

    SQLAlchemy's per-value bind processing (JSON, UTC timestamps) was half of
    a batch's cost, so the values are converted here, once, in the form each
    driver stores: on SQLite the strings SQLAlchemy itself writes for JSON
    and for naive-UTC timestamps, on PostgreSQL JSON text cast to jsonb and
    aware timestamps. Reading them back goes through the usual column types.
    """
    dialect = connection.dialect.name
    converters = _CONVERTERS[dialect if dialect == "sqlite" else "postgresql"]
    pairs = [(name, converters.get(name)) for name in _NEW_ALERT_COLUMNS]
    values = [
        tuple(row[name] if convert is None else convert(row[name]) for name, convert in pairs)
        for row in rows
    ]
    connection.exec_driver_sql(_insert_sql(dialect), values)


@functools.cache
def _insert_sql(dialect: str) -> str:
    if dialect == "sqlite":
        marks = ["?"] * len(_NEW_ALERT_COLUMNS)
    else:
        marks = ["%s::jsonb" if name in _JSON_COLUMNS else "%s" for name in _NEW_ALERT_COLUMNS]
    return f"INSERT INTO alerts ({', '.join(_NEW_ALERT_COLUMNS)}) VALUES ({', '.join(marks)})"


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_time(value: datetime | None) -> str | None:
    # The form SQLAlchemy's SQLite DateTime writes (microseconds always, so
    # that stored values and bound ones compare as strings).
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _pg_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _as_int(value: bool) -> int:
    return int(value)


_CONVERTERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "sqlite": {
        **dict.fromkeys(_JSON_COLUMNS, _json_text),
        **dict.fromkeys(_TIME_COLUMNS, _sqlite_time),
        "is_open": _as_int,
    },
    "postgresql": {
        **dict.fromkeys(_JSON_COLUMNS, _json_text),
        **dict.fromkeys(_TIME_COLUMNS, _pg_time),
    },
}


# The group columns a batch can change; only these are written back.
_GROUP_CHANGES = (
    "status",
    "is_open",
    "severity",
    "silenced_by",
    "alert_count",
    "active_count",
    "event_count",
    "updated_at",
    "last_alert_at",
    "acknowledged_at",
    "resolved_at",
)
_UPDATE_GROUP = (
    update(GROUPS_TABLE)
    .where(GROUPS_TABLE.c.id == bindparam("id_"))
    .values({name: bindparam(name) for name in _GROUP_CHANGES})
)


@functools.cache
def _update_alerts(columns: tuple[str, ...]) -> Update:
    return (
        update(ALERTS_TABLE)
        .where(ALERTS_TABLE.c.id == bindparam("id_"))
        .values({name: bindparam(name) for name in columns})
    )


def _by_columns(changes: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Alert updates grouped by the columns they set (one executemany each),
    with the key renamed as the statements bind it."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        row = _keyed(change)
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    """A row for an executemany UPDATE: "id" is bound as "id_", since a bind
    parameter may not share its name with a column the statement sets."""
    keyed = {k: v for k, v in row.items() if k != "id"}
    keyed["id_"] = row["id"]
    return keyed


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
