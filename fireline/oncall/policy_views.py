"""Escalation policy pages: the list, one policy's steps with who they would
page now, and the new-policy form with its plain steps editor.

The editor has a few step rows; each picks its targets (people, schedules,
teams) from one list, says whether to page them all or take turns among
people (a round-robin), and how long to wait before the next step. Blank
rows are skipped, so it needs no JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import as_row_id
from fireline.oncall import policies
from fireline.oncall.escalation import MAX_DELAY_MINUTES, MAX_REPEAT, MAX_STEPS, Step
from fireline.oncall.models import EscalationPolicy, Schedule
from fireline.oncall.schedule_views import current_shift
from fireline.oncall.view_kit import (
    failed,
    not_found,
    page,
    people,
    posted,
    see,
    teams,
    text,
    unreachable,
    values_of,
    whole_number,
)
from fireline.people.models import Team, TeamMembership, User
from fireline.web.pages import page_manager, page_viewer

router = APIRouter(prefix="/policies", include_in_schema=False)

STEP_ROWS = 5
PICKABLE = ("user", "schedule", "team")
MODES = {"all": "page everyone chosen", "round_robin": "take turns (people only)"}
POLICY_FIELDS = ("slug", "name", "description", "team", "repeat", "ack_timeout_minutes")
STEP_PARTS = ("targets", "mode", "delay_minutes")
STEP_FIELD = re.compile(r"^steps\[(\d+)\](\.[a-z_]+)?")


# --- the steps editor --------------------------------------------------------------


def row_count(form: FormData) -> int:
    """How many step rows the editor showed: more than the usual when the
    policy being edited has more steps."""
    shown = as_row_id(str(form.get("rows") or ""))
    return min(max(shown or STEP_ROWS, STEP_ROWS), MAX_STEPS)


def steps_of(form: FormData) -> tuple[list[dict[str, Any]], list[int]]:
    """The steps the rows describe, and for each step the row it came from."""
    steps, rows = [], []
    for row in range(row_count(form)):
        field = f"steps[{row}]"
        picked = [str(v) for v in form.getlist(f"{field}.targets") if str(v).strip()]
        if not picked:
            continue  # a blank row
        targets = [_target(value, f"{field}.targets") for value in picked]
        mode = text(form, f"{field}.mode", 20) or "all"
        if mode not in MODES:
            raise InvalidInput("expected all or round_robin", field=f"{field}.mode")
        if mode == "round_robin":
            if any(t["type"] != "user" for t in targets):
                raise InvalidInput(
                    "a round-robin takes turns among people", field=f"{field}.targets"
                )
            targets = [{"type": "round_robin", "ids": [t["id"] for t in targets]}]
        delay = whole_number(form, f"{field}.delay_minutes", default=15)
        steps.append({"delay_minutes": delay, "targets": targets})
        rows.append(row)
    return steps, rows


def _target(value: str, field: str) -> dict[str, Any]:
    kind, _, ref = value.partition(":")
    target_id = as_row_id(ref)
    if kind not in PICKABLE or target_id is None:
        raise InvalidInput("expected a person, a schedule or a team from the list", field=field)
    return {"type": kind, "id": target_id}


def row_field(field: str | None, rows: Sequence[int]) -> str:
    """The editor's input for a use case's ``steps[n]...`` field: step n came
    from row ``rows[n]``; a target's own field is the row's target list."""
    found = STEP_FIELD.match(field or "")
    if field == "steps" or not rows:
        return "steps[0].targets"
    if found is None:
        return field or "steps[0].targets"
    step = int(found.group(1))
    row = rows[step] if step < len(rows) else step
    part = found.group(2) or ".targets"
    return f"steps[{row}]{part if part in ('.delay_minutes', '.mode') else '.targets'}"


def _editor_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = values_of(form, POLICY_FIELDS)
    for row in range(row_count(form)):
        field = f"steps[{row}]"
        values[f"{field}.targets"] = [str(v) for v in form.getlist(f"{field}.targets")]
        values[f"{field}.mode"] = text(form, f"{field}.mode", 20, check=False)
        values[f"{field}.delay_minutes"] = text(form, f"{field}.delay_minutes", 20, check=False)
    return values


# --- what the policy page shows ----------------------------------------------------


Row = TypeVar("Row", User, Schedule, Team)


def _by_id(session: Session, model: type[Row], ids: set[int]) -> dict[int, Row]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def described_steps(
    session: Session, steps: Sequence[Step], now: datetime
) -> tuple[list[dict[str, Any]], set[int]]:
    """Each step's targets with names and who they reach now, and everyone
    the policy could page (for the reachability warnings)."""
    ids: dict[str, set[int]] = {kind: set() for kind in ("user", "schedule", "team")}
    for step in steps:
        for target in step.targets:
            ids["user" if target.type == "round_robin" else target.type].update(target.ids)
    found_users = _by_id(session, User, ids["user"])
    found_schedules = _by_id(session, Schedule, ids["schedule"])
    found_teams = _by_id(session, Team, ids["team"])
    reachable = set(ids["user"])
    described = []
    for step in steps:
        targets = []
        for target in step.targets:
            if target.type == "user":
                user = found_users.get(target.ids[0])
                targets.append(
                    {
                        "kind": "person",
                        "name": user.name if user else f"user {target.ids[0]} (gone)",
                    }
                )
            elif target.type == "round_robin":
                names = [
                    found_users[i].name if i in found_users else f"user {i}" for i in target.ids
                ]
                targets.append({"kind": "round-robin", "name": ", then ".join(names)})
            elif target.type == "schedule":
                schedule = found_schedules.get(target.ids[0])
                targets.append(_schedule_target(session, schedule, now, reachable))
            else:
                team = found_teams.get(target.ids[0])
                members = _members(session, team) if team else []
                reachable.update(m.id for m in members)
                targets.append(
                    {
                        "kind": "team",
                        "name": team.name if team else f"team {target.ids[0]} (gone)",
                        "detail": ", ".join(m.name for m in members) or "no members",
                    }
                )
        described.append({"delay_minutes": step.delay_minutes, "targets": targets})
    return described, reachable


def _schedule_target(
    session: Session, schedule: Schedule | None, now: datetime, reachable: set[int]
) -> dict[str, Any]:
    if schedule is None:
        return {"kind": "schedule", "name": "a deleted schedule"}
    reachable.update(uid for layer in schedule.layers for uid in layer.user_ids)
    shift = current_shift(session, schedule, now)
    on_call = session.get(User, shift.user_id) if shift else None
    return {
        "kind": "schedule",
        "name": schedule.name,
        "href": f"/oncall/schedules/{schedule.slug}",
        "detail": f"on call now: {on_call.name}" if on_call else "nobody is on call now",
    }


def _members(session: Session, team: Team) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team.id)
            .order_by(User.name)
        )
    )


def _policy(session: Session, principal: Principal, slug: str) -> EscalationPolicy:
    try:
        return policies.find_policy(session, slug)
    except NotFound as exc:
        raise not_found(principal, exc) from None


# --- pages -------------------------------------------------------------------------


@router.get("")
def policy_list(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    rows = list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name)))
    used: dict[int, list[Service]] = {}
    for service in session.scalars(
        select(Service).where(Service.escalation_policy_id.is_not(None)).order_by(Service.name)
    ):
        used.setdefault(service.escalation_policy_id or 0, []).append(service)
    context = {"title": "Escalation policies", "policies": rows, "used": used}
    return page(request, principal, now, "oncall/policies.html", context)


def _editor(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    editing: EscalationPolicy | None = None,
    rows: int = STEP_ROWS,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The policy editor: a new policy, or ``editing`` one."""
    context = {
        "title": f"Edit {editing.name}" if editing else "New escalation policy",
        "editing": editing,
        "form": {"repeat": "0"},
        "rows": range(rows),
        # Every input of the form, so an error about none of them shows above it.
        "fields": [
            *POLICY_FIELDS,
            *(f"steps[{r}].{part}" for r in range(rows) for part in STEP_PARTS),
        ],
        "modes": MODES,
        "people": people(session),
        "schedules": list(session.scalars(select(Schedule).order_by(Schedule.name))),
        "teams": teams(session),
        "max_repeat": MAX_REPEAT,
        "max_delay": MAX_DELAY_MINUTES,
        **extra,
    }
    return page(request, principal, now, "oncall/policy_new.html", context, status=status)


def _form_of(policy: EscalationPolicy) -> dict[str, Any]:
    """The editor's values for a stored policy."""
    values: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "repeat": str(policy.repeat),
        "ack_timeout_minutes": str(policy.ack_timeout_minutes or ""),
    }
    for row, step in enumerate(policy.steps):
        field = f"steps[{row}]"
        picked, mode = [], "all"
        for target in step["targets"]:
            kind = target["type"]
            if kind == "round_robin":
                mode, kind = "round_robin", "user"
            picked += [f"{kind}:{i}" for i in target.get("ids", [])]
        values[f"{field}.targets"] = picked
        values[f"{field}.mode"] = mode
        values[f"{field}.delay_minutes"] = str(step["delay_minutes"])
    return values


@router.get("/new")
def new_policy_form(
    request: Request,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _editor(request, principal, session, now)


@router.post("/new")
def create_policy(
    request: Request,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    rows: list[int] | None = None  # known once the rows are read; their own errors name them
    try:
        steps, rows = steps_of(form)
        team = text(form, "team", 64)
        try:
            row = policies.create_policy(
                session,
                actor=principal.actor,
                now=now,
                slug=text(form, "slug", 64),
                name=text(form, "name", 200),
                description=text(form, "description", 2000),
                steps=steps,
                repeat=whole_number(form, "repeat", default=0) or 0,
                ack_timeout_minutes=whole_number(form, "ack_timeout_minutes"),
                team=team or None,
            )
        except NotFound as exc:  # the only lookup by name is the team's
            raise InvalidInput(exc.message, field="team") from None
    except AppError as exc:
        session.rollback()
        error = failed(exc, "policy", "slug")
        if rows is not None and str(error["error_field"]).startswith("steps"):
            error["error_field"] = row_field(error["error_field"], rows)
        return _editor(
            request,
            principal,
            session,
            now,
            rows=row_count(form),
            status=exc.status,
            form=_editor_form(form),
            **error,
        )
    session.commit()
    return see(f"/oncall/policies/{row.slug}")


@router.get("/{slug}")
def policy_page(
    request: Request,
    slug: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    policy = _policy(session, principal, slug)
    engine_policy = policies.policy_of(policy)
    steps, reachable = described_steps(session, engine_policy.steps, now)
    services = session.scalars(
        select(Service).where(Service.escalation_policy_id == policy.id).order_by(Service.name)
    ).all()
    context = {
        "title": policy.name,
        "policy": policy,
        "steps": steps,
        "warnings": unreachable(session, _by_id(session, User, reachable).values()),
        "services": services,
    }
    return page(request, principal, now, "oncall/policy.html", context)


@router.get("/{slug}/edit")
def edit_policy_form(
    request: Request,
    slug: str,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    policy = _policy(session, principal, slug)
    rows = max(STEP_ROWS, len(policy.steps) + 1)
    return _editor(
        request, principal, session, now, editing=policy, rows=rows, form=_form_of(policy)
    )


@router.post("/{slug}/edit")
def edit_policy(
    request: Request,
    slug: str,
    form: FormData = Depends(posted),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """Edits apply to pages started from now on; pages in flight keep their copy."""
    policy = _policy(session, principal, slug)
    rows: list[int] | None = None
    try:
        steps, rows = steps_of(form)
        policies.update_policy(
            session,
            actor=principal.actor,
            now=now,
            policy=policy,
            changes={
                "name": text(form, "name", 200),
                "description": text(form, "description", 2000),
                "steps": steps,
                "repeat": whole_number(form, "repeat", default=0) or 0,
                "ack_timeout_minutes": whole_number(form, "ack_timeout_minutes"),
            },
        )
    except AppError as exc:
        session.rollback()
        error = failed(exc, "policy", "name")
        if rows is not None and str(error["error_field"]).startswith("steps"):
            error["error_field"] = row_field(error["error_field"], rows)
        return _editor(
            request,
            principal,
            session,
            now,
            editing=_policy(session, principal, slug),
            rows=row_count(form),
            status=exc.status,
            form=_editor_form(form),
            **error,
        )
    session.commit()
    return see(f"/oncall/policies/{policy.slug}")
