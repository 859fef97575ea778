"""Prometheus exposition: request counts and latencies, jobs by state.

Each app owns its registry, so tests and several apps in one process never
share counters. Later features register their own collectors with
:func:`Metrics.register`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class MetricsMiddleware:
    """Counts requests and times them by route; plain ASGI, so it adds almost nothing."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(method, route, str(status)).inc()


def route_template(scope: Scope) -> str:
    """The matched route's path pattern, so /users/1 and /users/2 count as one series.

    The router records the route in the scope; unmatched paths share one label so
    that scanners cannot grow the series without bound."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
