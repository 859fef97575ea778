"""Integrations, alerts, alert groups and what decides their fate: routing
rules, silences, maintenance windows, heartbeats; and change events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.catalog.models import Service
from fireline.core.db import Base, JSONType
from fireline.people.models import User

GROUP_REF_PREFIX = "AG-"


class Integration(Base):
    """A monitoring source sending to a service, authenticated by its own key.

    The key is shown once; only its SHA-256 is stored (it carries 128 random
    bits, so a fast hash is enough) with its last four characters as a hint."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    # Labels whose values form the grouping key; empty: the source's default.
    group_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    auto_resolve_minutes: Mapped[int | None] = mapped_column(default=None)
    rate_limit_per_minute: Mapped[int] = mapped_column(default=60_000)  # 0: no limit
    flap_count: Mapped[int] = mapped_column(default=4)
    flap_minutes: Mapped[int] = mapped_column(default=30)
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    service: Mapped[Service] = relationship()


class AlertGroup(Base):
    """The open alerts of one service sharing a grouping key: the unit that pages."""

    __tablename__ = "alert_groups"
    __table_args__ = (
        # At most one open group per service and key, even with many ingest processes.
        Index(
            "ux_alert_groups_open_key",
            "service_id",
            "group_key",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
        Index("ix_alert_groups_open_updated", "is_open", "updated_at"),
        Index("ix_alert_groups_service_key_created", "service_id", "group_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), default=None
    )
    group_key: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))  # triggered|acknowledged|resolved|silenced
    is_open: Mapped[bool] = mapped_column(default=True)
    urgency: Mapped[str] = mapped_column(String(8), default="high")
    severity: Mapped[str] = mapped_column(String(16))
    escalation_policy: Mapped[str | None] = mapped_column(String(200), default=None)
    routing_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_rules.id", ondelete="SET NULL"), default=None
    )
    silenced_by: Mapped[str | None] = mapped_column(String(200), default=None)
    flapping: Mapped[bool] = mapped_column(default=False)
    alert_count: Mapped[int] = mapped_column(default=0)
    active_count: Mapped[int] = mapped_column(default=0)
    event_count: Mapped[int] = mapped_column(default=0)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_alert_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    service: Mapped[Service] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()

    @property
    def ref(self) -> str:
        return f"{GROUP_REF_PREFIX}{self.id}"


class Alert(Base):
    """One signal, identified within its integration by its dedup key."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "ux_alerts_open_dedup",
            "integration_id",
            "dedup_key",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
        Index("ix_alerts_group", "group_id", "id"),
        Index("ix_alerts_open_last_seen", "is_open", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # firing|resolved
    is_open: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(1024), default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    links: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    silenced_by: Mapped[str | None] = mapped_column(String(200), default=None)
    count: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AlertGroupEvent(Base):
    """The alert group's timeline: opened, acknowledged, paged, resolved, and why."""

    __tablename__ = "alert_group_events"
    __table_args__ = (Index("ix_alert_group_events_group", "group_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    actor: Mapped[User | None] = relationship()


class RoutingRule(Base):
    """Ordered label matchers choosing service, urgency and escalation policy,
    and optionally declaring an incident or attaching to the service's open one."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), default=None
    )
    matchers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), default=None
    )
    urgency: Mapped[str | None] = mapped_column(String(8), default=None)
    escalation_policy: Mapped[str | None] = mapped_column(String(200), default=None)
    incident_action: Mapped[str] = mapped_column(String(16), default="none")  # none|declare|attach
    incident_severity: Mapped[str | None] = mapped_column(String(16), default=None)
    incident_type: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    service: Mapped[Service | None] = relationship()


class Silence(Base):
    """Matchers and a window: matching alerts are kept but page nobody."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_window", "ends_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    expired_at: Mapped[datetime | None] = mapped_column(default=None)

    created_by: Mapped[User | None] = relationship()


class MaintenanceWindow(Base):
    """A service's planned work, one-off or repeating daily or weekly."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    repeat: Mapped[str] = mapped_column(String(8), default="none")  # none|daily|weekly
    repeat_until: Mapped[datetime | None] = mapped_column(default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]

    service: Mapped[Service] = relationship()


class Heartbeat(Base):
    """A dead man's switch: a ping is expected every period, plus grace."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), unique=True
    )
    period_seconds: Mapped[int]
    grace_seconds: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="new")  # new|up|down
    last_ping_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)

    integration: Mapped[Integration] = relationship()


class ChangeEvent(Base):
    """A deploy, config change or feature-flag flip: the answer to "what changed?"."""

    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_service_at", "service_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16))  # deploy|config|flag|other
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(1024), default="")
    at: Mapped[datetime]
    received_at: Mapped[datetime]
    links: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)

    service: Mapped[Service] = relationship()


# The open-only unique indexes are partial ("WHERE is_open"). SQLite uses a
# partial index only when the query repeats its condition word for word, and
# SQLAlchemy writes a Boolean-typed column as "is_open = 1" there; these are
# untyped so that they are written as the index says it, and finding an open
# alert by key stays an index lookup (tests/alerts/test_query_plans.py).
OPEN_ALERT: ColumnElement[bool] = literal_column("alerts.is_open")
OPEN_GROUP: ColumnElement[bool] = literal_column("alert_groups.is_open")
