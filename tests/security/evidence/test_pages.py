"""Evidence pages through HTTP: the list with its two forms, an item with its
custody trail and form, downloads, the report, and the incident-page panel."""

from __future__ import annotations

import hashlib
import os

from fastapi.testclient import TestClient

from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.security.evidence.store import EvidenceStore
from tests.conftest import Persona
from tests.security.evidence.conftest import audit_actions, external, upload
from tests.web.helpers import page_token, sign_in


def test_registering_through_the_forms(
    client: TestClient, personas: dict[str, Persona], incident: str, db: Database
) -> None:
    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{incident}/evidence")
    assert page.status_code == 200
    assert 'id="upload-form"' in page.text and 'id="external-form"' in page.text
    assert "No evidence registered yet." in page.text
    token = page_token(client, f"/incidents/{incident}/evidence")

    described = client.post(
        f"/incidents/{incident}/evidence/external",
        data={
            "csrf_token": token,
            "type": "disk image",
            "label": "shelf-img",
            "description": "E01 image on USB drive WD-0032, sealed bag 417",
            "source_host": "fs-02",
            "collected_at": "2026-03-02T08:15",
            "collected_tz": "Europe/Berlin",
            "tool": "FTK Imager",
            "tool_version": "4.7.1",
            "storage_location": "Shelf B3",
            "legal_hold": "on",
            "sha256": "ab" * 32,
        },
        follow_redirects=False,
    )
    assert described.status_code == 303, described.text
    location = described.headers["location"]
    assert location.startswith(f"/incidents/{incident}/evidence/EV-")
    shown = client.get(location).text
    assert "shelf-img" in shown and "legal hold" in shown and "FTK Imager 4.7.1" in shown
    assert "2026-03-02 08:15:00 Europe/Berlin" in shown and "07:15:00 UTC" in shown
    assert 'id="custody-trail"' in shown and "collected" in shown
    assert 'id="download"' not in shown  # nothing to download: it is on a shelf

    uploaded = client.post(
        f"/incidents/{incident}/evidence/upload",
        data={"csrf_token": token, "type": "log excerpt", "sha1": "on"},
        files={"file": ("auth.log", b"Mar  2 08:01 sshd[1]: Accepted key\n", "text/plain")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    item_page = client.get(uploaded.headers["location"]).text
    content = b"Mar  2 08:01 sshd[1]: Accepted key\n"
    assert hashlib.sha256(content).hexdigest() in item_page
    assert hashlib.sha1(content).hexdigest() in item_page
    download = client.get(uploaded.headers["location"] + "/download")
    assert download.status_code == 200 and download.content == content

    listed = client.get(f"/incidents/{incident}/evidence").text
    assert "shelf-img" in listed and "auth.log" in listed
    vias = {(e.action, e.changes.get("via")) for e in audit_actions(db)}
    assert {
        ("evidence.listed", "page"),
        ("evidence.viewed", "page"),
        ("evidence.downloaded", "page"),
    } <= vias


def test_form_errors_keep_the_input_and_name_the_field(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    sign_in(client, "responder@example.com")
    token = page_token(client, f"/incidents/{incident}/evidence")
    refused = client.post(
        f"/incidents/{incident}/evidence/external",
        data={
            "csrf_token": token,
            "type": "laptop",
            "description": "Kept in locker 4",
            "collected_at": "2026-03-01T10:00",
            "collected_tz": "Mars/Olympus",
        },
    )
    assert refused.status_code == 422
    assert 'id="external-collected_tz-error"' in refused.text
    assert 'value="Mars/Olympus"' in refused.text and "Kept in locker 4" in refused.text
    for edge in ("0001-01-01T00:00", "9999-12-31T23:59"):
        far = client.post(
            f"/incidents/{incident}/evidence/external",
            data={
                "csrf_token": token,
                "type": "laptop",
                "collected_at": edge,
                "collected_tz": "Pacific/Kiritimati",
            },
        )
        assert far.status_code == 422 and 'id="external-collected_at-error"' in far.text
        assert "the years 1 to 9999" in far.text
    missing = client.post(
        f"/incidents/{incident}/evidence/upload", data={"csrf_token": token, "type": "log"}
    )
    assert missing.status_code == 422 and "choose the file to upload" in missing.text


def test_the_custody_form_adds_events_and_explains_refusals(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    item = upload(client, personas["responder"], incident).json()
    sign_in(client, "responder@example.com")
    path = f"/incidents/{incident}/evidence/{item['ref']}"
    token = page_token(client, path)
    refused = client.post(
        f"{path}/custody", data={"csrf_token": token, "kind": "checked_in", "by": "Responder"}
    )
    assert refused.status_code == 422 and "the item is not checked out" in refused.text
    added = client.post(
        f"{path}/custody",
        data={
            "csrf_token": token,
            "kind": "transferred",
            "by": "Responder",
            "to": "Kim Counsel",
            "location": "Counsel's safe",
            "purpose": "for the court filing",
            "occurred_at": "2026-03-02T09:00",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"].endswith("#custody")
    page = client.get(path).text
    assert "Kim Counsel" in page and "for the court filing" in page and "matches" in page
    assert "Custodian <strong>Kim Counsel</strong>" in page


def test_changed_files_and_outsiders_get_pages_that_say_why(
    client: TestClient, personas: dict[str, Persona], incident: str, settings: Settings
) -> None:
    item = upload(client, personas["responder"], incident).json()
    path = EvidenceStore(settings.evidence_dir).path_of(item["hashes"]["sha256"])
    os.chmod(path, 0o640)
    path.write_bytes(b"changed")
    sign_in(client, "responder@example.com")
    refused = client.get(
        f"/incidents/{incident}/evidence/{item['ref']}/download", headers={"accept": "text/html"}
    )
    assert refused.status_code == 409 and "is not served" in refused.text
    page = client.get(f"/incidents/{incident}/evidence/{item['ref']}").text
    assert 'id="integrity-alert"' in page

    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    html = {"accept": "text/html"}
    forbidden = client.get(f"/incidents/{incident}/evidence", headers=html)
    assert forbidden.status_code == 403 and "Security lead" in forbidden.text
    assert client.get(f"/incidents/{incident}/evidence/report.pdf", headers=html).status_code == 403


def test_the_incident_page_panel_shows_a_count_and_the_way_in(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    external(client, personas["responder"], incident)
    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{incident}").text
    assert 'id="evidence-summary"' in page and "1 item under chain of custody." in page
    assert f'href="/incidents/{incident}/evidence"' in page
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{incident}").text
    assert "1 item of evidence." in page
    assert "Only admins, Responder (Security lead) may see it." in page
    assert f'href="/incidents/{incident}/evidence"' not in page


def test_the_report_pages_for_legal(
    client: TestClient, personas: dict[str, Persona], incident: str
) -> None:
    upload(client, personas["responder"], incident)
    sign_in(client, "responder@example.com")
    pdf = client.get(f"/incidents/{incident}/evidence/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    data = client.get(f"/incidents/{incident}/evidence/report.json")
    assert data.json()["summary"]["all_match"] is True
