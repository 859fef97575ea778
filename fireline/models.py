"""Every table, imported in one place so migrations and the archive see them all."""

from fireline.alerts.models import (
    Alert,
    AlertGroup,
    AlertGroupEvent,
    ChangeEvent,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from fireline.catalog.models import Service
from fireline.comms.rooms.models import ChatRoom
from fireline.comms.slack.models import SlackChannel
from fireline.comms.status.models import (
    Component,
    ComponentGroup,
    ComponentService,
    ComponentStatusChange,
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusPageSettings,
    Subscriber,
    UpdateTemplate,
)
from fireline.core.audit import AuditEvent
from fireline.core.db import Base
from fireline.core.jobs.models import Job, JobState
from fireline.core.signing import InstanceKey
from fireline.exercises.models import (
    ExerciseInject,
    ExerciseObjective,
    ExerciseRun,
    StoredScenario,
)
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
from fireline.maturity.models import MaturityAnswer
from fireline.oncall.models import (
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    Notification,
    NotificationRule,
    Page,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from fireline.people.models import ApiToken, LoginFailure, Team, TeamMembership, User, WebSession
from fireline.playbooks.models import PlaybookRun, RunStep, StoredPlaybook
from fireline.postmortems.models import PostMortem, Reviewer
from fireline.security.evidence.models import CustodyRecord, EvidenceItem
from fireline.security.models import (
    ApprovalDecision,
    ApprovalRequest,
    ClassificationRecord,
    ConfidentialNote,
)
from fireline.security.obligations.models import (
    IncidentObligation,
    ObligationDocument,
    ObligationMoment,
    ObligationSubmission,
)
from fireline.security.observables.models import IncidentObservable, IncidentTechnique

__all__ = [
    "ActionItem",
    "Alert",
    "AlertGroup",
    "AlertGroupEvent",
    "ApiToken",
    "ApprovalDecision",
    "ApprovalRequest",
    "AuditEvent",
    "Base",
    "CalendarFeed",
    "ChangeEvent",
    "ChatRoom",
    "ClassificationRecord",
    "Component",
    "ComponentGroup",
    "ComponentService",
    "ComponentStatusChange",
    "ConfidentialNote",
    "ContactMethod",
    "CustodyRecord",
    "EscalationPolicy",
    "EvidenceItem",
    "ExerciseInject",
    "ExerciseObjective",
    "ExerciseRun",
    "Heartbeat",
    "Incident",
    "IncidentLink",
    "IncidentObligation",
    "IncidentObservable",
    "IncidentService",
    "IncidentTechnique",
    "InstanceKey",
    "Integration",
    "Job",
    "JobState",
    "LoginFailure",
    "MaintenanceWindow",
    "MaturityAnswer",
    "Notification",
    "NotificationRule",
    "ObligationDocument",
    "ObligationMoment",
    "ObligationSubmission",
    "Page",
    "Participant",
    "PlaybookRun",
    "PostMortem",
    "PublicIncident",
    "PublicIncidentComponent",
    "PublicUpdate",
    "Reviewer",
    "RoleAssignment",
    "RoutingRule",
    "RunStep",
    "Schedule",
    "ScheduleLayer",
    "ScheduleOverride",
    "Service",
    "Silence",
    "SlackChannel",
    "StatusPageSettings",
    "StoredPlaybook",
    "StoredScenario",
    "Subscriber",
    "Task",
    "Team",
    "TeamMembership",
    "TimelineEvent",
    "UpdateTemplate",
    "User",
    "WebSession",
]
