"""The audit API: admins browse the log newest first and check the chain."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from fireline.core import audit
from fireline.core.audit import Actor, AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from tests.conftest import Persona


def add_events(db: Database, clock: FixedClock) -> int:
    """Twelve events on three things, after the personas' own; returns how many came before."""
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    with db.transaction() as session:
        for i in range(12):
            audit.record(
                session,
                actor=Actor.system("tests"),
                action="thing.renamed" if i % 2 else "thing.created",
                object_type="thing",
                object_id=i % 3,
                changes={"i": i},
                now=clock.advance(seconds=1),
            )
    return before


def test_events_come_newest_first_and_filter(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    add_events(db, clock)
    admin = personas["admin"].headers
    everything = client.get("/api/v1/audit", headers=admin).json()
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 1
    newest = everything[0]
    assert newest["action"] == "thing.renamed" and newest["changes"] == {"i": 11}
    assert newest["at"].startswith("2026-03-02T09:00:12")
    assert len(newest["hash"]) == 64 and newest["prev_hash"] == everything[1]["hash"]

    things = client.get("/api/v1/audit?object_type=thing&object_id=1", headers=admin).json()
    assert [e["changes"]["i"] for e in things] == [10, 7, 4, 1]
    renamed = client.get(
        "/api/v1/audit",
        params={"object_type": "thing", "object_id": "1", "action": "thing.renamed"},
        headers=admin,
    ).json()
    assert [e["changes"]["i"] for e in renamed] == [7, 1]
    tokens = client.get("/api/v1/audit?action=token.created", headers=admin).json()
    with_tokens = [p for p in personas.values() if p.token]
    assert len(tokens) == len(with_tokens) and {e["object_type"] for e in tokens} == {"api_token"}
    assert client.get("/api/v1/audit?object_type=nothing", headers=admin).json() == []


def test_paging_with_before_seq_visits_every_event_once(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    before = add_events(db, clock)
    admin = personas["admin"].headers
    seen: list[int] = []
    page = client.get("/api/v1/audit?limit=5", headers=admin).json()
    while page:
        assert len(page) <= 5
        seen += [e["seq"] for e in page]
        page = client.get(f"/api/v1/audit?limit=5&before_seq={seen[-1]}", headers=admin).json()
    assert seen == list(range(before + 12, 0, -1))


def test_limits_are_enforced(client: TestClient, personas: dict[str, Persona]) -> None:
    admin = personas["admin"].headers
    assert client.get("/api/v1/audit?limit=500", headers=admin).status_code == 200
    for bad in ("limit=501", "limit=0", "before_seq=0", "before_seq=x", "action=" + "a" * 101):
        response = client.get(f"/api/v1/audit?{bad}", headers=admin)
        assert response.status_code == 422, bad


def test_only_admins_may_read_the_log(client: TestClient, personas: dict[str, Persona]) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/verify"):
        assert client.get(path).status_code == 401
        for role in ("viewer", "responder", "manager"):
            response = client.get(path, headers=personas[role].headers)
            assert response.status_code == 403, (role, path)
        assert client.get(path, headers=personas["admin"].headers).status_code == 200


def test_verify_reports_the_chain_and_its_first_bad_record(
    client: TestClient, personas: dict[str, Persona], db: Database, clock: FixedClock
) -> None:
    before = add_events(db, clock)
    admin = personas["admin"].headers
    good = client.get("/api/v1/audit/verify", headers=admin).json()
    newest = client.get("/api/v1/audit?limit=1", headers=admin).json()[0]
    assert good == {
        "ok": True,
        "checked": before + 12,
        "head_seq": before + 12,
        "head_hash": newest["hash"],
        "bad_seq": None,
        "bad_action": None,
        "bad_at": None,
        "reason": "",
    }
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET object_id = '7' WHERE seq = :seq"), {"seq": before + 4}
        )
    broken = client.get("/api/v1/audit/verify", headers=admin).json()
    assert broken["ok"] is False and broken["checked"] == before + 3
    assert (broken["bad_seq"], broken["bad_action"]) == (before + 4, "thing.renamed")
    assert broken["bad_at"] == "2026-03-02T09:00:04.000000Z"
    assert "the record was edited" in broken["reason"]
