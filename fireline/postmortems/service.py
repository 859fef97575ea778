"""Post-mortem use cases, each in the caller's transaction: draft, edit, name
reviewers, submit, review, publish. Every step goes on the incident's
timeline (and so into the audit chain).

A post-mortem is required for the severities the plan names. When such an
incident resolves, a listener on the timeline queues a job that drafts it
(see ``jobs.py``): the listener cannot read the plan, the job can, and the
draft then exists whether the incident was resolved from a page, the API,
chat or the CLI.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Forbidden, InvalidInput, NotFound
from fireline.core.jobs import queue
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident, Participant, TimelineEvent
from fireline.notify.email import enqueue_email
from fireline.people.models import Role, User
from fireline.people.service import find_user
from fireline.plan.calendar import BusinessCalendar
from fireline.plan.schema import Plan
from fireline.postmortems import facts, schedule, template, workflow
from fireline.postmortems.models import PostMortem, Reviewer

MAX_BODY = 200_000
MAX_TITLE = 300
MAX_COMMENT = 5000
REQUIRE = "postmortem.require"
REMIND = "postmortem.remind"
SCHEDULE_ITEM = "action_item.schedule"


def get(session: Session, incident: Incident) -> PostMortem | None:
    return session.scalar(select(PostMortem).where(PostMortem.incident_id == incident.id))


def require(session: Session, incident: Incident) -> PostMortem:
    found = get(session, incident)
    if found is None:
        raise NotFound(f"{incident.ref} has no post-mortem yet; draft one first")
    return found


def _event(
    session: Session,
    incident: Incident,
    principal: Principal | None,
    now: datetime,
    kind: str,
    body: str = "",
    **data: object,
) -> TimelineEvent:
    return incidents.record_event(
        session, incident, kind=kind, principal=principal, now=now, body=body, data=dict(data)
    )


# --- drafting and editing -----------------------------------------------------------


def draft(
    session: Session, plan: Plan, principal: Principal | None, now: datetime, incident: Incident
) -> PostMortem:
    """Write the first draft from the incident's facts, with its due date and reminders."""
    if get(session, incident) is not None:
        raise workflow.WorkflowRefused(f"{incident.ref} has a post-mortem already; edit it")
    known = facts.gather(session, plan, incident)
    calendar = BusinessCalendar.from_plan(plan)
    due = schedule.due_date(calendar, incident.resolved_at or now, plan.postmortem.due)
    postmortem = PostMortem(
        incident_id=incident.id,
        status=workflow.DRAFT,
        title=template.title_of(known)[:MAX_TITLE],
        body=template.draft(known, plan.postmortem.sections),
        due_date=due,
        created_by_id=principal.user_id if principal else None,
        created_at=now,
        updated_at=now,
    )
    session.add(postmortem)
    session.flush()
    required = plan.postmortem.requires(incident.severity)
    _event(
        session,
        incident,
        principal,
        now,
        "postmortem_drafted",
        f"Post-mortem drafted, due {due.isoformat()}",
        postmortem_id=postmortem.id,
        due_date=due.isoformat(),
        required=required,
    )
    schedule_reminders(session, plan, now, incident, postmortem)
    return postmortem


def schedule_reminders(
    session: Session, plan: Plan, now: datetime, incident: Incident, postmortem: PostMortem
) -> None:
    """Timers before and at the due date, and the day after (overdue). Each
    re-reads the post-mortem when it fires: a published one, or one whose due
    date moved, is left alone."""
    if postmortem.due_date is None:
        return
    zone = ZoneInfo(plan.organisation.time_zone)
    due = postmortem.due_date.isoformat()
    points = schedule.reminder_times(
        zone, plan.business_hours.start, postmortem.due_date, plan.postmortem.remind_before, now
    )
    timers = [(f"reminder-{days}", at, days) for days, at in points]
    timers.append(("overdue", schedule.overdue_at(zone, postmortem.due_date), -1))
    for phase, at, days in timers:
        queue.enqueue(
            session,
            kind=REMIND,
            payload={"postmortem_id": postmortem.id, "phase": phase, "days": days, "due": due},
            now=now,
            due_at=max(at, now),
            idempotency_key=f"postmortem:{postmortem.id}:{phase}:{due}",
        )


def edit(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    body: str,
    title: str | None = None,
) -> PostMortem:
    postmortem = require(session, incident)
    workflow.check_editable(postmortem.status)
    if len(body) > MAX_BODY:
        raise InvalidInput(f"a post-mortem holds at most {MAX_BODY:,} characters", field="body")
    if title is not None:
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise InvalidInput(f"a title of 1 to {MAX_TITLE} characters is required", field="title")
        postmortem.title = title
    postmortem.body = body
    postmortem.updated_at = now
    # The text itself stays off the timeline: it is long, and it is on the post-mortem.
    _event(session, incident, principal, now, "postmortem_edited", characters=len(body))
    return postmortem


# --- reviewers and the workflow -----------------------------------------------------


def add_reviewer(
    session: Session, principal: Principal, now: datetime, incident: Incident, user_ref: str
) -> Reviewer:
    postmortem = require(session, incident)
    workflow.check_reviewers_changeable(postmortem.status)
    user = _user(session, user_ref)
    if not Role(user.role).allows(Role.responder):
        raise InvalidInput(f"{user.name} is a viewer and cannot review", field="user")
    if incident.restricted and not _may_see(session, incident, user):
        raise InvalidInput(
            f"{user.name} cannot see this restricted incident; add them to it first", field="user"
        )
    if any(r.user_id == user.id for r in postmortem.reviewers):
        raise InvalidInput(f"{user.name} is a reviewer already", field="user")
    reviewer = Reviewer(user_id=user.id, decision=workflow.PENDING, comment="")
    postmortem.reviewers.append(reviewer)
    postmortem.updated_at = now
    session.flush()
    _event(
        session,
        incident,
        principal,
        now,
        "postmortem_reviewer_added",
        user.name,
        user_id=user.id,
    )
    return reviewer


def remove_reviewer(
    session: Session, principal: Principal, now: datetime, incident: Incident, user_ref: str
) -> None:
    postmortem = require(session, incident)
    workflow.check_reviewers_changeable(postmortem.status)
    user = _user(session, user_ref)
    reviewer = next((r for r in postmortem.reviewers if r.user_id == user.id), None)
    if reviewer is None:
        raise NotFound(f"{user.name} is not a reviewer of this post-mortem")
    postmortem.reviewers.remove(reviewer)
    postmortem.updated_at = now
    _event(
        session, incident, principal, now, "postmortem_reviewer_removed", user.name, user_id=user.id
    )


def submit(session: Session, principal: Principal, now: datetime, incident: Incident) -> PostMortem:
    postmortem = require(session, incident)
    workflow.check_submit(postmortem.status, len(postmortem.reviewers), postmortem.body)
    postmortem.status = workflow.IN_REVIEW
    postmortem.submitted_at = now
    postmortem.updated_at = now
    for reviewer in postmortem.reviewers:
        reviewer.decision, reviewer.comment, reviewer.decided_at = workflow.PENDING, "", None
    submitted = _event(
        session,
        incident,
        principal,
        now,
        "postmortem_submitted",
        "Post-mortem submitted for review",
        reviewers=[r.user_id for r in postmortem.reviewers],
    )
    for reviewer in postmortem.reviewers:
        enqueue_email(
            session,
            to=reviewer.user.email,
            subject=f"[{incident.ref}] Post-mortem ready for your review: {postmortem.title}",
            body=f"{principal.name} asks you to review the post-mortem of {incident.ref}."
            f"\n\nApprove it, or request changes with a comment, at /postmortems/{incident.ref}\n",
            now=now,
            idempotency_key=f"postmortem-review:{submitted.id}:{reviewer.user_id}",
        )
    return postmortem


def review(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    *,
    decision: str,
    comment: str = "",
) -> PostMortem:
    postmortem = require(session, incident)
    workflow.check_review(postmortem.status, decision, comment)
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"a comment holds at most {MAX_COMMENT:,} characters", field="comment")
    reviewer = next((r for r in postmortem.reviewers if r.user_id == principal.user_id), None)
    if reviewer is None:
        raise Forbidden("only the named reviewers review this post-mortem")
    reviewer.decision, reviewer.comment, reviewer.decided_at = decision, comment.strip(), now
    postmortem.status = workflow.status_after_review(decision)
    postmortem.updated_at = now
    words = "approved" if decision == workflow.APPROVED else "requested changes"
    _event(
        session,
        incident,
        principal,
        now,
        "postmortem_reviewed",
        f"{principal.name} {words}" + (f": {comment.strip()}" if comment.strip() else ""),
        decision=decision,
        status=postmortem.status,
    )
    return postmortem


def publish(
    session: Session, principal: Principal, now: datetime, incident: Incident
) -> PostMortem:
    postmortem = require(session, incident)
    workflow.check_publish(postmortem.status, [r.decision for r in postmortem.reviewers])
    postmortem.status = workflow.PUBLISHED
    postmortem.published_at = now
    postmortem.published_by_id = principal.user_id
    postmortem.updated_at = now
    incidents.record_event(
        session,
        incident,
        kind="postmortem_published",
        principal=principal,
        now=now,
        body="Post-mortem published",
        data={"postmortem_id": postmortem.id},
        pinned=True,
    )
    return postmortem


def _user(session: Session, ref: str) -> User:
    if not ref.strip():
        raise InvalidInput("name the reviewer by e-mail or id", field="user")
    try:
        return find_user(session, ref)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="user") from None


def _may_see(session: Session, incident: Incident, user: User) -> bool:
    if Role(user.role).allows(Role.admin):
        return True
    return (
        session.scalar(
            select(Participant.id).where(
                Participant.incident_id == incident.id, Participant.user_id == user.id
            )
        )
        is not None
    )


# --- reacting to the timeline -------------------------------------------------------


def _on_event(session: Session, incident: Incident, event: TimelineEvent) -> None:
    now = event.recorded_at
    if event.kind == "status_changed" and "resolved" in event.data.get("milestones", []):
        queue.enqueue(
            session,
            kind=REQUIRE,
            payload={"incident_id": incident.id},
            now=now,
            idempotency_key=f"postmortem-require:{incident.id}",
        )
    elif event.kind in ("action_item_added", "action_item_updated"):
        queue.enqueue(
            session,
            kind=SCHEDULE_ITEM,
            payload={"action_item_id": event.data["action_item_id"]},
            now=now,
            idempotency_key=f"action-item-schedule:{event.id}",
        )


incidents.on_event(_on_event)
