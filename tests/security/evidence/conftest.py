"""A security incident whose security lead is the responder persona, and
helpers to register evidence on it through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent
from fireline.core.db import Database
from tests.conftest import Persona

MEMORY = b"memory image of laptop SN 4711\n" * 1000


def declare_security_incident(
    client: TestClient, personas: dict[str, Persona], *, lead: str = "responder"
) -> str:
    created = client.post(
        "/api/v1/incidents",
        json={"title": "Laptop exfiltration", "type": "insider_threat", "severity": "SEV2"},
        headers=personas["responder"].headers,
    )
    assert created.status_code == 201, created.text
    ref: str = created.json()["ref"]
    assign(client, personas, ref, "security_lead", lead)
    return ref


def assign(client: TestClient, personas: dict[str, Persona], ref: str, role: str, who: str) -> None:
    response = client.post(
        f"/api/v1/incidents/{ref}/roles",
        json={"role": role, "user": personas[who].email},
        headers=personas["responder"].headers,
    )
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def incident(client: TestClient, personas: dict[str, Persona]) -> str:
    return declare_security_incident(client, personas)


def upload(
    client: TestClient | httpx.Client,
    persona: Persona,
    ref: str,
    content: bytes = MEMORY,
    **params: Any,
) -> httpx.Response:
    query = {"type": "memory dump", "filename": "laptop.mem", **params}
    return client.post(
        f"/api/v1/incidents/{ref}/evidence/upload",
        params=query,
        content=content,
        headers={**persona.headers, "Content-Type": "application/octet-stream"},
    )


def external(client: TestClient, persona: Persona, ref: str, **fields: Any) -> httpx.Response:
    body = {
        "type": "laptop",
        "description": "ThinkPad T14, asset tag ACME-0917, sealed bag 000417",
        "source": {"serial": "PF-3XYZ", "account": "jdoe@example.com"},
        "storage_location": "Locker 4",
        **fields,
    }
    return client.post(f"/api/v1/incidents/{ref}/evidence", json=body, headers=persona.headers)


def audit_actions(db: Database, prefix: str = "evidence.") -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.seq)
            )
        )
