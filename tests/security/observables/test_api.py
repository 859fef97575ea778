"""The observables API: add, list, update, remove, technique tags, sightings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fireline.core.audit import verify
from fireline.core.db import Database
from tests.conftest import Persona
from tests.security.observables.helpers import add, declare, listed, timeline


def test_add_list_and_the_timeline(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    responder, viewer = personas["responder"], personas["viewer"]
    ref = declare(client, responder)
    response = add(
        client,
        responder,
        ref,
        type="ipv4-addr",
        value=" 203.0.113.7 ",
        description="pushed from this VPS",
        techniques=["t1078.004"],
        first_seen="2026-03-02T07:40:00Z",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True and body["message"].startswith("added ipv4-addr 203.0.113.7")
    assert (body["value"], body["tlp"], body["techniques"]) == (
        "203.0.113.7",
        "AMBER",
        ["T1078.004"],
    )
    assert body["added_by_id"] == responder.user_id
    assert body["first_seen"] == body["last_seen"] == "2026-03-02T07:40:00Z"

    # Everyone who may see the incident sees its observables; viewers do not add them.
    shown = listed(client, viewer, ref)
    assert [(o["type"], o["value"], o["seen_in"]) for o in shown] == [
        ("ipv4-addr", "203.0.113.7", [])
    ]
    refused = add(client, viewer, ref, type="ipv4-addr", value="203.0.113.8")
    assert refused.status_code == 403

    added = [e for e in timeline(client, viewer, ref) if e["kind"] == "observable_added"]
    assert added[0]["body"] == "ipv4-addr 203.0.113.7 (TLP:AMBER)"
    assert added[0]["data"]["value"] == "203.0.113.7" and added[0]["actor_id"] == responder.user_id
    with db.session() as session:
        assert verify(session).ok


def test_adding_the_same_observable_again_updates_it_instead(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    first = add(client, responder, ref, type="domain-name", value="c2.evil.example", tlp="GREEN")
    again = add(
        client,
        responder,
        ref,
        type="domain-name",
        value="C2.Evil.Example.",
        techniques=["T1071.001"],
    )
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["id"] == first.json()["id"] and body["created"] is False
    assert body["changed"] == ["techniques"] and "already has" in body["message"]
    assert body["tlp"] == "GREEN"  # not given again: kept
    same = add(client, responder, ref, type="domain-name", value="c2.evil.example")
    assert same.status_code == 200 and same.json()["changed"] == []
    assert "nothing new" in same.json()["message"]
    assert len(listed(client, responder, ref)) == 1
    kinds = [e["kind"] for e in timeline(client, responder, ref)]
    assert kinds.count("observable_added") == 1 and kinds.count("observable_updated") == 1


def test_a_file_by_hash_and_by_name_are_different_observables(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    digest = "D41D8CD98F00B204E9800998ECF8427E"
    by_hash = add(client, responder, ref, type="file", value=digest, hash_algorithm="md5")
    assert by_hash.status_code == 201 and by_hash.json()["hash_algorithm"] == "MD5"
    assert by_hash.json()["value"] == digest.lower()
    assert add(client, responder, ref, type="file", value=digest.lower()).status_code == 201
    assert len(listed(client, responder, ref)) == 2


def test_changing_and_removing_are_recorded(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    observable = add(
        client, responder, ref, type="url", value="https://paste.evil.example/k"
    ).json()
    path = f"/api/v1/incidents/{ref}/observables/{observable['id']}"
    changed = client.patch(
        path, json={"tlp": "red", "techniques": ["T1567"]}, headers=responder.headers
    )
    assert changed.status_code == 200 and changed.json()["tlp"] == "RED"
    assert changed.json()["techniques"] == ["T1567"]
    removed = client.delete(path, params={"reason": "our own paste"}, headers=responder.headers)
    assert removed.status_code == 204
    assert listed(client, responder, ref) == []
    assert client.delete(path, headers=responder.headers).status_code == 404
    events = {e["kind"]: e for e in timeline(client, responder, ref)}
    assert events["observable_updated"]["data"]["before"] == {"tlp": "AMBER", "techniques": []}
    assert events["observable_updated"]["data"]["after"] == {"tlp": "RED", "techniques": ["T1567"]}
    gone = events["observable_removed"]
    assert gone["data"]["value"] == "https://paste.evil.example/k"
    assert gone["data"]["reason"] == "our own paste" and gone["data"]["tlp"] == "RED"


def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"type": "mutex", "value": "x"}, "type"),
        ({"type": "ipv4-addr", "value": "300.1.1.1"}, "value"),
        ({"type": "ipv4-addr", "value": "x" * 3000}, "value"),
        ({"type": "file", "value": "abc", "hash_algorithm": "crc32"}, "hash_algorithm"),
        (
            {"type": "domain-name", "value": "evil.example", "hash_algorithm": "MD5"},
            "hash_algorithm",
        ),
        ({"type": "domain-name", "value": "evil.example", "tlp": "PURPLE"}, "tlp"),
        (
            {"type": "domain-name", "value": "evil.example", "techniques": ["phishing"]},
            "techniques",
        ),
        ({"type": "domain-name", "value": "evil.example", "first_seen": "yesterday"}, "first_seen"),
        (
            {"type": "domain-name", "value": "evil.example", "first_seen": "2027-01-01T00:00:00Z"},
            "first_seen",
        ),
        (
            {
                "type": "domain-name",
                "value": "evil.example",
                "first_seen": "0001-01-01T00:00+14:00",
            },
            "first_seen",
        ),
        ({"type": "url", "value": "http://evil.example:99999/"}, "value"),
        ({"type": "domain-name", "value": "evil.example", "colour": "red"}, "colour"),
        ({"value": "evil.example"}, "type"),
    ]
    for body, field in cases:
        response = add(client, responder, ref, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, (body, response.json())
    patch = client.patch(
        f"/api/v1/incidents/{ref}/observables/1", json={"tlp": "GREEN"}, headers=responder.headers
    )
    assert patch.status_code == 404
    assert listed(client, responder, ref) == []


def test_technique_tags_on_the_incident(client: TestClient, personas: dict[str, Persona]) -> None:
    responder, viewer = personas["responder"], personas["viewer"]
    ref = declare(client, responder)
    path = f"/api/v1/incidents/{ref}/techniques"
    first = client.post(path, json={"technique": "t1486"}, headers=responder.headers)
    assert first.status_code == 201 and first.json()["name"] == "Data Encrypted for Impact"
    again = client.post(path, json={"technique": "T1486"}, headers=responder.headers)
    assert again.status_code == 200
    bad = client.post(path, json={"technique": "TA0040"}, headers=responder.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "techniques"
    assert client.post(path, json={"technique": "T1490"}, headers=viewer.headers).status_code == 403
    tags = client.get(path, headers=viewer.headers).json()
    assert [t["technique"] for t in tags] == ["T1486"]
    assert client.delete(f"{path}/T1486", headers=responder.headers).status_code == 204
    assert client.delete(f"{path}/T1486", headers=responder.headers).status_code == 404
    assert client.get(path, headers=viewer.headers).json() == []
    kinds = [e["kind"] for e in timeline(client, responder, ref)]
    assert kinds.count("technique_added") == 1 and kinds.count("technique_removed") == 1


def test_sightings_link_incidents_without_revealing_restricted_ones(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder, outsider, admin = personas["responder"], personas["outsider"], personas["admin"]
    leak = declare(client, responder, title="Leaked key")
    ransom = declare(client, responder, title="Ransomware", type="ransomware")
    secret = declare(client, responder, title="Insider", type="insider", restricted=True)
    for ref in (leak, ransom, secret):
        assert add(client, responder, ref, type="ipv4-addr", value="203.0.113.7").status_code == 201
    add(client, responder, leak, type="domain-name", value="only-here.example")

    mine = {o["value"]: o for o in listed(client, responder, leak)}
    assert [s["ref"] for s in mine["203.0.113.7"]["seen_in"]] == [ransom, secret]
    assert mine["only-here.example"]["seen_in"] == []
    # The outsider may not see the restricted incident, so it is not named to them.
    theirs = {o["value"]: o for o in listed(client, outsider, leak)}
    assert [s["ref"] for s in theirs["203.0.113.7"]["seen_in"]] == [ransom]
    shared = client.get(f"/api/v1/incidents/{leak}/observables/sightings", headers=outsider.headers)
    assert [o["value"] for o in shared.json()] == ["203.0.113.7"]
    # Both ways, and the incidents stay separate.
    from_ransom = listed(client, admin, ransom)[0]["seen_in"]
    assert [(s["ref"], s["title"]) for s in from_ransom] == [
        (leak, "Leaked key"),
        (secret, "Insider"),
    ]
    assert (
        client.get(f"/api/v1/incidents/{secret}/observables", headers=outsider.headers).status_code
        == 404
    )
    assert add(client, outsider, secret, type="ipv4-addr", value="192.0.2.1").status_code == 404
    stix = client.get(f"/api/v1/incidents/{secret}/stix", headers=outsider.headers)
    assert stix.status_code == 404
