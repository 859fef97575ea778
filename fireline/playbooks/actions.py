"""``playbook.action``: a playbook step's HTTP request, sent by the jobs
worker outside its transaction, its response recorded on the timeline.

The request is built from the step's templates (sandboxed Jinja2: they can
read the incident, never call into the server) and the endpoint's URL and
headers from the settings. A response the step expects settles it: its task
is done. A server error or an unreachable endpoint is tried again; when the
last try fails, or the endpoint refuses (4xx), or the endpoint is not
configured, the step stays open for a person to do by hand, with why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fireline.core.http import OutboundRefused, outbound_client
from fireline.core.jobs.registry import Effect, EffectNotDone, JobContext, job_handler
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.models import Incident
from fireline.playbooks import progress
from fireline.playbooks.models import RunStep
from fireline.playbooks.schema import HttpAction, Step
from fireline.playbooks.service import ACTION_JOB, snapshot

EXCERPT = 2000
_TEMPLATES = ImmutableSandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no response
    excerpt: str


class ActionFailed(EffectNotDone):
    """The endpoint may answer later: the job is tried again."""


def template_context(incident: Incident, step: Step, secrets: dict[str, str]) -> dict[str, Any]:
    return {
        "incident": {
            "ref": incident.ref,
            "id": incident.id,
            "title": incident.title,
            "summary": incident.summary,
            "severity": incident.severity,
            "type": incident.type_key,
            "status": incident.status,
            "services": [s.slug for s in incident.services],
        },
        "step": {"key": step.key, "title": step.title, "phase": step.phase},
        "secrets": secrets,
    }


def build_request(
    action: HttpAction, base_url: str, endpoint_headers: dict[str, str], context: dict[str, Any]
) -> Request:
    """Raises TemplateError when a template cannot be rendered."""

    def render(source: str) -> str:
        return _TEMPLATES.from_string(source).render(context)

    headers = {**endpoint_headers, **{k: render(v) for k, v in action.headers.items()}}
    url = base_url.rstrip("/") + ("/" + render(action.path).lstrip("/") if action.path else "")
    return Request(action.method, url, headers, render(action.body))


def send(request: Request, *, allow_private: bool) -> Outcome:
    try:
        with outbound_client(allow_private=allow_private) as client:
            response = client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.body.encode() if request.body else None,
            )
    except OutboundRefused as exc:
        return Outcome(None, str(exc))
    except httpx.HTTPError as exc:
        return Outcome(None, f"no response: {exc.__class__.__name__}: {exc}")
    return Outcome(response.status_code, response.text[:EXCERPT])


@job_handler(ACTION_JOB)
def run_action(ctx: JobContext) -> Effect[Outcome] | None:
    row = ctx.session.get(RunStep, ctx.payload["run_step_id"])
    if row is None or row.status != progress.RUNNING:
        return None  # done by hand meanwhile, skipped, or the run is gone
    incident = ctx.session.get(Incident, row.run.incident_id)
    step = snapshot(row.run).step(row.step_key)
    if incident is None or step.action is None:
        return None
    action = step.action
    endpoint = ctx.settings.action_endpoints.get(action.endpoint)
    if endpoint is None:
        _give_up(
            ctx,
            row,
            incident,
            None,
            f"the endpoint {action.endpoint!r} is not configured "
            "(FIRELINE_ACTION_ENDPOINTS); do this step by hand",
        )
        return None
    secrets = {k: v.get_secret_value() for k, v in ctx.settings.action_secrets.items()}
    headers = {k: v.get_secret_value() for k, v in endpoint.headers.items()}
    try:
        request = build_request(
            action, endpoint.url, headers, template_context(incident, step, secrets)
        )
    except TemplateError as exc:
        _give_up(ctx, row, incident, None, f"the step's template failed: {exc}")
        return None
    allow_private = ctx.settings.outbound_allow_private
    row_id = row.id
    return Effect(
        perform=lambda: send(request, allow_private=allow_private),
        record=lambda later, outcome: _record(later, row_id, action, outcome),
    )


def _record(ctx: JobContext, row_id: int, action: HttpAction, outcome: Outcome) -> None:
    row = ctx.session.get(RunStep, row_id)
    incident = ctx.session.get(Incident, row.run.incident_id) if row is not None else None
    if row is None or incident is None or row.status != progress.RUNNING:
        return
    if outcome.status in action.expect_status:
        row.note = f"{action.method} {action.endpoint}: {outcome.status}"
        incidents.record_event(
            ctx.session,
            incident,
            kind="playbook_action",
            principal=None,
            now=ctx.now,
            body=outcome.excerpt,
            data={"step": row.step_key, "run_id": row.run_id, "status": outcome.status, "ok": True},
        )
        if row.task_id is not None:
            # Its timeline event settles the step and moves the run on.
            work.update_task(ctx.session, None, ctx.now, incident, row.task_id, status="done")
        return
    retryable = outcome.status is None or outcome.status >= 500 or outcome.status == 429
    if retryable and ctx.job.attempts < ctx.job.max_attempts:
        raise ActionFailed(f"{action.endpoint}: {outcome.status or outcome.excerpt}")
    _give_up(ctx, row, incident, outcome.status, outcome.excerpt)


def _give_up(
    ctx: JobContext, row: RunStep, incident: Incident, status: int | None, why: str
) -> None:
    """The step stays open, its task with a person, and the timeline says why."""
    row.status = progress.OPEN
    row.note = f"automated action failed ({status or 'no response'}): {why}"[:EXCERPT]
    incidents.record_event(
        ctx.session,
        incident,
        kind="playbook_action",
        principal=None,
        now=ctx.now,
        body=why[:EXCERPT],
        data={"step": row.step_key, "run_id": row.run_id, "status": status, "ok": False},
        pinned=True,
    )
