"""The public status page: its look, components in groups, public incidents
and scheduled maintenance with their updates, templates, and subscribers.

Public incidents are separate from internal incidents on purpose: what a
customer reads is written for them, and an internal incident may have none
(or, through ``incident_id``, exactly one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fireline.core.db import Base, JSONType

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
CLOSED_STATUSES = ("resolved", "completed")


class StatusPageSettings(Base):
    """One row: the page's name, logo and colours."""

    __tablename__ = "status_page_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id consumers of the Statuspage v2 JSON see as page.id.
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    logo_url: Mapped[str] = mapped_column(String(2000), default="")
    brand_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    support_url: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime]


class ComponentGroup(Base):
    __tablename__ = "status_component_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    components: Mapped[list[Component]] = relationship(
        back_populates="group", order_by="Component.position, Component.id"
    )


class Component(Base):
    __tablename__ = "status_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_component_groups.id", ondelete="SET NULL"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(32), default="operational")
    position: Mapped[int] = mapped_column(default=0)
    # Shown only while not operational (Statuspage's only_show_if_degraded).
    only_show_if_degraded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")
    services: Mapped[list[Any]] = relationship(
        "Service", secondary="status_component_services", order_by="Service.name"
    )


class ComponentService(Base):
    """Which catalogue services a component stands for: an incident on a
    service suggests its components when a public update is posted."""

    __tablename__ = "status_component_services"

    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )


class ComponentStatusChange(Base):
    """Every status a component took, and when: the uptime bars' source."""

    __tablename__ = "status_component_changes"
    __table_args__ = (Index("ix_status_component_changes_at", "component_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class PublicIncident(Base):
    """A public incident or, with ``kind`` "maintenance", a scheduled maintenance."""

    __tablename__ = "status_incidents"
    __table_args__ = (Index("ix_status_incidents_kind_created", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="incident")
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(32))
    impact: Mapped[str] = mapped_column(String(16), default="none")
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(default=None)
    scheduled_until: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime]
    monitoring_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    updates: Mapped[list[PublicUpdate]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="(PublicUpdate.at.desc(), PublicUpdate.id.desc())",
    )
    components: Mapped[list[Component]] = relationship(
        secondary="status_incident_components", order_by="Component.position, Component.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class PublicIncidentComponent(Base):
    __tablename__ = "status_incident_components"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("status_incidents.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True
    )


class PublicUpdate(Base):
    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("status_incidents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # [{"code", "name", "old_status", "new_status"}] as Statuspage reports them.
    affected_components: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    notify_subscribers: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime]

    incident: Mapped[PublicIncident] = relationship(back_populates="updates")


class UpdateTemplate(Base):
    """Words ready for a stressful moment: a title and body per situation."""

    __tablename__ = "status_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="investigating")
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Subscriber(Base):
    """Someone told about public updates: by e-mail once they confirm, or a
    webhook. ``components`` empty means every component."""

    __tablename__ = "status_subscribers"
    __table_args__ = (Index("ix_status_subscribers_kind_target", "kind", "target", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(String(2000))  # the address or the URL
    component_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Mixed into the HMAC of the subscriber's confirm and unsubscribe links
    # (see subscriptions.py); a new one voids every link sent before.
    nonce: Mapped[str] = mapped_column(String(32))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the last confirmation mail was queued: another waits a while.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
