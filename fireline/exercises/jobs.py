"""The inject timer: when a run's inject is due, the worker delivers it."""

from __future__ import annotations

from fireline.core.jobs.registry import JobContext, job_handler
from fireline.exercises import service
from fireline.plan import load_effective_plan


@job_handler(service.INJECT_JOB)
def deliver_inject(ctx: JobContext) -> None:
    plan = load_effective_plan(ctx.settings.plan)
    service.deliver(ctx.session, plan, ctx.now, int(ctx.payload["inject_id"]))
