"""Paging people for an incident through an escalation policy.

An incident is paged when its commander came from on-call (nobody took
command by hand) or when a responder asks for more people. The page's
acknowledgement belongs to the page: an incident is "acknowledged" for its
response clock once, while several pages may run during its life. Resolving
a page from its one-click link stops the paging; it does not resolve the
incident, which has a lifecycle of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.incidents.models import Incident
from fireline.incidents.service import record_event
from fireline.oncall import paging
from fireline.oncall.models import EscalationPolicy, Page
from fireline.oncall.policies import find_policy

SUBJECT = "incident"
URGENCIES = ("high", "low")


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} is gone", field="page")
    return incident


def _write(
    session: Session, incident_id: int, kind: str, text: str, now: datetime, data: dict[str, Any]
) -> None:
    incident = session.get(Incident, incident_id)
    if incident is not None:
        record_event(session, incident, kind=kind, principal=None, now=now, body=text, data=data)


def _state(session: Session, incident_id: int) -> str:
    incident = session.get(Incident, incident_id)
    # Acknowledgement is the page's own state (see the module's docstring).
    return "open" if incident is not None and incident.is_open else "resolved"


def _act(
    session: Session, incident_id: int, action: str, principal: Principal, now: datetime
) -> None:
    incident = _incident(session, incident_id)
    page = paging.active_page(session, SUBJECT, incident_id)
    if action == "acknowledge":
        if incident.acknowledged_at is None:
            incident.acknowledged_at = now  # the response clock stops here
        record_event(
            session,
            incident,
            kind="page_acknowledged",
            principal=principal,
            now=now,
            body=f"{principal.name} acknowledged the page",
        )
        paging.acknowledged(session, SUBJECT, incident_id, principal.user_id, now)
    elif action == "resolve":
        record_event(
            session,
            incident,
            kind="page_resolved",
            principal=principal,
            now=now,
            body=f"{principal.name} stopped the page; the incident stays {incident.status}",
        )
        paging.resolved(session, SUBJECT, incident_id, now)
    elif action == "escalate":
        if page is None:
            raise Conflict("no page is running for this incident", field="page")
        record_event(
            session,
            incident,
            kind="page_escalated",
            principal=principal,
            now=now,
            body=f"{principal.name} escalated the page",
        )
        paging.escalate(session, page, now)


def _reopen(session: Session, incident_id: int, why: str, now: datetime) -> None:
    """Nothing to undo: an incident's acknowledgement is its page's own."""


paging.register_subject(
    SUBJECT, paging.Subject(write=_write, state=_state, act=_act, reopen=_reopen)
)


def policy_of_services(session: Session, services: list[Service]) -> EscalationPolicy | None:
    """The escalation policy of the first affected service that has one."""
    for service in services:
        if service.escalation_policy_id is not None:
            return session.get(EscalationPolicy, service.escalation_policy_id)
    return None


def urgency_for(severity: str) -> str:
    # The two most severe levels wake people; the others wait for the morning.
    return "high" if severity in ("SEV1", "SEV2") else "low"


def start(
    session: Session,
    incident: Incident,
    *,
    now: datetime,
    policy: EscalationPolicy,
    urgency: str | None = None,
    principal: Principal | None = None,
) -> Page:
    """Page through ``policy`` for the incident; one page runs at a time."""
    if not incident.is_open:
        raise Conflict(
            f"{incident.ref} is {incident.status}; nothing to page for", field="incident"
        )
    chosen = urgency or urgency_for(incident.severity)
    if chosen not in URGENCIES:
        raise InvalidInput("expected high or low", field="urgency")
    running = paging.active_page(session, SUBJECT, incident.id)
    if running is not None:
        raise Conflict(
            f"page {running.id} is already running for {incident.ref}: escalate or reassign it",
            field="incident",
        )
    if principal is not None:
        record_event(
            session,
            incident,
            kind="page_requested",
            principal=principal,
            now=now,
            body=f"{principal.name} paged {policy.name}",
            data={"policy": policy.slug, "urgency": chosen},
        )
    return paging.start(
        session,
        subject_type=SUBJECT,
        subject_id=incident.id,
        title=f"{incident.ref} [{incident.severity}] {incident.title}",
        urgency=chosen,
        policy=policy,
        now=now,
    )


def page_by_request(
    session: Session,
    incident: Incident,
    *,
    principal: Principal,
    now: datetime,
    policy_ref: str | None,
    urgency: str | None,
) -> Page:
    """A responder pages a policy (or the affected services' policy)."""
    if policy_ref:
        try:
            policy = find_policy(session, policy_ref)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="escalation_policy") from None
    else:
        found = policy_of_services(session, list(incident.services))
        if found is None:
            raise InvalidInput(
                "no affected service has an escalation policy: name one", field="escalation_policy"
            )
        policy = found
    return start(session, incident, now=now, policy=policy, urgency=urgency, principal=principal)
