"""Every table, imported in one place so migrations and the archive see them all."""

from fireline.catalog.models import Service
from fireline.core.audit import AuditEvent
from fireline.core.db import Base
from fireline.core.jobs.models import Job, JobState
from fireline.incidents.models import (
    ActionItem,
    Incident,
    IncidentLink,
    IncidentService,
    Participant,
    RoleAssignment,
    Task,
    TimelineEvent,
)
from fireline.people.models import ApiToken, LoginFailure, Team, TeamMembership, User, WebSession

__all__ = [
    "ActionItem",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Incident",
    "IncidentLink",
    "IncidentService",
    "Job",
    "JobState",
    "LoginFailure",
    "Participant",
    "RoleAssignment",
    "Service",
    "Task",
    "Team",
    "TeamMembership",
    "TimelineEvent",
    "User",
    "WebSession",
]
