"""Every table, imported in one place so migrations and the archive see them all."""

from fireline.catalog.models import Service
from fireline.core.audit import AuditEvent
from fireline.core.db import Base
from fireline.core.jobs.models import Job, JobState
from fireline.people.models import ApiToken, LoginFailure, Team, TeamMembership, User, WebSession

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Job",
    "JobState",
    "LoginFailure",
    "Service",
    "Team",
    "TeamMembership",
    "User",
    "WebSession",
]
