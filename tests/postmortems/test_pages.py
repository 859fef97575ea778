"""Post-mortem pages: the incident panel's draft button, the editor with its
preview and blameless advice, the review buttons, the list and the board."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.postmortems.conftest import declare
from tests.web.helpers import page_token, sign_in

Personas = dict[str, Persona]


def test_draft_from_the_incident_page_then_edit_with_preview(
    client: TestClient, personas: Personas
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    sign_in(client, "responder@example.com")
    incident_page = client.get(f"/incidents/{ref}").text
    assert 'id="postmortem"' in incident_page and "Draft post-mortem" in incident_page
    token = page_token(client, f"/incidents/{ref}")
    drafted = client.post(
        f"/postmortems/{ref}/draft", data={"csrf_token": token}, follow_redirects=False
    )
    assert drafted.status_code == 303 and drafted.headers["location"] == f"/postmortems/{ref}"
    page = client.get(f"/postmortems/{ref}").text
    assert "## Contributing factors" in page and 'id="editor"' in page
    assert f"/postmortems/{ref}/export?format=pdf" in page
    assert f'href="/postmortems/{ref}"' in client.get(f"/incidents/{ref}").text

    blaming = "## Contributing factors\n\nResponder failed to check the **dashboard**.\n"
    preview = client.post(
        f"/postmortems/{ref}/edit", data={"csrf_token": token, "body": blaming, "preview": "1"}
    )
    assert preview.status_code == 200
    assert "<strong>dashboard</strong>" in preview.text and "(not saved)" in preview.text
    assert "failed to" in preview.text and "on-call engineer" in preview.text
    # The preview saved nothing.
    assert (
        "failed to check"
        not in client.get(
            f"/api/v1/incidents/{ref}/postmortem", headers=personas["viewer"].headers
        ).json()["body"]
    )
    saved = client.post(
        f"/postmortems/{ref}/edit",
        data={"csrf_token": token, "body": blaming},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (
        "failed to check"
        in client.get(
            f"/api/v1/incidents/{ref}/postmortem", headers=personas["viewer"].headers
        ).json()["body"]
    )


def test_reviewers_and_workflow_buttons_and_errors_on_the_page(
    client: TestClient, personas: Personas
) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    client.post(f"/api/v1/incidents/{ref}/postmortem", headers=personas["responder"].headers)
    sign_in(client, "responder@example.com")
    token = page_token(client, f"/postmortems/{ref}")
    refused = client.post(f"/postmortems/{ref}/submit", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "name at least one reviewer" in refused.text and 'id="form-error"' in refused.text
    client.post(
        f"/postmortems/{ref}/reviewers",
        data={"csrf_token": token, "user": str(personas["manager"].user_id)},
    )
    client.post(f"/postmortems/{ref}/submit", data={"csrf_token": token})
    page = client.get(f"/postmortems/{ref}").text
    assert "in review" in page and "Manager" in page and 'id="review-form"' not in page
    item = client.post(
        f"/postmortems/{ref}/action-item",
        data={"csrf_token": token, "title": "Alert on expiry", "due_date": "2026-13-01"},
    )
    assert item.status_code == 422 and "due_date" in item.text

    client.cookies.clear()
    sign_in(client, "manager@example.com")
    token = page_token(client, f"/postmortems/{ref}")
    assert 'id="review-form"' in client.get(f"/postmortems/{ref}").text
    client.post(f"/postmortems/{ref}/review", data={"csrf_token": token, "decision": "approved"})
    published = client.post(
        f"/postmortems/{ref}/publish", data={"csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    assert "published" in client.get(f"/postmortems/{ref}").text
    listing = client.get("/postmortems?status=published").text
    assert f"/postmortems/{ref}" in listing


def test_action_items_edited_on_the_post_mortem_page_show_on_the_board(
    client: TestClient, personas: Personas
) -> None:
    ref = declare(client, personas["responder"], "SEV2")
    sign_in(client, "responder@example.com")
    token = page_token(client, f"/postmortems/{ref}")
    assert "No post-mortem yet" in client.get(f"/postmortems/{ref}").text
    client.post(
        f"/postmortems/{ref}/action-item",
        data={
            "csrf_token": token,
            "title": "Alert on certificate expiry",
            "owner": str(personas["responder"].user_id),
            "due_date": "2026-03-01",
            "priority": "high",
        },
    )
    [item] = client.get(
        f"/api/v1/incidents/{ref}/action-items", headers=personas["viewer"].headers
    ).json()
    board = client.get("/postmortems/actions?overdue=on").text
    assert "Alert on certificate expiry" in board and "overdue" in board
    assert "Closed on time" in board
    edited = client.post(
        f"/postmortems/{ref}/action-item-edit",
        data={
            "csrf_token": token,
            "item_id": str(item["id"]),
            "owner": "",
            "due_date": "2026-04-01",
            "priority": "critical",
            "status": "in_progress",
            "ticket_url": "https://tracker.example.com/OPS-1",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    [after] = client.get(
        f"/api/v1/incidents/{ref}/action-items", headers=personas["viewer"].headers
    ).json()
    assert (after["due_date"], after["priority"], after["status"], after["owner_id"]) == (
        "2026-04-01",
        "critical",
        "in_progress",
        None,
    )
    assert "Alert on certificate expiry" not in client.get("/postmortems/actions?overdue=on").text
    bad = client.post(
        f"/postmortems/{ref}/action-item-edit",
        data={"csrf_token": token, "item_id": str(item["id"]), "ticket_url": "javascript:x"},
    )
    assert bad.status_code == 422 and "ticket_url" in bad.text
    unknown_team = client.get("/postmortems/actions?team=nope")
    assert unknown_team.status_code == 422


def test_viewers_read_but_cannot_act(client: TestClient, personas: Personas) -> None:
    ref = declare(client, personas["responder"], "SEV1")
    client.post(f"/api/v1/incidents/{ref}/postmortem", headers=personas["responder"].headers)
    sign_in(client, "viewer@example.com")
    page = client.get(f"/postmortems/{ref}").text
    assert 'id="document"' in page and 'id="editor"' not in page
    token = page_token(client, f"/postmortems/{ref}")
    refused = client.post(f"/postmortems/{ref}/submit", data={"csrf_token": token})
    assert refused.status_code == 403 and "needs the responder role" in refused.text


def test_restricted_post_mortems_are_not_found_for_outsiders(
    client: TestClient, personas: Personas
) -> None:
    ref = declare(client, personas["responder"], "SEV1", restricted=True)
    client.post(f"/api/v1/incidents/{ref}/postmortem", headers=personas["responder"].headers)
    sign_in(client, "outsider@example.com")
    assert client.get(f"/postmortems/{ref}").status_code == 404
    assert ref not in client.get("/postmortems").text
