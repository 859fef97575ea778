"""STIX 2.1 through the API: export under a TLP ceiling, import, and the round trip."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_string

from tests.conftest import Persona
from tests.security.observables.helpers import add, declare, listed, timeline
from tests.security.observables.stix_samples import VALUES
from tests.web.helpers import page_token, sign_in

LEVELS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]


def fill(client: TestClient, persona: Persona, ref: str) -> None:
    """Every kind of observable, the TLP levels in turn, techniques on some; two incident tags."""
    for index, (type_, value, algorithm) in enumerate(VALUES):
        response = add(
            client,
            persona,
            ref,
            type=type_,
            value=value,
            hash_algorithm=algorithm,
            tlp=LEVELS[index % 5],
            description=f"sample {index}" if index % 2 else None,
            techniques=["T1552.001"] if index % 3 == 0 else [],
            first_seen="2026-03-02T06:00:00Z",
            last_seen="2026-03-02T08:30:00Z",
        )
        assert response.status_code == 201, response.text
    for technique in ("T1078.004", "T1552.001"):
        client.post(
            f"/api/v1/incidents/{ref}/techniques",
            json={"technique": technique},
            headers=persona.headers,
        )


def export(client: TestClient, persona: Persona, ref: str, **params: str) -> Any:
    return client.get(f"/api/v1/incidents/{ref}/stix", params=params, headers=persona.headers)


def comparable(observables: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (o["type"], o["value"], o["hash_algorithm"], o["tlp"], tuple(o["techniques"]))
        for o in observables
    )


def test_the_export_is_valid_stix_and_keeps_to_its_ceiling(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder, viewer = personas["responder"], personas["viewer"]
    ref = declare(client, responder)
    fill(client, responder, ref)
    default = export(client, viewer, ref)
    assert default.status_code == 200
    bundle = default.json()
    results = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert results.is_valid and results.errors == []
    incident = next(o for o in bundle["objects"] if o["type"] == "incident")
    assert "TLP:AMBER ceiling" in incident["description"]
    values = {o.get("value") for o in bundle["objects"]}
    assert "203.0.113.7" in values  # CLEAR
    assert "c2.evil.example" not in values  # AMBER+STRICT, above the default ceiling
    red = export(client, viewer, ref, tlp="red").json()
    assert "c2.evil.example" in {o.get("value") for o in red["objects"]}
    assert export(client, viewer, ref, tlp="red").json() == red  # the same ids, the same bundle
    bad = export(client, viewer, ref, tlp="purple")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "tlp"


def test_a_bundle_imports_back_into_another_incident_the_same(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    source = declare(client, responder, title="Leaked key")
    fill(client, responder, source)
    bundle = export(client, responder, source, tlp="RED").json()
    target = declare(client, responder, title="Second look")
    response = client.post(
        f"/api/v1/incidents/{target}/stix", json=bundle, headers=responder.headers
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert len(report["added"]) == len(VALUES) and report["skipped"] == []
    assert report["techniques_added"] == ["T1078.004", "T1552.001"]
    assert comparable(listed(client, responder, target)) == comparable(
        listed(client, responder, source)
    )
    tags = client.get(f"/api/v1/incidents/{target}/techniques", headers=responder.headers)
    assert [t["technique"] for t in tags.json()] == ["T1078.004", "T1552.001"]
    # Every imported observable is a sighting of the source incident.
    assert all(o["seen_in"][0]["ref"] == source for o in listed(client, responder, target))
    imported = [e for e in timeline(client, responder, target) if e["kind"] == "stix_imported"]
    assert len(imported) == 1 and imported[0]["body"].startswith(f"{len(VALUES)} added")

    again = client.post(f"/api/v1/incidents/{target}/stix", json=bundle, headers=responder.headers)
    assert again.json()["unchanged"] == len(VALUES) and again.json()["added"] == []
    kinds = [e["kind"] for e in timeline(client, responder, target)]
    assert kinds.count("stix_imported") == 1  # nothing changed, nothing recorded


def test_an_import_never_lowers_a_marking(client: TestClient, personas: dict[str, Persona]) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    add(client, responder, ref, type="ipv4-addr", value="203.0.113.7", tlp="RED")
    bundle = {
        "type": "bundle",
        "id": "bundle--0c4d1a8e-9f6b-4e0c-8f1e-3c2b1a0d9e8f",
        "objects": [
            {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
                "value": "203.0.113.7",
                "object_marking_refs": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
            }
        ],
    }
    report = client.post(f"/api/v1/incidents/{ref}/stix", json=bundle, headers=responder.headers)
    assert report.json()["unchanged"] == 1
    assert listed(client, responder, ref)[0]["tlp"] == "RED"


def test_what_cannot_be_imported_is_reported(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder)
    bundle = {
        "type": "bundle",
        "id": "bundle--0c4d1a8e-9f6b-4e0c-8f1e-3c2b1a0d9e8f",
        "objects": [
            {"type": "mutex", "spec_version": "2.1", "id": "mutex--1", "name": "Global\\x"},
            {
                "type": "domain-name",
                "spec_version": "2.1",
                "id": "domain-name--2",
                "value": "ok.example",
            },
        ],
    }
    report = client.post(f"/api/v1/incidents/{ref}/stix", json=bundle, headers=responder.headers)
    assert report.status_code == 200
    assert [s["id"] for s in report.json()["skipped"]] == ["mutex--1"]
    assert [o["value"] for o in listed(client, responder, ref)] == ["ok.example"]


def test_a_malformed_bundle_imports_nothing(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder, viewer = personas["responder"], personas["viewer"]
    ref = declare(client, responder)
    path = f"/api/v1/incidents/{ref}/stix"
    headers = {**responder.headers, "content-type": "application/json"}
    not_json = client.post(path, content=b"{not json", headers=headers)
    assert not_json.status_code == 422 and not_json.json()["error"]["field"] == "bundle"
    half = {
        "type": "bundle",
        "objects": [
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "203.0.113.7"},
            {"type": "domain-name", "value": "evil.example"},
        ],
    }
    refused = client.post(path, json=half, headers=responder.headers)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "objects[1].id"
    huge = b'{"type": "bundle", "objects": [' + b'{"a": 1},' * 1_300_000 + b"{}]}"
    too_large = client.post(path, content=huge, headers=headers)
    assert too_large.status_code == 413
    assert client.post(path, json=half, headers=viewer.headers).status_code == 403
    assert listed(client, responder, ref) == []
    assert not [e for e in timeline(client, responder, ref) if e["kind"] == "stix_imported"]


def test_a_bundle_sent_as_a_form_is_refused_clearly(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = declare(client, personas["responder"])
    sign_in(client, "responder@example.com")
    token = page_token(client, f"/incidents/{ref}/observables")
    response = client.post(
        f"/api/v1/incidents/{ref}/stix",
        data={"csrf_token": token},
        files={"bundle": ("feed.json", b"{}", "application/json")},
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "bundle"
