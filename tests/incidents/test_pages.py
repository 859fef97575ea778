"""Incident pages through HTTP: list, declare form, incident page, restricted 404s."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}


def declare_via_form(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = page_token(client, "/incidents/new")
    data = {
        "csrf_token": token,
        "title": "Checkout failing",
        "type": "service_outage",
        "severity": "SEV2",
        **fields,
    }
    return client.post("/incidents/new", data=data, follow_redirects=False)


def test_declare_form_creates_and_shows_the_incident(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "responder@example.com")
    response = declare_via_form(client, idempotency_key="form-1")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/incidents/INC-")
    again = declare_via_form(client, idempotency_key="form-1")  # a double click
    assert again.headers["location"] == location
    page = client.get(location).text
    assert "Checkout failing" in page and "Response SLA" in page and "Resolution SLA" in page
    assert 'hx-get="' + location + '/timeline"' in page
    assert client.get("/incidents").text.count("Checkout failing") == 1


def test_form_errors_keep_the_input(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "responder@example.com")
    response = declare_via_form(client, title="Still here", severity="", q_impact="nonsense")
    assert response.status_code == 422
    assert 'value="Still here"' in response.text and "classification.impact" in response.text


def test_page_actions_and_markdown_notes(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "responder@example.com")
    ref = declare_via_form(client).headers["location"].rsplit("/", 1)[1]
    token = page_token(client, f"/incidents/{ref}")
    client.post(f"/incidents/{ref}/status", data={"csrf_token": token, "status": "investigating"})
    client.post(
        f"/incidents/{ref}/role",
        data={"csrf_token": token, "role": "scribe", "user": str(personas["viewer"].user_id)},
    )
    client.post(
        f"/incidents/{ref}/note",
        data={
            "csrf_token": token,
            "body": "**Rolled back** <script>alert(1)</script> [x](javascript:alert(1))",
        },
    )
    refused = client.post(
        f"/incidents/{ref}/status", data={"csrf_token": token, "status": "closed"}
    )
    assert refused.status_code == 409 and "allowed states are" in refused.text
    timeline = client.get(f"/incidents/{ref}/timeline").text
    assert "moved it from triage to investigating" in timeline
    assert "made Viewer scribe" in timeline
    assert "<strong>Rolled back</strong>" in timeline
    assert "<script>" not in timeline and "&lt;script&gt;" in timeline
    assert 'href="javascript:' not in timeline


def test_type_form_reclassifies_and_says_so_on_the_timeline(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "responder@example.com")
    ref = declare_via_form(client).headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/incidents/{ref}").text
    assert 'action="/incidents/' + ref + '/type"' in page
    assert '<optgroup label="security lifecycle">' in page and ">containment<" in page
    token = page_token(client, f"/incidents/{ref}")
    missing = client.post(
        f"/incidents/{ref}/type",
        data={"csrf_token": token, "type": "ransomware", "reason": "files encrypted"},
    )
    assert missing.status_code == 409 and "say which state the incident is in now" in missing.text
    changed = client.post(
        f"/incidents/{ref}/type",
        data={
            "csrf_token": token,
            "type": "ransomware",
            "status": "containment",
            "reason": "files encrypted",
        },
    )
    assert changed.status_code == 200
    timeline = client.get(f"/incidents/{ref}/timeline").text
    assert (
        "changed its type from service outage to ransomware, now containment: files encrypted"
        in timeline
    )
    assert "Ransomware" in client.get(f"/incidents/{ref}").text


def test_viewers_read_but_do_not_act(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "responder@example.com")
    ref = declare_via_form(client).headers["location"].rsplit("/", 1)[1]
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{ref}").text
    assert "Checkout failing" in page and "Change status" not in page
    assert client.get("/incidents/new", headers=HTML).status_code == 403
    token = page_token(client)
    assert (
        client.post(
            f"/incidents/{ref}/note", data={"csrf_token": token, "body": "x"}, headers=HTML
        ).status_code
        == 403
    )


def test_restricted_incident_pages_are_404_for_outsiders(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "responder@example.com")
    ref = (
        declare_via_form(client, title="HR matter", type="insider_threat", restricted="on")
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    client.cookies.clear()
    sign_in(client, "outsider@example.com")
    for path in (f"/incidents/{ref}", f"/incidents/{ref}/timeline"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 404 and "HR matter" not in response.text
    token = page_token(client)
    assert (
        client.post(
            f"/incidents/{ref}/note", data={"csrf_token": token, "body": "x"}, headers=HTML
        ).status_code
        == 404
    )
    assert "HR matter" not in client.get("/incidents?status=all").text
    assert "HR matter" not in client.get("/").text


def test_page_shows_missing_roles_and_follows(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "responder@example.com")
    location = declare_via_form(client, severity="SEV1").headers["location"]
    page = client.get(location).text
    assert "Missing for SEV1: Communications lead" in page
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    token = page_token(client, location)
    client.post(f"{location}/follow", data={"csrf_token": token})
    assert (
        "1 followers" in client.get(location).text and ">Follow<" not in client.get(location).text
    )


def test_tasks_and_action_items_from_the_page(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "responder@example.com")
    location = declare_via_form(client).headers["location"]
    token = page_token(client, location)
    client.post(f"{location}/task", data={"csrf_token": token, "title": "Page the CDN vendor"})
    client.post(
        f"{location}/action-item",
        data={"csrf_token": token, "title": "Add a synthetic check", "priority": "high"},
    )
    page = client.get(location).text
    assert (
        "Page the CDN vendor" in page and "Add a synthetic check" in page and "(high, open" in page
    )
    ref = location.rsplit("/", 1)[1]
    tasks = client.get(f"/api/v1/incidents/{ref}/tasks").json()
    task_id = next(t["id"] for t in tasks if t["title"] == "Page the CDN vendor")
    client.post(
        f"{location}/task-status",
        data={"csrf_token": token, "task_id": str(task_id), "status": "done"},
    )
    assert 'class="done">Page the CDN vendor' in client.get(location).text
    bad = client.post(
        f"{location}/task-status", data={"csrf_token": token, "task_id": "x", "status": "done"}
    )
    assert bad.status_code == 422


def test_list_filters_sorting_and_pages(
    client: TestClient, personas: dict[str, Persona], clock
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "responder@example.com")
    for n, severity in enumerate(["SEV3", "SEV1", "SEV2"] * 10):
        clock.advance(minutes=1)
        declare_via_form(client, title=f"Incident number {n:02d}", severity=severity)
    first = client.get("/incidents?sort=severity").text
    assert first.index("SEV1") < first.index("SEV2") < first.index("SEV3")
    assert "Older" in first and "Newer" not in first
    second = client.get("/incidents?sort=newest&page=2").text
    assert "Incident number 04" in second and "Incident number 05" not in second
    assert "Incident number 29" in client.get("/incidents?sort=newest").text
    assert "Incident number" not in client.get("/incidents?since=2026-03-03").text
    assert "Incident number 00" in client.get("/incidents?until=2026-03-02&sort=oldest").text
    mine = client.get(f"/incidents?commander={personas['responder'].user_id}").text
    assert "Incident number 29" in mine
    assert (
        "Incident number"
        not in client.get(f"/incidents?commander={personas['viewer'].user_id}").text
    )
    assert (
        client.get("/incidents?since=yesterday", headers={"accept": "text/html"}).status_code == 422
    )
    assert (
        client.get("/api/v1/incidents?sort=random", headers=personas["viewer"].headers).json()[
            "error"
        ]["field"]
        == "sort"
    )


def test_timeline_filter_by_kind(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "responder@example.com")
    location = declare_via_form(client).headers["location"]
    token = page_token(client, location)
    client.post(f"{location}/note", data={"csrf_token": token, "body": "only this note"})
    client.post(f"{location}/status", data={"csrf_token": token, "status": "investigating"})
    notes = client.get(f"{location}?kind=note").text
    assert "only this note" in notes and "moved it from triage" not in notes
    assert f'hx-get="{location}/timeline?kind=note"' in notes
    assert "moved it from triage" in client.get(location).text
