"""The evidence API: register by upload or description, who sees what, every
look in the audit chain, downloads checked, custody rules, verify."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from fireline.core.audit import verify as verify_chain
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.security.evidence.store import EvidenceStore
from tests.conftest import Persona
from tests.security.evidence.conftest import (
    MEMORY,
    assign,
    audit_actions,
    declare_security_incident,
    external,
    upload,
)


def pdf_pages(content: bytes) -> int:
    """The page count of a PDF WeasyPrint wrote (its objects are compressed)."""
    inflated = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        with contextlib.suppress(zlib.error):
            inflated += zlib.decompress(match.group(1))
    counts = re.findall(rb"/Count (\d+)", inflated)
    return max(int(c) for c in counts) if counts else 0


def tamper(settings: Settings, sha256: str, content: bytes = b"altered") -> Path:
    path = EvidenceStore(settings.evidence_dir).path_of(sha256)
    os.chmod(path, 0o640)
    path.write_bytes(content)
    return path


def test_an_upload_streams_into_the_store_with_its_hashes_and_collected_event(
    client: TestClient,
    personas: dict[str, Persona],
    incident: str,
    settings: Settings,
    db: Database,
) -> None:
    lead = personas["responder"]
    response = upload(
        client,
        lead,
        incident,
        sha1="true",
        md5="true",
        description="RAM of the laptop",
        source_host="lt-0917",
        tool="LiME",
        tool_version="1.9.1",
        legal_hold="true",
        retain_until="2030-01-01",
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["ref"] == f"EV-{item['id']}" and item["label"] == "E1"
    assert item["origin"] == "upload" and item["size"] == len(MEMORY)
    assert item["hashes"] == {
        "sha256": hashlib.sha256(MEMORY).hexdigest(),
        "sha1": hashlib.sha1(MEMORY).hexdigest(),
        "md5": hashlib.md5(MEMORY).hexdigest(),
    }
    assert item["file_name"] == "laptop.mem" and item["source"]["host"] == "lt-0917"
    assert item["legal_hold"] is True and item["retain_until"] == "2030-01-01"
    assert item["collected_by"] == "Responder" and item["collected_tz"] == "UTC"
    stored = EvidenceStore(settings.evidence_dir).path_of(item["hashes"]["sha256"])
    assert stored.read_bytes() == MEMORY
    [collected] = item["custody"]
    assert collected["kind"] == "collected" and collected["by"] == "Responder"
    assert (
        collected["sha256"] == item["hashes"]["sha256"] and collected["hash_source"] == "computed"
    )
    assert item["custody_state"]["custodian"] == "Responder"

    actions = [e.action for e in audit_actions(db)]
    assert actions[:2] == ["evidence.registered", "evidence.custody"]
    timeline = client.get(f"/api/v1/incidents/{incident}/timeline", headers=lead.headers).json()
    line = next(e for e in timeline if e["kind"] == "evidence")
    assert line["body"] == f"{item['ref']} (memory dump) collected"
    assert "lt-0917" not in str(line) and "RAM" not in str(line)
    with db.session() as session:
        assert verify_chain(session).ok


def test_an_external_item_keeps_the_collectors_clock_and_measured_hashes(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    lead = personas["responder"]
    digest = "AB" * 32
    response = external(
        client,
        lead,
        incident,
        label="laptop-0917",
        collected_at="2026-03-01T22:30:00",
        collected_tz="Europe/Berlin",
        collected_by="Kim (night shift)",
        hashes={"sha256": digest},
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["origin"] == "external" and item["size"] is None
    assert item["collected_at"] == "2026-03-01T21:30:00Z"
    assert item["collected_tz"] == "Europe/Berlin" and item["collected_by"] == "Kim (night shift)"
    assert item["hashes"]["sha256"] == digest.lower()
    assert item["custody"][0]["hash_source"] == "entered"

    offset = external(client, lead, incident, collected_at="2026-03-01T18:00:00+05:30")
    assert offset.json()["collected_tz"] == "UTC+05:30"


def test_bad_metadata_is_named_by_field(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    lead = personas["responder"]
    cases = [
        (
            {"collected_at": "2026-03-01T22:30:00+01:00", "collected_tz": "Asia/Tokyo"},
            "collected_at",
        ),
        ({"collected_at": "2026-03-01T22:30:00"}, "collected_tz"),
        ({"collected_tz": "Mars/Olympus"}, "collected_tz"),
        ({"collected_at": "2026-03-09T09:00:00Z"}, "collected_at"),  # the future
        ({"label": "EV-12"}, "label"),
        ({"label": "has space"}, "label"),
        ({"hashes": {"sha256": "xyz"}}, "sha256"),
        ({"description": "  "}, "description"),
        ({"retain_until": "2020-01-01"}, "retain_until"),
    ]
    for fields, field in cases:
        response = external(client, lead, incident, **fields)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["error"]["field"] == field, (fields, response.text)
    assert external(client, lead, incident, label="bag-1").status_code == 201
    again = external(client, lead, incident, label="BAG-1")
    assert again.status_code == 422 and "labelled BAG-1 already" in again.json()["error"]["message"]
    assert upload(client, lead, incident, label="bag-1").status_code == 422
    assert external(client, lead, incident).json()["label"] == "E2"


def test_only_security_roles_and_admins_see_items_the_rest_see_a_count(
    client: TestClient, personas: dict[str, Persona], incident: str, db: Database
) -> None:
    item = upload(client, personas["responder"], incident).json()
    for who in ("viewer", "manager", "outsider"):
        listed = client.get(f"/api/v1/incidents/{incident}/evidence", headers=personas[who].headers)
        assert listed.status_code == 200
        body = listed.json()
        assert (body["visible"], body["count"], body["items"]) == (False, 1, None)
        assert body["who_may_see"] == ["admins", "Responder (Security lead)"]
        for path in ("", "/download", "/custody"):
            refused = client.get(
                f"/api/v1/incidents/{incident}/evidence/{item['ref']}{path}",
                headers=personas[who].headers,
            )
            assert refused.status_code == 403, (who, path, refused.text)
            assert "Security lead" in refused.json()["error"]["message"]
        assert (
            client.get(f"/api/v1/evidence/{item['ref']}", headers=personas[who].headers).status_code
            == 404
        )
    admin = client.get(f"/api/v1/incidents/{incident}/evidence", headers=personas["admin"].headers)
    assert admin.json()["visible"] is True and admin.json()["items"][0]["ref"] == item["ref"]

    # A viewer holding the legal role reads everything but changes nothing.
    assign(client, personas, incident, "legal", "viewer")
    viewer = personas["viewer"]
    assert (
        client.get(
            f"/api/v1/incidents/{incident}/evidence/{item['ref']}", headers=viewer.headers
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/v1/incidents/{incident}/evidence/{item['ref']}/custody",
        json={"kind": "analysed"},
        headers=viewer.headers,
    )
    assert refused.status_code == 403
    # Only counted people learn nothing of a restricted incident at all.
    restricted = client.post(
        "/api/v1/incidents",
        json={"title": "Insider", "type": "insider_threat", "severity": "SEV2", "restricted": True},
        headers=personas["responder"].headers,
    ).json()["ref"]
    hidden = client.get(
        f"/api/v1/incidents/{restricted}/evidence", headers=personas["outsider"].headers
    )
    assert hidden.status_code == 404
    viewers = {e.actor_name for e in audit_actions(db, "evidence.listed")}
    assert viewers == {"admin@example.com"}  # a count is not a look at the evidence


def test_every_look_and_download_is_in_the_audit_chain(
    client: TestClient, personas: dict[str, Persona], incident: str, db: Database
) -> None:
    lead = personas["responder"]
    item = upload(client, lead, incident).json()
    base = f"/api/v1/incidents/{incident}/evidence"
    assert client.get(base, headers=lead.headers).status_code == 200
    assert client.get(f"{base}/{item['label']}", headers=lead.headers).json()["id"] == item["id"]
    assert client.get(f"{base}/{item['ref']}/custody", headers=lead.headers).status_code == 200
    assert client.get(f"/api/v1/evidence/{item['ref']}", headers=lead.headers).status_code == 200
    downloaded = client.get(f"{base}/{item['ref']}/download", headers=lead.headers)
    assert downloaded.status_code == 200 and downloaded.content == MEMORY
    assert downloaded.headers["content-type"] == "application/octet-stream"
    assert downloaded.headers["content-disposition"].startswith('attachment; filename="laptop.mem"')
    assert downloaded.headers["x-evidence-sha256"] == item["hashes"]["sha256"]
    events = audit_actions(db)
    looked = [(e.action, e.changes.get("via")) for e in events if e.action != "evidence.custody"]
    assert looked == [
        ("evidence.registered", None),
        ("evidence.listed", "api"),
        ("evidence.viewed", "api"),
        ("evidence.viewed", "api custody"),
        ("evidence.viewed", "api"),
        ("evidence.downloaded", "api"),
    ]
    assert {e.actor_name for e in events} == {"responder@example.com"}
    assert all(e.at is not None for e in events)


def test_a_changed_file_is_refused_by_name_and_the_refusal_is_on_record(
    client: TestClient,
    personas: dict[str, Persona],
    incident: str,
    settings: Settings,
    db: Database,
) -> None:
    lead = personas["responder"]
    item = upload(client, lead, incident, label="ram").json()
    tamper(settings, item["hashes"]["sha256"])
    refused = client.get(
        f"/api/v1/incidents/{incident}/evidence/{item['ref']}/download", headers=lead.headers
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "evidence_changed"
    assert f"{item['ref']} (ram, laptop.mem) is not served" in error["message"]
    [failure] = audit_actions(db, "evidence.integrity_failed")
    assert failure.changes["during"] == "download" and failure.changes["item"] == item["ref"]
    assert failure.changes["problem"].startswith("changed: now hashes to ")
    assert not [e for e in audit_actions(db, "evidence.downloaded")]
    shown = client.get(f"/api/v1/incidents/{incident}/evidence/{item['ref']}", headers=lead.headers)
    assert shown.json()["verify_problem"].startswith("changed")

    Path(EvidenceStore(settings.evidence_dir).path_of(item["hashes"]["sha256"])).unlink()
    gone = client.get(
        f"/api/v1/incidents/{incident}/evidence/{item['ref']}/download", headers=lead.headers
    )
    assert gone.status_code == 409 and "missing from the evidence store" in gone.text
    not_a_file = external(client, lead, incident).json()
    answer = client.get(
        f"/api/v1/incidents/{incident}/evidence/{not_a_file['ref']}/download", headers=lead.headers
    )
    assert answer.status_code == 409 and "external item" in answer.json()["error"]["message"]


def test_custody_follows_its_rules_and_rehashes_uploads(
    client: TestClient,
    personas: dict[str, Persona],
    incident: str,
    settings: Settings,
    db: Database,
) -> None:
    lead = personas["responder"]
    item = upload(client, lead, incident).json()
    path = f"/api/v1/incidents/{incident}/evidence/{item['ref']}/custody"

    def add(**body: object):  # type: ignore[no-untyped-def]
        return client.post(path, json=body, headers=lead.headers)

    not_custodian = add(kind="transferred", by="Mallory", to="Eve")
    assert not_custodian.status_code == 422 and not_custodian.json()["error"]["field"] == "by"
    assert add(kind="transferred").json()["error"]["field"] == "to"
    assert add(kind="checked_in").status_code == 422
    out = add(kind="checked_out", location="lab bench 2", purpose="triage with Volatility")
    assert out.status_code == 201, out.text
    event = out.json()
    assert (event["seq"], event["from"], event["to"]) == (2, "Responder", "Responder")
    assert event["sha256"] == item["hashes"]["sha256"] and event["hash_matches"] is True
    assert add(kind="checked_out").status_code == 422
    assert add(kind="transferred", to="Kim").status_code == 422  # check it in first
    early = add(kind="checked_in", occurred_at="2026-03-02T08:00:00Z")
    assert early.status_code == 422 and early.json()["error"]["field"] == "occurred_at"
    assert add(kind="checked_in", occurred_at="2026-03-02T10:00:00Z").status_code == 422
    assert add(kind="checked_in", location="Safe 1").status_code == 201
    handed = add(kind="transferred", to="Kim Lawyer", location="Counsel's safe").json()
    assert (handed["from"], handed["to"]) == ("Responder", "Kim Lawyer")
    assert add(kind="analysed", purpose="hash check before filing").status_code == 201
    trail = client.get(path, headers=lead.headers).json()
    assert [e["kind"] for e in trail][:4] == [
        "collected",
        "checked_out",
        "checked_in",
        "transferred",
    ]
    ended = add(kind="destroyed", by="Kim Lawyer", purpose="retention ended")
    assert ended.status_code == 201
    assert (
        add(kind="copied").json()["error"]["message"]
        == "the item was destroyed: its trail has ended"
    )

    shown = client.get(f"/api/v1/incidents/{incident}/evidence/{item['ref']}", headers=lead.headers)
    assert shown.json()["custody_state"]["ended"] == "destroyed"
    custody_records = audit_actions(db, "evidence.custody")
    assert [r.changes["kind"] for r in custody_records][-1] == "destroyed"
    assert all(
        r.seq == e["audit_seq"]
        for r, e in zip(custody_records, shown.json()["custody"], strict=True)
    )
    assert [
        e["kind"]
        for e in client.get(
            f"/api/v1/incidents/{incident}/timeline?kind=evidence", headers=lead.headers
        ).json()
    ] == ["evidence"] * 6


def test_a_custody_event_on_a_changed_file_is_kept_and_flagged(
    client: TestClient,
    personas: dict[str, Persona],
    incident: str,
    settings: Settings,
    db: Database,
) -> None:
    lead = personas["responder"]
    item = upload(client, lead, incident).json()
    tamper(settings, item["hashes"]["sha256"], b"other bytes")
    path = f"/api/v1/incidents/{incident}/evidence/{item['ref']}/custody"
    event = client.post(path, json={"kind": "analysed"}, headers=lead.headers).json()
    assert event["hash_matches"] is False
    assert event["sha256"] == hashlib.sha256(b"other bytes").hexdigest()
    [failure] = audit_actions(db, "evidence.integrity_failed")
    assert failure.changes["during"] == "custody analysed"
    entered = client.post(path, json={"kind": "copied", "sha256": "a" * 64}, headers=lead.headers)
    assert entered.status_code == 422 and entered.json()["error"]["field"] == "sha256"

    laptop = external(client, lead, incident, hashes={"sha256": "b" * 64}).json()
    path = f"/api/v1/incidents/{incident}/evidence/{laptop['ref']}/custody"
    same = client.post(path, json={"kind": "checked_out", "sha256": "B" * 64}, headers=lead.headers)
    assert same.json()["hash_matches"] is True and same.json()["hash_source"] == "entered"
    other = client.post(path, json={"kind": "checked_in", "sha256": "c" * 64}, headers=lead.headers)
    assert other.status_code == 201 and other.json()["hash_matches"] is False
    assert len(audit_actions(db, "evidence.integrity_failed")) == 2


def test_verify_checks_every_visible_file_and_names_the_changed_ones(
    client: TestClient, personas: dict[str, Persona], settings: Settings, db: Database
) -> None:
    lead, admin = personas["responder"], personas["admin"]
    first = declare_security_incident(client, personas)
    second = declare_security_incident(client, personas, lead="manager")
    kept = upload(client, lead, first, content=b"kept").json()
    changed = upload(client, lead, first, content=b"to be changed").json()
    external(client, lead, first)
    upload(client, admin, second, content=b"only the manager's")
    tamper(settings, changed["hashes"]["sha256"])

    everything = client.get("/api/v1/evidence/verify", headers=admin.headers).json()
    assert (everything["checked"], everything["external"], everything["failed"]) == (3, 1, 1)
    assert everything["ok"] is False
    [bad] = [i for i in everything["items"] if i["problem"]]
    assert bad["item"] == changed["ref"] and bad["status"] == "changed" and bad["incident"] == first
    mine = client.get("/api/v1/evidence/verify", headers=lead.headers).json()
    assert {i["incident"] for i in mine["items"]} == {first}
    theirs = client.get(
        "/api/v1/evidence/verify", params={"incident": second}, headers=personas["manager"].headers
    ).json()
    assert (theirs["checked"], theirs["failed"], theirs["ok"]) == (1, 0, True)
    nothing = client.get("/api/v1/evidence/verify", headers=personas["viewer"].headers).json()
    assert nothing["items"] == [] and nothing["ok"] is True
    forbidden = client.get(
        "/api/v1/evidence/verify", params={"incident": first}, headers=personas["viewer"].headers
    )
    assert forbidden.status_code == 403
    runs = audit_actions(db, "evidence.verified")
    assert (
        runs[0].changes["failed"] == [changed["ref"]] and runs[0].actor_name == "admin@example.com"
    )
    assert kept["ref"] not in str(
        [e.changes for e in audit_actions(db, "evidence.integrity_failed")]
    )


def test_uploads_past_the_limit_are_refused_and_leave_nothing(
    client: TestClient, personas: dict[str, Persona], incident: str, settings: Settings
) -> None:
    client.app.state.settings.evidence_max_bytes = 1000  # type: ignore[attr-defined]
    lead = personas["responder"]
    declared = upload(client, lead, incident, content=b"x" * 1001)
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(11):
            yield b"y" * 100

    streamed = client.post(
        f"/api/v1/incidents/{incident}/evidence/upload",
        params={"type": "log"},
        content=chunked(),
        headers=lead.headers,
    )
    assert streamed.status_code == 413, streamed.text
    assert list((settings.evidence_dir / "incoming").iterdir()) == []
    listed = client.get(f"/api/v1/incidents/{incident}/evidence", headers=lead.headers).json()
    assert listed["count"] == 0
    assert upload(client, lead, incident, content=b"z" * 1000).status_code == 201


def test_reports_hold_everything_and_are_themselves_on_record(
    client: TestClient,
    personas: dict[str, Persona],
    incident: str,
    settings: Settings,
    db: Database,
) -> None:
    lead = personas["responder"]
    item = upload(client, lead, incident).json()
    laptop = external(client, lead, incident, legal_hold=True).json()
    client.post(
        f"/api/v1/incidents/{incident}/evidence/{laptop['ref']}/custody",
        json={"kind": "checked_out", "purpose": "imaging"},
        headers=lead.headers,
    )
    tamper(settings, item["hashes"]["sha256"])
    response = client.get(
        f"/api/v1/incidents/{incident}/evidence/report.json", headers=lead.headers
    )
    assert response.status_code == 200
    report = response.json()
    assert report["format"] == "fireline-evidence-report" and report["incident"]["ref"] == incident
    assert report["generated_by"]["email"] == "responder@example.com"
    assert report["generated_at"] == "2026-03-02T09:00:00Z"
    assert report["summary"] == {
        "items": 2, "uploads": 1, "external": 1, "legal_hold": 1, "failed": 1, "all_match": False,
    }  # fmt: skip
    by_ref = {i["ref"]: i for i in report["items"]}
    assert by_ref[item["ref"]]["verification"]["status"] == "changed"
    assert by_ref[laptop["ref"]]["verification"]["status"] == "not_held"
    assert [c["kind"] for c in by_ref[laptop["ref"]]["custody"]] == ["collected", "checked_out"]
    assert by_ref[laptop["ref"]]["source"]["serial"] == "PF-3XYZ"
    assert report["audit_chain_head"]["seq"] > 0
    [record] = audit_actions(db, "evidence.report")
    assert record.changes["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert record.changes["failed"] == [item["ref"]]

    pdf = client.get(f"/api/v1/incidents/{incident}/evidence/report.pdf", headers=lead.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    # A title page, then a page for each item.
    assert pdf.content.startswith(b"%PDF-") and pdf_pages(pdf.content) >= 3
    assert (
        audit_actions(db, "evidence.report")[-1].changes["sha256"]
        == hashlib.sha256(pdf.content).hexdigest()
    )
    refused = client.get(
        f"/api/v1/incidents/{incident}/evidence/report.pdf", headers=personas["viewer"].headers
    )
    assert refused.status_code == 403
