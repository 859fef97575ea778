"""Alerts sent by a person (``fireline alert send``, the API): they go through
the same pipeline as monitoring's, via the service's own API integration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import select

from fireline.alerts import service
from fireline.alerts.ingest import Ingest
from fireline.alerts.models import Integration
from fireline.alerts.pipeline import Submission
from fireline.alerts.shape import Action, AlertIn, Severity
from fireline.catalog.service import find_service
from fireline.core.db import Database
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput

API_INTEGRATION = "fireline API"


def _api_integration(
    db: Database, principal: Principal, service_ref: str, now: datetime
) -> tuple[int, str]:
    with db.transaction() as session:
        found = find_service(session, service_ref)
        row = session.scalar(
            select(Integration).where(
                Integration.service_id == found.id,
                Integration.name == API_INTEGRATION,
                Integration.revoked_at.is_(None),
            )
        )
        if row is None:
            row, _ = service.create_integration(
                session,
                actor=principal.actor,
                now=now,
                spec=service.IntegrationSpec(
                    service=found.slug, kind="pagerduty", name=API_INTEGRATION
                ),
            )
        return row.id, row.key_hash


async def send_as_person(
    app: FastAPI, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    ingest: Ingest = app.state.ingest
    now = app.state.clock.now()
    action = Action(body["action"])
    if action is not Action.trigger and not body.get("dedup_key"):
        raise InvalidInput("acknowledge and resolve need the alert's dedup_key", field="dedup_key")
    integration_id, key_hash = await anyio.to_thread.run_sync(
        _api_integration, app.state.db, principal, body["service"], now
    )
    labels = {str(k): str(v) for k, v in body.get("labels", {}).items()}
    labels.setdefault("sent_by", principal.email)
    alert = AlertIn(
        dedup_key=body.get("dedup_key") or uuid.uuid4().hex,
        action=action,
        severity=Severity(body["severity"]),
        summary=body["summary"],
        source=body.get("source") or "fireline",
        labels=labels,
        raw={**body, "sent_by": principal.email},
    )
    await ingest.committer.submit(Submission(integration_id, key_hash, [alert]))
    return {"status": "success", "dedup_key": alert.dedup_key}
