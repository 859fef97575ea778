"""The observables page and the incident page's panel, through HTTP as a browser would."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.security.observables.helpers import add, declare, listed
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}


def test_add_mark_remove_and_tag_through_the_page(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = declare(client, personas["responder"])
    sign_in(client, "responder@example.com")
    page = f"/incidents/{ref}/observables"
    token = page_token(client, page)
    added = client.post(
        page,
        data={
            "csrf_token": token,
            "type": "file",
            "value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "hash_algorithm": "SHA-256",
            "tlp": "RED",
            "description": "the dropper",
            "techniques": "T1204.002, t1105",
            "first_seen": "2026-03-02T08:15",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    shown = client.get(added.headers["location"]).text
    assert "Added: file SHA-256 e3b0c442" in shown
    assert 'aria-label="TLP:RED"' in shown and "the dropper" in shown
    assert "T1105" in shown and "T1204.002" in shown
    row = listed(client, personas["responder"], ref)[0]
    # The responder's time zone is UTC; the first seen time is read in it.
    assert row["first_seen"] == "2026-03-02T08:15:00Z"

    again = client.post(
        page,
        data={
            "csrf_token": token,
            "type": "file",
            "value": row["value"],
            "hash_algorithm": "SHA-256",
        },
    )
    assert "Already on this incident, with nothing new" in again.text

    marked = client.post(
        f"{page}/{row['id']}/marking",
        data={"csrf_token": token, "tlp": "GREEN"},
        follow_redirects=True,
    )
    assert 'aria-label="TLP:GREEN"' in marked.text
    client.post(f"/incidents/{ref}/techniques", data={"csrf_token": token, "technique": "T1486"})
    tagged = client.get(page).text
    assert "Data Encrypted for Impact" in tagged
    client.post(f"/incidents/{ref}/techniques/T1486/remove", data={"csrf_token": token})
    assert "No techniques tagged yet." in client.get(page).text
    client.post(
        f"{page}/{row['id']}/remove", data={"csrf_token": token, "reason": "false positive"}
    )
    assert "No observables yet." in client.get(page).text


def test_form_errors_keep_the_input_and_name_the_field(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = declare(client, personas["responder"])
    sign_in(client, "responder@example.com")
    page = f"/incidents/{ref}/observables"
    token = page_token(client, page)
    response = client.post(
        page,
        data={"csrf_token": token, "type": "domain-name", "value": "not a domain", "tlp": "AMBER"},
    )
    assert response.status_code == 422
    assert "<strong>value</strong>" in response.text and 'value="not a domain"' in response.text
    bad_time = client.post(
        page,
        data={
            "csrf_token": token,
            "type": "domain-name",
            "value": "evil.example",
            "first_seen": "soon",
        },
    )
    assert bad_time.status_code == 422 and "<strong>first_seen</strong>" in bad_time.text
    for edge in ("0001-01-01T00:00", "9999-12-31T23:59"):
        far = client.post(
            page,
            data={
                "csrf_token": token,
                "type": "domain-name",
                "value": "evil.example",
                "last_seen": edge,
            },
        )
        assert far.status_code == 422 and "<strong>last_seen</strong>" in far.text
        assert "the years 1 to 9999" in far.text
    bad_tag = client.post(
        f"/incidents/{ref}/techniques", data={"csrf_token": token, "technique": "x"}
    )
    assert bad_tag.status_code == 422 and "<strong>techniques</strong>" in bad_tag.text
    gone = client.post(f"{page}/999/remove", data={"csrf_token": token})
    assert gone.status_code == 404
    assert listed(client, personas["responder"], ref) == []


def test_viewers_read_and_export_but_do_not_change(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = declare(client, personas["responder"])
    add(client, personas["responder"], ref, type="ipv4-addr", value="203.0.113.7", tlp="CLEAR")
    add(client, personas["responder"], ref, type="domain-name", value="red.example", tlp="RED")
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{ref}/observables").text
    assert "203.0.113.7" in page and 'id="add-observable"' not in page and "Remove" not in page
    download = client.get(f"/incidents/{ref}/observables/stix", params={"tlp": "GREEN"})
    assert download.status_code == 200
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="{ref}-tlp-green.stix.json"'
    )
    values = {o.get("value") for o in json.loads(download.content)["objects"]}
    assert "203.0.113.7" in values and "red.example" not in values
    token = page_token(client, f"/incidents/{ref}/observables")
    refused = client.post(
        f"/incidents/{ref}/observables",
        data={"csrf_token": token, "type": "ipv4-addr", "value": "192.0.2.1"},
        headers=HTML,
    )
    assert refused.status_code == 403 and "needs the responder role" in refused.text


def test_import_through_the_page_reports_what_was_skipped(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    ref = declare(client, personas["responder"])
    sign_in(client, "responder@example.com")
    token = page_token(client, f"/incidents/{ref}/observables")
    bundle = {
        "type": "bundle",
        "id": "bundle--0c4d1a8e-9f6b-4e0c-8f1e-3c2b1a0d9e8f",
        "objects": [
            {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": "ipv4-addr--1",
                "value": "198.51.100.4",
            },
            {"type": "process", "spec_version": "2.1", "id": "process--2", "pid": 4242},
        ],
    }
    response = client.post(
        f"/incidents/{ref}/observables/import",
        data={"csrf_token": token},
        files={"bundle": ("feed.json", json.dumps(bundle).encode(), "application/json")},
    )
    assert response.status_code == 200
    assert "1 added" in response.text and "process--2" in response.text
    broken = client.post(
        f"/incidents/{ref}/observables/import",
        data={"csrf_token": token},
        files={"bundle": ("feed.json", b"[1, 2", "application/json")},
    )
    assert broken.status_code == 422 and "<strong>bundle</strong>" in broken.text
    missing = client.post(
        f"/incidents/{ref}/observables/import",
        data={"csrf_token": token},
        files={"bundle": ("", b"", "application/json")},
    )
    assert missing.status_code == 422


def test_the_incident_page_shows_shared_observables_the_viewer_may_see(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"]
    leak = declare(client, responder, title="Leaked key")
    ransom = declare(client, responder, title="Ransomware on FS01", type="ransomware")
    secret = declare(client, responder, title="Insider", type="insider", restricted=True)
    for ref in (leak, ransom, secret):
        add(client, responder, ref, type="ipv4-addr", value="203.0.113.7")
    add(client, responder, leak, type="domain-name", value="alone.example", tlp="RED")

    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{leak}").text
    assert 'id="observables-count"' in page and "2 observables" in page
    assert 'aria-label="TLP:RED"' in page
    sightings = page.split('id="observable-sightings"')[1].split("</ul>")[0]
    assert "203.0.113.7" in sightings and ransom in sightings and secret in sightings
    assert f'href="/incidents/{leak}/observables"' in page

    client.post("/logout", data={"csrf_token": page_token(client)})
    sign_in(client, "outsider@example.com")
    outside = client.get(f"/incidents/{leak}").text
    assert ransom in outside and secret not in outside
    observables_page = client.get(f"/incidents/{leak}/observables").text
    assert ransom in observables_page and secret not in observables_page
    assert client.get(f"/incidents/{secret}/observables").status_code == 404
