"""Tasks, action items, related and parent incidents, merging duplicates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.incidents.test_api import declare


def test_tasks_and_action_items(client: TestClient, personas: dict[str, Persona]) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    task = client.post(
        f"/api/v1/incidents/{ref}/tasks",
        json={"title": "Check the CDN", "assignee": "viewer@example.com"},
        headers=responder,
    )
    assert task.status_code == 201 and task.json()["status"] == "todo"
    done = client.patch(
        f"/api/v1/incidents/{ref}/tasks/{task.json()['id']}",
        json={"status": "done"},
        headers=responder,
    )
    assert done.json()["status"] == "done"
    bad = client.patch(
        f"/api/v1/incidents/{ref}/tasks/{task.json()['id']}",
        json={"status": "finished"},
        headers=responder,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    assert (
        client.patch(
            f"/api/v1/incidents/{ref}/tasks/424242", json={"status": "done"}, headers=responder
        ).status_code
        == 404
    )

    item = client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={
            "title": "Alert on certificate expiry",
            "owner": "manager@example.com",
            "due_date": "2026-03-20",
            "priority": "high",
            "ticket_url": "https://tracker.example.com/OPS-12",
        },
        headers=responder,
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    bad_url = client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={"title": "x", "ticket_url": "javascript:alert(1)"},
        headers=responder,
    )
    assert bad_url.status_code == 422 and bad_url.json()["error"]["field"] == "ticket_url"
    board = client.get("/api/v1/action-items", headers=personas["viewer"].headers).json()
    assert [i["id"] for i in board] == [item_id]
    closed = client.patch(
        f"/api/v1/incidents/{ref}/action-items/{item_id}",
        json={"status": "done"},
        headers=responder,
    ).json()
    assert closed["closed_at"] is not None
    assert client.get("/api/v1/action-items", headers=responder).json() == []
    assert [
        i["id"] for i in client.get("/api/v1/action-items?status=closed", headers=responder).json()
    ] == [item_id]
    events = client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder).json()
    kinds = [e["kind"] for e in events]
    added = [e["body"] for e in events if e["kind"] == "task_added"]
    # The outage playbook's first tasks come before the one added here.
    assert added[-1] == "Check the CDN" and kinds.count("action_item_updated") == 1


def test_related_parent_and_merge(client: TestClient, personas: dict[str, Persona]) -> None:
    responder = personas["responder"].headers
    first, second, third = (
        declare(client, personas["responder"], title=t).json()["ref"] for t in ("A", "B", "C")
    )
    assert client.post(
        f"/api/v1/incidents/{first}/related", json={"incident": second}, headers=responder
    ).json()["related"] == [second]
    assert client.get(f"/api/v1/incidents/{second}/links", headers=responder).json()["related"] == [
        first
    ]
    assert (
        client.post(
            f"/api/v1/incidents/{first}/related", json={"incident": second}, headers=responder
        ).status_code
        == 409
    )

    assert (
        client.post(
            f"/api/v1/incidents/{second}/parent", json={"incident": first}, headers=responder
        ).json()["parent"]
        == first
    )
    loop = client.post(
        f"/api/v1/incidents/{first}/parent", json={"incident": second}, headers=responder
    )
    assert loop.status_code == 422 and "loop" in loop.json()["error"]["message"]
    assert client.get(f"/api/v1/incidents/{first}/links", headers=responder).json()["children"] == [
        second
    ]

    client.post(
        f"/api/v1/incidents/{third}/notes",
        json={"body": "seen on the duplicate"},
        headers=responder,
    )
    merged = client.post(
        f"/api/v1/incidents/{third}/merge", json={"into": first}, headers=responder
    )
    assert merged.json()["merged_into"] == first
    assert client.get(f"/api/v1/incidents/{third}", headers=responder).json()["is_open"] is False
    bodies = [
        e["body"]
        for e in client.get(f"/api/v1/incidents/{first}/timeline", headers=responder).json()
    ]
    assert "seen on the duplicate" in bodies  # the duplicate's timeline lives on
    assert client.get(f"/api/v1/incidents/{first}/links", headers=responder).json()[
        "merged_here"
    ] == [third]


def test_links_do_not_reveal_restricted_incidents(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder, outsider = personas["responder"].headers, personas["outsider"].headers
    public = declare(client, personas["responder"], title="Public").json()["ref"]
    secret = declare(
        client, personas["responder"], title="Secret", type="insider", restricted=True
    ).json()["ref"]
    client.post(f"/api/v1/incidents/{public}/related", json={"incident": secret}, headers=responder)
    assert client.get(f"/api/v1/incidents/{public}/links", headers=outsider).json()["related"] == []
    assert (
        client.post(
            f"/api/v1/incidents/{public}/related", json={"incident": secret}, headers=outsider
        ).status_code
        == 404
    )
    merge = client.post(
        f"/api/v1/incidents/{secret}/merge", json={"into": public}, headers=responder
    )
    assert merge.status_code == 422 and merge.json()["error"]["field"] == "into"
    item = client.post(
        f"/api/v1/incidents/{secret}/action-items",
        json={"title": "Revoke badge"},
        headers=responder,
    )
    assert item.status_code == 201
    assert client.get("/api/v1/action-items", headers=outsider).json() == []


def test_every_field_of_an_action_item_can_be_changed_and_cleared(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    ref = declare(client, personas["responder"]).json()["ref"]
    item = client.post(
        f"/api/v1/incidents/{ref}/action-items",
        json={"title": "Alert on expiry", "due_date": "2026-03-20", "owner": "manager@example.com"},
        headers=responder,
    ).json()
    url = f"/api/v1/incidents/{ref}/action-items/{item['id']}"
    changed = client.patch(
        url,
        json={"title": "Alert 30 days before expiry", "due_date": "2026-04-01", "priority": "high"},
        headers=responder,
    ).json()
    assert (changed["title"], changed["due_date"], changed["priority"]) == (
        "Alert 30 days before expiry",
        "2026-04-01",
        "high",
    )
    assert changed["owner_id"] == item["owner_id"]  # left out: kept
    cleared = client.patch(url, json={"due_date": None, "owner": ""}, headers=responder).json()
    assert cleared["due_date"] is None and cleared["owner_id"] is None
    bad = client.patch(url, json={"priority": "urgent"}, headers=responder)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "priority"
    blank = client.patch(url, json={"title": " "}, headers=responder)
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "title"
