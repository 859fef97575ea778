"""Playbook pages: the list, a readable playbook, the YAML editor with
inline problems, and runs on the incident page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.incidents.test_api import declare
from tests.playbooks.test_runs import runs, step
from tests.web.helpers import page_token, sign_in

NEW = """key: lost-laptop
name: Lost laptop
types: [data_exfiltration]
steps:
  - key: wipe
    title: Wipe it remotely
    phase: containment
    instructions: Send the **wipe** command from device management.
"""


def test_responders_read_playbooks(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "responder@example.com")
    listed = client.get("/playbooks").text
    for name in (
        "Ransomware",
        "Phishing",
        "DDoS attack",
        "Service outage",
        "Leaked API key or credential",
    ):
        assert name in listed
    shown = client.get("/playbooks/ransomware")
    assert shown.status_code == 200
    assert "<strong>board</strong>" not in shown.text  # instructions are Markdown, escaped
    assert "needs approval by incident_commander, legal" in shown.text
    assert "Ran 0 times" in shown.text
    assert client.get("/playbooks/nope").status_code == 404
    assert client.get("/playbooks/new").status_code == 403


def test_admins_edit_yaml_with_problems_shown_by_line(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "admin@example.com")
    token = page_token(client, "/playbooks/new")
    broken = client.post(
        "/playbooks/new",
        data={"csrf_token": token, "source": NEW.replace("containment", "contain")},
    )
    assert broken.status_code == 422
    assert "line 7, column 12" in broken.text and "unknown phase" in broken.text
    assert "contain" in broken.text  # the text is kept for fixing
    assert client.get("/playbooks/lost-laptop").status_code == 404

    saved = client.post(
        "/playbooks/new", data={"csrf_token": token, "source": NEW}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/playbooks/lost-laptop"
    shown = client.get("/playbooks/lost-laptop").text
    assert "<strong>wipe</strong>" in shown and "stored" in shown

    renamed = client.post(
        "/playbooks/lost-laptop/edit",
        data={"csrf_token": token, "source": NEW.replace("key: lost-laptop", "key: other")},
    )
    assert renamed.status_code == 422 and "create a new one" in renamed.text
    editor = client.get("/playbooks/ransomware/edit").text
    assert "key: ransomware" in editor  # a built-in opens as YAML, to be stored as a copy
    removed = client.post(
        "/playbooks/lost-laptop/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert client.get("/playbooks/lost-laptop").status_code == 404


def test_runs_on_the_incident_page(client: TestClient, personas: dict[str, Persona]) -> None:
    ref = declare(client, personas["responder"], type="phishing", severity="3").json()["ref"]
    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{ref}").text
    assert 'id="playbooks"' in page and "Analyse the message and extract its indicators" in page
    token = page_token(client, f"/incidents/{ref}")
    started = client.post(
        f"/incidents/{ref}/playbooks",
        data={"csrf_token": token, "playbook": "ddos"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    [phishing, ddos] = runs(client, ref, personas["responder"])
    assert ddos["by_hand"]
    no_reason = client.post(
        f"/incidents/{ref}/playbooks/{phishing['id']}/steps/analyse/skip",
        data={"csrf_token": token, "reason": ""},
    )
    assert no_reason.status_code == 422
    client.post(
        f"/incidents/{ref}/playbooks/{phishing['id']}/steps/analyse/skip",
        data={"csrf_token": token, "reason": "The gateway already extracted them"},
    )
    [phishing, _] = runs(client, ref, personas["responder"])
    assert step(phishing, "analyse")["status"] == "skipped"
    bad_run = client.post(
        f"/incidents/{ref}/playbooks/abc/steps/analyse/skip",
        data={"csrf_token": token, "reason": "x"},
    )
    assert bad_run.status_code == 404
