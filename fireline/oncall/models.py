"""On-call tables: how to reach people, schedules, escalation policies, and
the pages in flight with every notification they sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base, JSONType
from fireline.people.models import Team, User


class ContactMethod(Base):
    """One way to reach a person: a channel kind and its target (an address,
    a webhook URL, an Apprise URL...). Targets may hold provider secrets the
    channel needs to send, so they are shown only redacted."""

    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class NotificationRule(Base):
    """ "Use this contact method N minutes into a page", per urgency."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    urgency: Mapped[str] = mapped_column(String(8))  # high | low
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE")
    )
    delay_minutes: Mapped[int] = mapped_column(default=0)

    contact_method: Mapped[ContactMethod] = relationship()


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship()
    layers: Mapped[list[ScheduleLayer]] = relationship(
        order_by="ScheduleLayer.position", cascade="all, delete-orphan"
    )


class ScheduleLayer(Base):
    """A rotation (people in order, a length, a handoff) or an imported feed.

    ``position`` orders layers bottom-up: the highest layer with someone on
    call wins."""

    __tablename__ = "schedule_layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    user_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    rotation_unit: Mapped[str] = mapped_column(String(8), default="weeks")  # hours|days|weeks
    rotation_length: Mapped[int] = mapped_column(default=1)
    # The first handoff, as wall-clock time in the schedule's zone ("2026-11-02T09:00").
    handoff: Mapped[str] = mapped_column(String(32))
    # [{"days": [0..6], "start": "09:00", "end": "17:00"}], empty: all the time.
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    # An imported iCalendar feed: its URL and the shifts read at the last import.
    ical_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    imported_shifts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    imported_at: Mapped[datetime | None] = mapped_column(default=None)
    import_error: Mapped[str | None] = mapped_column(String(500), default=None)


class ScheduleOverride(Base):
    """Someone covers a window. With ``replaces_user_id`` it is a shift swap:
    the cover applies only where that person would have been on call."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_window", "schedule_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    replaces_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CalendarFeed(Base):
    """A secret iCalendar URL for a schedule or for one person's shifts.
    Only the token's SHA-256 is kept; the URL is shown when it is made."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    # How many times the whole policy runs again when nobody acknowledges.
    repeat: Mapped[int] = mapped_column(default=0)
    # Re-page this long after an acknowledgement that led nowhere; None: never.
    ack_timeout_minutes: Mapped[int | None] = mapped_column(default=None)
    # Steps: [{"delay_minutes": 10, "targets": [{"type": "user", "id": 3}, ...]}]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Round-robin steps remember whose turn is next.
    round_robin: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship()


class Page(Base):
    """An escalation in flight for an alert group or an incident.

    The policy is copied in when paging starts, so later edits never change
    a page already on its way."""

    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # alert_group | incident
    subject_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(1024))
    urgency: Mapped[str] = mapped_column(String(8))
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL"), default=None
    )
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # active | acknowledged | resolved | exhausted
    status: Mapped[str] = mapped_column(String(16), default="active")
    step: Mapped[int] = mapped_column(default=0)
    loop: Mapped[int] = mapped_column(default=0)
    # Bumped by every (re)start, so that timers of an earlier run do nothing.
    generation: Mapped[int] = mapped_column(default=0)
    escalates: Mapped[bool] = mapped_column(default=True)
    next_step_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    assigned_user_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)


class Notification(Base):
    """One message to one person through one contact method, and its fate."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_page", "page_id", "id"),
        Index("ix_notifications_user_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default="page")  # page | test | verify
    channel: Mapped[str] = mapped_column(String(32))
    step: Mapped[int] = mapped_column(default=0)
    # queued | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="queued")
    detail: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
