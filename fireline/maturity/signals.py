"""The maturity model's signals, measured from fireline's data over a
window (90 days by default). Exercises never count; restricted incidents
count only for those who may see them. A signal with too little to measure
(fewer than three security incidents in the window, say) is None, not zero: absence of
evidence is not evidence of failure, but it does not earn a level either.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fireline.alerts.models import AlertGroup, Integration
from fireline.catalog.models import Service
from fireline.comms.stakeholders.service import UPDATE_KIND
from fireline.core.deps import Principal
from fireline.incidents.models import ActionItem, Incident, TimelineEvent
from fireline.incidents.queries import visible_to
from fireline.incidents.sla import ClockKind, ClockStatus
from fireline.incidents.sla_timers import clocks
from fireline.plan.schema import Plan
from fireline.playbooks import library
from fireline.postmortems.models import PostMortem
from fireline.security.models import ClassificationRecord
from fireline.security.obligations.clocks import State
from fireline.security.obligations.models import IncidentObligation
from fireline.security.obligations.tracking import clocks_of

WINDOW = timedelta(days=90)
MAJOR = 2  # the two most severe severities of the plan, SEV1 and SEV2 by default
_DONE = (ClockStatus.met,)
_FAILED = (ClockStatus.missed, ClockStatus.breached)


# Fewer cases than this say nothing about a practice: one lucky incident
# is not a measured process.
MIN_CASES = 3


def share(hits: int, total: int) -> float | None:
    return hits / total if total >= MIN_CASES else None


def measure(
    session: Session, plan: Plan, principal: Principal, now: datetime, window: timedelta = WINDOW
) -> dict[str, float | None]:
    since = now - window
    incidents = list(
        session.scalars(
            select(Incident).where(
                Incident.declared_at >= since,
                Incident.declared_at <= now,
                Incident.is_exercise.is_(False),
                visible_to(principal),
            )
        )
    )
    ids = [i.id for i in incidents]
    major_keys = {s.key for s in plan.severities[:MAJOR]}
    major = [i for i in incidents if i.severity in major_keys]
    security_types = {t.key for t in plan.incident_types if t.category == "security"}
    security = [i for i in incidents if i.type_key in security_types]
    return {
        **_detection(session, ids),
        **_sla(plan, incidents, now),
        "commander_share": share(
            sum(i.commander_id is not None for i in incidents), len(incidents)
        ),
        "updates_sent_share": _updated_share(session, major),
        "median_mttr_hours": _median_hours(
            [i.resolved_at - i.started_at for i in incidents if i.resolved_at]
        ),
        "postmortem_published_share": _published_share(session, major),
        "actions_on_time_share": _actions_on_time(session, ids),
        "security_classified_share": _classified_share(session, security),
        "obligations_on_time_share": _obligations_on_time(session, plan, security, now),
        "playbook_coverage": _playbook_coverage(session, plan),
        "exercises_last_quarter": float(
            session.scalar(
                select(func.count(Incident.id)).where(
                    Incident.is_exercise.is_(True), Incident.declared_at >= now - WINDOW
                )
            )
            or 0
        ),
        **_services(session),
    }


def _detection(session: Session, ids: Sequence[int]) -> dict[str, float | None]:
    from_alerts = set(
        session.scalars(
            select(AlertGroup.incident_id).where(AlertGroup.incident_id.in_(ids)).distinct()
        )
    )
    return {"alert_detected_share": share(len(from_alerts), len(ids))}


def _sla(plan: Plan, incidents: Sequence[Incident], now: datetime) -> dict[str, float | None]:
    found: dict[ClockKind, list[bool]] = {ClockKind.response: [], ClockKind.resolution: []}
    for incident in incidents:
        for state in clocks(plan, incident, now):
            if state.status in _DONE or state.status in _FAILED:
                found[state.kind].append(state.status in _DONE)
    return {
        "response_sla_met": share(sum(found[ClockKind.response]), len(found[ClockKind.response])),
        "resolution_sla_met": share(
            sum(found[ClockKind.resolution]), len(found[ClockKind.resolution])
        ),
    }


def _updated_share(session: Session, major: Sequence[Incident]) -> float | None:
    ids = [i.id for i in major]
    told = set(
        session.scalars(
            select(TimelineEvent.incident_id)
            .where(
                TimelineEvent.incident_id.in_(ids),
                TimelineEvent.kind.in_((UPDATE_KIND, "public_update")),
            )
            .distinct()
        )
    )
    return share(len(told), len(ids))


def _median_hours(spans: list[timedelta]) -> float | None:
    if len(spans) < MIN_CASES:
        return None
    return statistics.median(s.total_seconds() for s in spans) / 3600


def _published_share(session: Session, major: Sequence[Incident]) -> float | None:
    # Only resolved incidents can have had their post-mortem yet.
    done = [i.id for i in major if i.resolved_at is not None]
    published = session.scalar(
        select(func.count(PostMortem.id)).where(
            PostMortem.incident_id.in_(done), PostMortem.status == "published"
        )
    )
    return share(published or 0, len(done))


def _actions_on_time(session: Session, ids: Sequence[int]) -> float | None:
    items = session.scalars(
        select(ActionItem).where(
            ActionItem.incident_id.in_(ids),
            ActionItem.due_date.is_not(None),
            ActionItem.closed_at.is_not(None),
        )
    ).all()
    on_time = sum(
        1
        for a in items
        if a.closed_at is not None and a.due_date and a.closed_at.date() <= a.due_date
    )
    return share(on_time, len(items))


def _classified_share(session: Session, security: Sequence[Incident]) -> float | None:
    ids = [i.id for i in security]
    decided = session.scalar(
        select(func.count(ClassificationRecord.id)).where(
            ClassificationRecord.incident_id.in_(ids), ClassificationRecord.decision.is_not(None)
        )
    )
    return share(decided or 0, len(ids))


def _obligations_on_time(
    session: Session, plan: Plan, security: Sequence[Incident], now: datetime
) -> float | None:
    """Stages whose deadline has passed or that were submitted: on time or not."""
    rows = session.scalars(
        select(IncidentObligation).where(
            IncidentObligation.incident_id.in_([i.id for i in security]),
            IncidentObligation.detached_at.is_(None),
        )
    ).all()
    outcomes = [
        clock.state is State.submitted
        for row in rows
        for clock in clocks_of(plan, row, now)
        if clock.state in (State.submitted, State.late, State.missed)
    ]
    return share(sum(outcomes), len(outcomes))


def _playbook_coverage(session: Session, plan: Plan) -> float | None:
    covered = {t for e in library.available(session, plan).values() for t in e.playbook.types}
    types = [t.key for t in plan.incident_types]
    return share(sum(t in covered for t in types), len(types))


def _services(session: Session) -> dict[str, float | None]:
    services = session.scalars(select(Service)).all()
    receiving = set(
        session.scalars(
            select(Integration.service_id).where(Integration.revoked_at.is_(None)).distinct()
        )
    )
    return {
        "services_with_integration": share(sum(s.id in receiving for s in services), len(services)),
        "services_with_policy": share(
            sum(s.escalation_policy_id is not None for s in services), len(services)
        ),
    }
