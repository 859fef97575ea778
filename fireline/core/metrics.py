"""Prometheus exposition: request counts and latencies, jobs by state.

Each app owns its registry, so tests and several apps in one process never
share counters. Later features register their own collectors with
:func:`Metrics.register`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from fireline.core.db import Database
from fireline.core.jobs import queue

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class JobsCollector(Collector):
    """Counts jobs by state at scrape time, straight from the table every worker shares."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "fireline_jobs", "Jobs in the jobs table by state", labels=["state"]
        )
        with self.db.session() as session:
            counts = queue.counts_by_state(session)
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family


class Metrics:
    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fireline_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fireline_http_request_duration_seconds",
            "HTTP request latency by method and route",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(JobsCollector(db))

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = route_template(request)
            self.latency.labels(request.method, route).observe(time.perf_counter() - started)
            self.requests.labels(request.method, route, str(status)).inc()


def route_template(request: Request) -> str:
    """The matched route's path pattern, so /users/1 and /users/2 count as one series.

    The router records the route in the scope; unmatched paths share one label so
    that scanners cannot grow the series without bound."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))
