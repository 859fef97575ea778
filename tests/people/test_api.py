"""The people API: users, roles, teams and tokens, through HTTP with real tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent, verify
from fireline.core.db import Database
from fireline.people.models import ApiToken
from tests.conftest import Persona


def test_me_names_the_caller(client: TestClient, personas: dict[str, Persona]) -> None:
    response = client.get("/api/v1/me", headers=personas["responder"].headers)
    assert response.status_code == 200
    assert response.json()["email"] == "responder@example.com"
    assert response.json()["role"] == "responder"


def test_admin_creates_user_and_it_is_audited(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    body = {
        "email": "Ada@Example.com",
        "name": "Ada",
        "role": "manager",
        "time_zone": "Europe/Berlin",
    }
    response = client.post("/api/v1/users", json=body, headers=personas["admin"].headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == "ada@example.com"
    with db.session() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None
        assert event.action == "user.created"
        assert event.actor_name == "admin@example.com"
        assert event.object_id == str(created["id"])
        assert verify(session).ok


def test_duplicate_email_is_a_conflict_naming_the_field(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    body = {"email": "viewer@example.com", "name": "Again"}
    response = client.post("/api/v1/users", json=body, headers=personas["admin"].headers)
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "email"


def test_bad_user_fields_are_named(client: TestClient, personas: dict[str, Persona]) -> None:
    cases = [
        ({"email": "not-an-address", "name": "X"}, "email"),
        ({"email": "x@example.com", "name": "X", "role": "emperor"}, "role"),
        ({"email": "x@example.com", "name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"email": "x@example.com", "name": "X", "password": "short"}, "password"),
        ({"email": "x@example.com"}, "name"),
        ({"email": "x@example.com", "name": "X", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/users", json=body, headers=personas["admin"].headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body


def test_role_change_and_last_admin_protection(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    admin = personas["admin"].headers
    response = client.put(
        "/api/v1/users/viewer@example.com/role", json={"role": "responder"}, headers=admin
    )
    assert response.status_code == 200
    assert response.json()["role"] == "responder"
    response = client.put(
        f"/api/v1/users/{personas['admin'].user_id}/role", json={"role": "viewer"}, headers=admin
    )
    assert response.status_code == 409
    assert "last admin" in response.json()["error"]["message"]


def test_teams_and_members(client: TestClient, personas: dict[str, Persona]) -> None:
    manager = personas["manager"].headers
    response = client.post("/api/v1/teams", json={"slug": "sre", "name": "SRE"}, headers=manager)
    assert response.status_code == 201
    response = client.post(
        "/api/v1/teams/sre/members",
        json={"user": "responder@example.com", "is_lead": True},
        headers=manager,
    )
    assert response.status_code == 201
    assert response.json()["members"][0]["email"] == "responder@example.com"
    assert client.get("/api/v1/users/responder@example.com", headers=manager).json()["teams"] == [
        "sre"
    ]
    bad = client.post("/api/v1/teams", json={"slug": "Bad Slug", "name": "x"}, headers=manager)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "slug"
    gone = client.delete("/api/v1/teams/sre/members/responder@example.com", headers=manager)
    assert gone.status_code == 200 and gone.json()["members"] == []


def test_token_shown_once_stored_hashed_and_revocable(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    viewer = personas["viewer"].headers
    created = client.post("/api/v1/tokens", json={"name": "laptop"}, headers=viewer)
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("flt_")
    listed = client.get("/api/v1/tokens", headers=viewer).json()
    assert all("token" not in row for row in listed)
    with db.session() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)

    own = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=own).status_code == 200
    with db.session() as session:
        row = session.get(ApiToken, created.json()["id"])
        assert row is not None and row.last_used_at is not None

    assert (
        client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=viewer).status_code == 200
    )
    refused = client.get("/api/v1/me", headers=own)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"


def test_tokens_of_others_are_invisible(client: TestClient, personas: dict[str, Persona]) -> None:
    created = client.post("/api/v1/tokens", json={"name": "x"}, headers=personas["viewer"].headers)
    token_id = created.json()["id"]
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=personas["responder"].headers)
    assert response.status_code == 404
    response = client.post(
        "/api/v1/tokens",
        json={"name": "x", "user": "admin@example.com"},
        headers=personas["responder"].headers,
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/tokens",
        json={"name": "ci", "user": "responder@example.com"},
        headers=personas["admin"].headers,
    )
    assert (
        response.status_code == 201 and response.json()["user_id"] == personas["responder"].user_id
    )


def test_malformed_bearer_header_is_refused(client: TestClient) -> None:
    for header in ("Basic abc", "Bearer ", "flt_nothing", "Bearer flt_unknown"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert set(response.json()["error"]) >= {"code", "message", "field"}
