"""Chat rooms for the whole organisation: set up by an admin on a page,
tested with a button, told of incidents through the jobs worker; a webhook
receiver on 127.0.0.1 stands in for the chat service."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.comms.rooms.models import ChatRoom
from fireline.core.config import Settings
from fireline.core.db import Database
from tests.comms.conftest import Receiver
from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

Personas = dict[str, Persona]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url="http://fireline.test",
        outbound_allow_private=True,
    )


def add_room(client: TestClient, receiver: Receiver, **extra: object) -> int:
    form = {
        "csrf_token": page_token(client, "/settings/chat"),
        "name": "#incidents",
        "kind": "webhook",
        "target.url": f"{receiver.url}/room",
        "events": ["declared", "severity_changed"],
        **extra,
    }
    response = client.post("/settings/chat", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.status_code


def events_received(receiver: Receiver) -> list[tuple[str, str]]:
    found = []
    for request in receiver.requests:
        body = json.loads(request.body)
        found.append((body["event"], body["title"]))
    return found


def test_an_admin_adds_a_room_and_its_test_message_arrives(
    client: TestClient,
    personas: Personas,
    receiver: Receiver,
    run_jobs: Callable[[], int],
) -> None:
    sign_in(client, "admin@example.com")
    add_room(client, receiver)
    page = client.get("/settings/chat").text
    assert "#incidents" in page and "Nothing sent yet." in page
    test = client.post(
        "/settings/chat/1/test",
        data={"csrf_token": page_token(client, "/settings/chat")},
        follow_redirects=False,
    )
    assert test.status_code == 303
    run_jobs()
    assert events_received(receiver) == [("test", "fireline test for #incidents")]
    assert "Last message delivered" in client.get("/settings/chat").text


def test_a_failing_room_says_so_on_its_page(
    client: TestClient, personas: Personas, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    sign_in(client, "admin@example.com")
    add_room(client, receiver)
    receiver.reply(404, "no such room")
    client.post("/settings/chat/1/test", data={"csrf_token": page_token(client, "/settings/chat")})
    run_jobs()
    page = client.get("/settings/chat").text
    assert "Last message failed" in page and "HTTP 404" in page


def test_rooms_hear_of_open_incidents_but_never_of_restricted_ones(
    client: TestClient,
    personas: Personas,
    receiver: Receiver,
    run_jobs: Callable[[], int],
) -> None:
    sign_in(client, "admin@example.com")
    add_room(client, receiver)
    responder = personas["responder"].headers
    for restricted in (False, True):
        declared = client.post(
            "/api/v1/incidents",
            headers=responder,
            json={
                "title": "Secret thing" if restricted else "Checkout down",
                "type": "service_outage",
                "severity": "SEV2",
                "restricted": restricted,
            },
        )
        assert declared.status_code == 201, declared.text
    ref = "INC-1"
    changed = client.post(
        f"/api/v1/incidents/{ref}/severity",
        headers=responder,
        json={"severity": "SEV1", "reason": "more customers hit"},
    )
    assert changed.is_success, changed.text
    client.post(f"/api/v1/incidents/{ref}/notes", headers=responder, json={"body": "a note"})
    run_jobs()
    received = events_received(receiver)  # sent side by side: in any order
    assert [e for e, _ in received] == ["incident_event", "incident_event"]
    titles = sorted(t for _, t in received)
    assert titles[0] == "[INC-1] Incident declared: Checkout down"
    assert titles[1].startswith("[INC-1] Severity changed")
    assert not any("Secret" in t for t in titles)


def test_bad_rooms_are_refused_beside_their_field(
    client: TestClient, db: Database, personas: Personas, receiver: Receiver
) -> None:
    sign_in(client, "admin@example.com")
    token = page_token(client, "/settings/chat")
    for form, field in (
        ({"name": "", "kind": "webhook", "target.url": receiver.url}, "name"),
        ({"name": "x", "kind": "webhook", "target.url": "not a url"}, "target.url"),
        ({"name": "x", "kind": "pigeon"}, "kind"),
        ({"name": "x", "kind": "webhook", "target.url": receiver.url, "events": "nope"}, "events"),
    ):
        response = client.post("/settings/chat", data={"csrf_token": token, **form})
        assert response.status_code in (409, 422), (form, response.status_code)
        assert f'id="room-{field.replace(".", "-")}-error"' in response.text, form
    with db.session() as session:
        assert session.scalars(select(ChatRoom)).all() == []


def test_only_admins_manage_rooms(client: TestClient, personas: Personas) -> None:
    sign_in(client, "manager@example.com")
    assert client.get("/settings/chat").status_code == 403


def test_the_chat_rooms_api(
    client: TestClient, personas: Personas, receiver: Receiver, run_jobs: Callable[[], int]
) -> None:
    admin = personas["admin"].headers
    hook = f"{receiver.url}/room-secret-path"
    created = client.post(
        "/api/v1/chat-rooms",
        headers=admin,
        json={"name": "#ops", "kind": "webhook", "target": {"url": hook, "secret": "s" * 20}},
    )
    assert created.status_code == 201, created.text
    room = created.json()
    assert room["events"] == [
        "declared",
        "severity_changed",
        "status_changed",
        "stakeholder_update",
    ]
    assert "s" * 20 not in str(room) and "room-secret-path" not in str(room)
    refused = client.post(
        "/api/v1/chat-rooms",
        headers=admin,
        json={"name": "#x", "kind": "webhook", "target": {"url": "ftp://x"}},
    )
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "target.url")
    assert client.get("/api/v1/chat-rooms", headers=personas["manager"].headers).status_code == 403
    tested = client.post(f"/api/v1/chat-rooms/{room['id']}/test", headers=admin)
    assert tested.status_code == 202
    run_jobs()
    assert events_received(receiver) == [("test", "fireline test for #ops")]
    [listed] = client.get("/api/v1/chat-rooms", headers=admin).json()
    assert listed["last_ok_at"] is not None
    removed = client.delete(f"/api/v1/chat-rooms/{room['id']}", headers=admin)
    assert removed.status_code == 204 and removed.content == b""  # a 204 has no body
    assert client.get("/api/v1/chat-rooms", headers=admin).json() == []
