"""Reading imported calendar feeds again, every 15 minutes.

The periodic sweep only queues one job per imported layer. Each of those
fetches one feed: a job's transaction is open while its handler runs (on
SQLite it holds the one write lock), so fetching every feed in one job would
hold it for as long as the slowest calendar servers take, one after the
other; one feed per job holds it for at most one fetch's time limit.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fireline.core.jobs import queue
from fireline.core.jobs.registry import JobContext, job_handler, periodic
from fireline.oncall import feed_fetch, feed_import
from fireline.oncall.models import ScheduleLayer

SWEEP_JOB = "oncall.refresh_feeds"
REFRESH_JOB = "oncall.refresh_feed"
periodic(SWEEP_JOB, timedelta(minutes=15))


@job_handler(SWEEP_JOB)
def sweep(ctx: JobContext) -> None:
    layer_ids = ctx.session.scalars(
        select(ScheduleLayer.id)
        .where(ScheduleLayer.ical_url.is_not(None))
        .order_by(ScheduleLayer.id)
    ).all()
    for layer_id in layer_ids:
        queue.enqueue(
            ctx.session,
            kind=REFRESH_JOB,
            payload={"layer_id": layer_id},
            now=ctx.now,
            # One refresh per layer per sweep, however often the sweep runs.
            idempotency_key=f"{REFRESH_JOB}:{layer_id}:{ctx.job.id}",
            # A failed read is recorded on the layer and tried at the next
            # sweep; retrying sooner would only knock on a server that is down.
            max_attempts=1,
        )


@job_handler(REFRESH_JOB)
def refresh(ctx: JobContext) -> None:
    layer = ctx.session.get(ScheduleLayer, ctx.payload["layer_id"])
    if layer is None or not layer.ical_url:
        return  # removed since the sweep
    try:
        body = feed_fetch.fetch(layer.ical_url, allow_private=ctx.settings.outbound_allow_private)
    except feed_fetch.FetchFailed as exc:
        feed_import.failed(layer, exc)
        return
    feed_import.refresh(ctx.session, layer, body=body, now=ctx.now)
