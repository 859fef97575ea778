"""Apply a batch of normalised alerts to the database: dedup, group, route,
silence, and queue the pages. One transaction per batch.

The batch may hold many requests' alerts (see :mod:`fireline.alerts.committer`),
so the work is shaped for throughput, in two steps:

- :func:`prepare` makes every decision that needs no database state (route,
  grouping key, silence) and puts each alert's columns in the form the driver
  stores. It needs no transaction, so the ingest writer runs it before it
  takes the write lock that every ingest process waits for.
- :func:`apply_on` runs inside the transaction, on the driver's cursor: it
  checks the keys again, reads the open alerts and groups the batch touches
  with a few ``IN`` queries, decides in memory, and writes with bulk
  statements (:mod:`fireline.alerts.storage`). No ORM objects are built. The
  ingest writer runs it on a connection of its own; :func:`apply_prepared`
  runs it in an ORM session's transaction.

:func:`apply` does both in the caller's session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fireline.alerts import routing_context
from fireline.alerts.routing import (
    Context,
    Route,
    group_key,
    route,
    silenced_by,
)
from fireline.alerts.shape import SEVERITY_RANK, Action, AlertIn, Severity
from fireline.alerts.storage import ALERT_COLUMNS, Statements, StoredForm, stored_form
from fireline.core import pglocks
from fireline.core.jobs import queue

PAGE_JOB = "alerts.page"
INCIDENT_JOB = "alerts.incident"
# Every writer of alerts and groups takes this lock first on PostgreSQL, so
# that ingest processes and API actions never work from stale group state.
# (SQLite's BEGIN IMMEDIATE already admits one writer at a time.)
ALERTS_LOCK = 0x66_6C_61_6C  # "flal"
_LOCKED_IN = "fireline_alerts_locked_in"  # session.info: the transaction that took it
# Queues a job: its kind, payload and idempotency key.
JobSink = Callable[[str, dict[str, Any], str], None]
# A repeat of an open alert rewrites these columns.
REPEAT_COLUMNS = (
    "count",
    "severity",
    "summary",
    "source",
    "labels",
    "annotations",
    "links",
    "ends_at",
    "last_seen_at",
    "raw",
)
_ALERT_ROW = itemgetter(*ALERT_COLUMNS)


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


@dataclass(frozen=True, slots=True)
class IntegrationState:
    """What a batch needs of an integration, as the database has it now."""

    id: int
    service_id: int
    key_hash: str
    revoked: bool
    group_by: tuple[str, ...]
    flap_count: int
    flap_minutes: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IntegrationState:
        return cls(
            row["id"],
            row["service_id"],
            row["key_hash"],
            row["revoked_at"] is not None,
            tuple(row["group_by"] or ()),
            row["flap_count"],
            row["flap_minutes"],
        )


@dataclass(slots=True)
class Prepared:
    """One alert with every decision made that needs no database state.

    ``row`` is the alert as a new row, every column in stored form but its
    group (known only inside the transaction)."""

    integration: IntegrationState
    alert: AlertIn
    route: Route
    group_key: str
    silence: str | None
    row: dict[str, Any]


@dataclass(slots=True)
class PreparedSubmission:
    submission: Submission
    # The integration as it was when prepared; None when it was not known yet.
    state: IntegrationState | None = None
    items: list[Prepared] = field(default_factory=list)


@dataclass(slots=True)
class _Group:
    row: dict[str, Any]  # GROUP_COLUMNS (or NEW_GROUP_COLUMNS), in stored form
    is_new: bool = False
    dirty: bool = False
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    route: Route | None = None
    page: bool = False


def lock_alerts(session: Session) -> None:
    """Take the alerts' lock for the session's transaction (once)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_LOCKED_IN) is transaction:
        return
    session.execute(text(pglocks.xact_lock(ALERTS_LOCK)))
    session.info[_LOCKED_IN] = session.get_transaction()


# --- preparing (no transaction needed) ------------------------------------------------


def prepare(
    submission: Submission,
    state: IntegrationState | None,
    context: Context,
    now: datetime,
    form: StoredForm,
) -> PreparedSubmission:
    """Decide what needs no database state; with no known state, leave it to
    :func:`apply_prepared`."""
    if state is None:
        return PreparedSubmission(submission)
    times: dict[datetime | None, Any] = {None: None, now: form.time(now)}

    def stored_time(value: datetime | None) -> Any:
        # The alerts of one request mostly share their timestamps.
        if value not in times:
            times[value] = form.time(value)
        return times[value]

    rules, stored_now = context.rules, times[now]
    items = []
    for alert in submission.alerts:
        chosen = route(rules, state.id, state.service_id, alert)
        silence = (
            silenced_by(context, chosen.service_id, alert, now)
            if alert.action is Action.trigger
            else None
        )
        row = {
            "integration_id": state.id,
            "dedup_key": alert.dedup_key,
            "status": "firing",
            "is_open": True,
            "severity": alert.severity.value,
            "summary": alert.summary,
            "source": alert.source,
            "labels": form.json(alert.labels),
            "annotations": form.json(alert.annotations),
            "links": form.json([{"href": link.href, "text": link.text} for link in alert.links]),
            "silenced_by": silence,
            "count": 1,
            "starts_at": stored_time(alert.starts_at or now),
            "ends_at": stored_time(alert.ends_at),
            "first_seen_at": stored_now,
            "last_seen_at": stored_now,
            "raw": form.json(alert.raw),
        }
        items.append(Prepared(state, alert, chosen, group_key(state.group_by, alert), silence, row))
    return PreparedSubmission(submission, state, items)


# --- applying (inside the transaction) ------------------------------------------------


def apply(session: Session, submissions: Sequence[Submission], now: datetime) -> list[Outcome]:
    """Prepare and apply every submission in order; the caller commits."""
    context = routing_context.cached(session, now)
    outcomes, _ = apply_prepared(
        session, [PreparedSubmission(s) for s in submissions], context, now
    )
    return outcomes


def apply_prepared(
    session: Session,
    prepared: Sequence[PreparedSubmission],
    context: Context,
    now: datetime,
) -> tuple[list[Outcome], dict[int, IntegrationState]]:
    """:func:`apply_on` in the session's transaction; the caller commits."""
    with session_writer(session, now) as (statements, enqueue):
        return apply_on(statements, prepared, context, now, enqueue)


@contextmanager
def session_writer(session: Session, now: datetime) -> Iterator[tuple[Statements, JobSink]]:
    """The writer's statements on the session's connection, the alerts' lock
    taken, and its jobs queued through the session (so that the doorbell
    rings when it commits, and a worker's follow-up sees them)."""
    lock_alerts(session)

    def enqueue(kind: str, payload: dict[str, Any], key: str) -> None:
        queue.enqueue(session, kind=kind, payload=payload, now=now, idempotency_key=key)

    cursor = session.connection().connection.cursor()
    try:
        yield Statements(cursor, stored_form(session.get_bind().dialect.name)), enqueue
    finally:
        cursor.close()


def apply_on(
    statements: Statements,
    prepared: Sequence[PreparedSubmission],
    context: Context,
    now: datetime,
    enqueue: JobSink,
) -> tuple[list[Outcome], dict[int, IntegrationState]]:
    """Apply prepared submissions in order, in the statements' transaction
    (which holds the alerts' lock); ``enqueue`` queues the jobs they cause.

    Each integration is read again here, under the lock: a rotated or revoked
    key is refused, and a submission prepared with settings that have changed
    since is prepared again. Returns the outcomes and the integrations as read.
    """
    form = statements.form
    states = {
        row["id"]: IntegrationState.from_row(row)
        for row in statements.integrations({p.submission.integration_id for p in prepared})
    }
    outcomes: list[Outcome] = []
    items: list[Prepared] = []
    for entry in prepared:
        submission = entry.submission
        state = states.get(submission.integration_id)
        if state is None or state.revoked or state.key_hash != submission.key_hash:
            outcomes.append(Outcome(refused="this integration key was rotated or revoked"))
            continue
        if entry.state != state:
            entry = prepare(submission, state, context, now, form)
        items.extend(entry.items)
        outcomes.append(Outcome(accepted=len(submission.alerts)))
    if items:
        _Batch(statements, context, now, enqueue).run(items)
    return outcomes, states


class _Batch:
    """The in-memory state of one batch: what exists, what changes."""

    def __init__(self, sql: Statements, context: Context, now: datetime, enqueue: JobSink) -> None:
        self.sql = sql
        self.enqueue = enqueue
        self.form = sql.form
        self.context = context
        self.now = now
        self.stored_now = self.form.time(now)
        self.open_alerts: dict[tuple[int, str], dict[str, Any]] = {}
        self.groups_by_key: dict[tuple[int, str], _Group] = {}
        self.groups_by_id: dict[int, _Group] = {}
        self.groups: list[_Group] = []  # every group loaded or opened, in order
        self.new_alerts: list[dict[str, Any]] = []
        self.alert_updates: dict[int, dict[str, Any]] = {}

    def run(self, items: list[Prepared]) -> None:
        self._prefetch(items)
        for item in items:
            action = item.alert.action
            if action is Action.trigger:
                self._trigger(item)
            elif action is Action.resolve:
                self._resolve(item)
            else:
                self._acknowledge(item)
        self._write()

    # --- reading ------------------------------------------------------------

    def _prefetch(self, items: list[Prepared]) -> None:
        by_integration: dict[int, set[str]] = {}
        by_service: dict[int, set[str]] = {}
        for item in items:
            by_integration.setdefault(item.integration.id, set()).add(item.alert.dedup_key)
            if item.alert.action is Action.trigger:
                by_service.setdefault(item.route.service_id, set()).add(item.group_key)
        group_ids: set[int] = set()
        for integration_id, keys in by_integration.items():
            for row in self.sql.open_alerts(integration_id, sorted(keys)):
                self.open_alerts[(integration_id, row["dedup_key"])] = row
                group_ids.add(row["group_id"])
        for service_id, group_keys in by_service.items():
            self._add_groups(self.sql.open_groups(service_id, sorted(group_keys)))
        missing = [gid for gid in group_ids if gid not in self.groups_by_id]
        if missing:
            self._add_groups(self.sql.groups(missing))

    def _add_groups(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if row["id"] in self.groups_by_id:
                continue
            group = _Group(row)
            self.groups.append(group)
            self.groups_by_id[row["id"]] = group
            if row["is_open"]:
                self.groups_by_key[(row["service_id"], row["group_key"])] = group

    # --- deciding -----------------------------------------------------------

    def _trigger(self, item: Prepared) -> None:
        alert, integration_id = item.alert, item.integration.id
        existing = self.open_alerts.get((integration_id, alert.dedup_key))
        if existing is not None:
            self._repeat(existing, item)
            return
        service_id = item.route.service_id
        group = self.groups_by_key.get((service_id, item.group_key))
        if group is None:
            group = self._open_group(item)
        else:
            self._join_group(group, alert, item.silence)
        row = item.row
        row["_group"] = group
        self.new_alerts.append(row)
        self.open_alerts[(integration_id, alert.dedup_key)] = row

    def _repeat(self, existing: dict[str, Any], item: Prepared) -> None:
        existing["count"] += 1
        row = item.row
        changes = {name: row[name] for name in REPEAT_COLUMNS}
        changes["count"] = existing["count"]
        changes["last_seen_at"] = self.stored_now
        if not item.alert.raw:
            del changes["raw"]  # keep what the alert had
        self._change_alert(existing, changes)
        group = self.groups_by_id.get(existing.get("group_id", -1)) or existing.get("_group")
        if group is not None:
            self._touch(group, item.alert.severity)

    def _resolve(self, item: Prepared) -> None:
        existing = self.open_alerts.pop((item.integration.id, item.alert.dedup_key), None)
        if existing is None:
            return  # nothing open under this key: a late or repeated resolve
        changes = {
            "status": "resolved",
            "is_open": False,
            "ends_at": item.row["ends_at"] or self.stored_now,
            "last_seen_at": self.stored_now,
        }
        if item.alert.raw:
            changes["raw"] = item.row["raw"]
        self._change_alert(existing, changes)
        group = self._group_of(existing)
        row = group.row
        row["active_count"] -= 1
        row["event_count"] += 1
        row["updated_at"] = self.stored_now
        group.dirty = True
        if row["active_count"] <= 0 and row["is_open"]:
            self._close_group(group, "every alert in the group resolved")

    def _acknowledge(self, item: Prepared) -> None:
        existing = self.open_alerts.get((item.integration.id, item.alert.dedup_key))
        if existing is None:
            return
        group = self._group_of(existing)
        if group.row["status"] == "triggered":
            group.row.update(
                status="acknowledged",
                acknowledged_at=self.stored_now,
                updated_at=self.stored_now,
            )
            group.dirty = True
            group.events.append(
                ("acknowledged", f"acknowledged by the source ({item.alert.dedup_key})", {})
            )

    # --- groups -------------------------------------------------------------

    def _open_group(self, item: Prepared) -> _Group:
        state, alert, chosen, key, silence = (
            item.integration,
            item.alert,
            item.route,
            item.group_key,
            item.silence,
        )
        flapping = self._is_flapping(state, chosen.service_id, key)
        now = self.stored_now
        row: dict[str, Any] = {
            "service_id": chosen.service_id,
            "integration_id": state.id,
            "group_key": key,
            "title": alert.summary,
            "status": "silenced" if silence else "triggered",
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
            "created_at": now,
            "updated_at": now,
            "last_alert_at": now,
            "acknowledged_at": None,
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
        row["updated_at"] = row["last_alert_at"] = self.stored_now
        if SEVERITY_RANK[severity] > SEVERITY_RANK[Severity(row["severity"])]:
            row["severity"] = severity.value
        group.dirty = True

    def _close_group(self, group: _Group, why: str) -> None:
        group.row.update(status="resolved", is_open=False, resolved_at=self.stored_now)
        group.dirty = True
        group.events.append(("resolved", why, {}))
        key = (group.row["service_id"], group.row["group_key"])
        if self.groups_by_key.get(key) is group:
            del self.groups_by_key[key]

    def _group_of(self, alert_row: dict[str, Any]) -> _Group:
        group = alert_row.get("_group") or self.groups_by_id[alert_row["group_id"]]
        assert isinstance(group, _Group)
        return group

    def _is_flapping(self, state: IntegrationState, service_id: int, key: str) -> bool:
        since = self.now - timedelta(minutes=state.flap_minutes)
        opened = self.sql.groups_opened_since(service_id, key, since)
        return opened + 1 >= state.flap_count

    def _describe(self, silenced: str) -> str:
        kind, _, ident = silenced.partition(":")
        if kind == "silence":
            found = next((s for s in self.context.silences if str(s.id) == ident), None)
            return f"silence {ident}" + (f" ({found.comment})" if found and found.comment else "")
        found_window = next((w for w in self.context.windows if str(w.id) == ident), None)
        return f"maintenance window {ident}" + (f" ({found_window.title})" if found_window else "")

    def _change_alert(self, existing: dict[str, Any], changes: dict[str, Any]) -> None:
        if "_group" in existing:
            existing.update(changes)  # inserted at the end of this batch
        else:
            self.alert_updates.setdefault(existing["id"], {}).update(changes)

    # --- writing ------------------------------------------------------------

    def _write(self) -> None:
        sql = self.sql
        for group in self.groups:
            if group.is_new:
                group.row["id"] = sql.insert_group(group.row)
        updated = [g.row for g in self.groups if g.dirty and not g.is_new]
        if updated:
            sql.update_groups(updated)
        if self.new_alerts:
            rows = []
            for row in self.new_alerts:
                row["group_id"] = row.pop("_group").row["id"]
                rows.append(_ALERT_ROW(row))
            sql.insert_alerts(rows)
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for alert_id, changes in self.alert_updates.items():
            columns = tuple(sorted(changes))
            by_columns.setdefault(columns, []).append((*map(changes.get, columns), alert_id))
        for columns, rows in by_columns.items():
            sql.update_alerts(columns, rows)
        self._write_events_and_jobs()

    def _write_events_and_jobs(self) -> None:
        events = []
        for group in self.groups:
            group_id = group.row["id"]
            events += [
                (group_id, self.now, kind, text_, data) for kind, text_, data in group.events
            ]
            if group.page:
                self.enqueue(PAGE_JOB, {"group_id": group_id}, f"{PAGE_JOB}:{group_id}")
            rule = group.route.rule if group.route else None
            if group.is_new and rule is not None and rule.incident_action in ("declare", "attach"):
                self.enqueue(
                    INCIDENT_JOB,
                    {"group_id": group_id, "rule_id": rule.id},
                    f"{INCIDENT_JOB}:{group_id}",
                )
        if events:
            self.sql.insert_events(events)
