"""The app factory: one FastAPI application serving the API, the web pages and
the public endpoints, optionally with the jobs worker in the same process."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fireline import __version__
from fireline.alerts.api import router as alerts_router
from fireline.alerts.ingest import Ingest, IngestCollector, IngestRouter
from fireline.alerts.views import router as alert_pages_router
from fireline.catalog.api import router as services_router
from fireline.comms.rooms.api import router as chat_rooms_api_router
from fireline.comms.rooms.views import router as chat_rooms_router
from fireline.comms.slack.endpoint import router as slack_router
from fireline.comms.stakeholders.api import router as stakeholders_router
from fireline.comms.stakeholders.views import router as stakeholder_pages_router
from fireline.comms.status.admin_views import router as status_admin_router
from fireline.comms.status.api import router as status_api_router
from fireline.comms.status.public_views import router as status_page_router
from fireline.comms.status.statuspage_api import router as statuspage_router
from fireline.comms.status.subscribe_views import router as status_subscribe_router
from fireline.comms.status.subscribers_api import router as status_subscribers_router
from fireline.compliance.views import api as compliance_api_router
from fireline.compliance.views import router as compliance_pages_router
from fireline.core import log_redaction, migrate
from fireline.core.api_docs import router as api_docs_router
from fireline.core.audit_api import router as audit_router
from fireline.core.clock import Clock, SystemClock
from fireline.core.config import Settings, get_settings
from fireline.core.db import Database
from fireline.core.errors import install_error_handlers
from fireline.core.health import router as health_router
from fireline.core.jobs.api import router as jobs_router
from fireline.core.jobs.worker import BackgroundWorker
from fireline.core.metrics import Metrics, MetricsMiddleware
from fireline.core.ratelimit import RateLimiter
from fireline.core.sqlite_checkpoints import Checkpointer
from fireline.core.sqlite_writers import database_file
from fireline.exercises.api import router as exercises_api_router
from fireline.exercises.views import router as exercise_pages_router
from fireline.incidents.api import router as incidents_router
from fireline.incidents.work_api import router as incident_work_router
from fireline.insights.api import router as insights_api_router
from fireline.insights.views import router as insights_pages_router
from fireline.maturity.api import router as maturity_api_router
from fireline.maturity.views import router as maturity_pages_router
from fireline.oncall.act import router as act_router
from fireline.oncall.api import router as oncall_router
from fireline.oncall.contacts_api import router as contacts_router
from fireline.oncall.feeds_api import router as feeds_router
from fireline.oncall.load_api import router as load_router
from fireline.oncall.views import router as oncall_pages_router
from fireline.people.api import router as people_router
from fireline.plan import load_effective_plan
from fireline.plan.document_api import router as plan_document_router
from fireline.playbooks.api import router as playbooks_api_router
from fireline.playbooks.views import router as playbook_pages_router
from fireline.postmortems.actions_api import router as action_items_api_router
from fireline.postmortems.api import router as postmortems_api_router
from fireline.postmortems.views import router as postmortem_pages_router
from fireline.security.api import router as security_api_router
from fireline.security.evidence.api import router as evidence_api_router
from fireline.security.evidence.views import router as evidence_pages_router
from fireline.security.obligations.api import router as obligations_api_router
from fireline.security.obligations.views import router as obligations_pages_router
from fireline.security.observables.api import router as observables_api_router
from fireline.security.observables.views import router as observables_pages_router
from fireline.security.views import router as security_pages_router
from fireline.web.pages import error_page, install_page_handlers
from fireline.web.security_headers import SecurityHeaders
from fireline.web.views import router as web_router

log = logging.getLogger("fireline")
STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    log_redaction.install()
    db = database or Database(settings.database_url)
    clock = clock or SystemClock()
    plan = load_effective_plan(settings.plan)
    ingest = Ingest(db, clock, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            migrate.upgrade(db.engine)
        worker = BackgroundWorker(db, clock, settings) if run_worker else None
        if worker:
            worker.start()
        sqlite_file = database_file(db.engine.url.database) if db.dialect == "sqlite" else None
        checkpointer = Checkpointer(str(sqlite_file)) if sqlite_file else None
        if checkpointer:
            checkpointer.start()
        # What exists now (modules, the app, its templates) lives as long as
        # the process: left to the collector, every full collection walks it
        # all, pausing a request for a good hundred milliseconds.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            ingest.committer.stop()
            if worker:
                worker.stop()
            if checkpointer:
                checkpointer.stop()

    app = FastAPI(
        title="fireline",
        version=__version__,
        description="Incident response: alerts, on-call, incidents, status page, post-mortems.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock
    app.state.plan = plan
    app.state.metrics = Metrics(db)
    app.state.ingest = ingest
    app.state.subscribe_rates = RateLimiter()  # the status page's public form
    app.state.metrics.register(IngestCollector(ingest))

    install_error_handlers(app, render_html=error_page)
    install_page_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Outermost: monitoring's requests skip the framework (see fireline.alerts.ingest).
    # The server also puts one in front of FastAPI's own middleware (served()).
    app.add_middleware(IngestRouter, ingest=ingest)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        health_router,
        api_docs_router,
        people_router,
        services_router,
        alerts_router,
        incidents_router,
        incident_work_router,
        security_api_router,
        evidence_api_router,
        observables_api_router,
        obligations_api_router,
        playbooks_api_router,
        postmortems_api_router,
        action_items_api_router,
        exercises_api_router,
        insights_api_router,
        maturity_api_router,
        plan_document_router,
        compliance_api_router,
        stakeholders_router,
        oncall_router,
        feeds_router,
        load_router,
        contacts_router,
        act_router,
        jobs_router,
        audit_router,
        status_subscribers_router,
        status_api_router,
        statuspage_router,
        status_page_router,
        status_subscribe_router,
        status_admin_router,
        chat_rooms_api_router,
        chat_rooms_router,
        slack_router,
        stakeholder_pages_router,
        alert_pages_router,
        oncall_pages_router,
        # Before the incident pages: /incidents/{ref}/{action} would take their POSTs.
        security_pages_router,
        evidence_pages_router,
        observables_pages_router,
        obligations_pages_router,
        playbook_pages_router,
        exercise_pages_router,
        postmortem_pages_router,
        maturity_pages_router,
        compliance_pages_router,
        insights_pages_router,
        web_router,
    ):
        app.include_router(router)
    return app


def served(app: FastAPI) -> ASGIApp:
    """The app as the server runs it: behind an ingestion router of its own,
    so that monitoring's requests skip even the middleware FastAPI puts around
    every app (a sixth of the CPU time of a single PagerDuty event), and the
    reading of X-Forwarded-* headers, which only the pages and the API use
    (the server is started without its own)."""
    ingest: Ingest = app.state.ingest
    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    # uvicorn types ASGI apps more narrowly than Starlette does.
    proxied = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=trusted))
    return IngestRouter(proxied, ingest)
