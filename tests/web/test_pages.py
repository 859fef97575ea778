"""Pages: who may see and do what, security headers, the shown-once token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.db import Database
from fireline.people.models import ApiToken, User
from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

PAGES = [
    "/",
    "/incidents",
    "/alerts",
    "/oncall",
    "/statuspage",
    "/postmortems",
    "/insights",
    "/settings/profile",
    "/settings/people",
    "/settings/teams",
    "/settings/services",
]
MANAGER_PAGES = ["/settings/jobs"]
HTML = {"accept": "text/html"}


def test_every_page_sends_anonymous_visitors_to_login(client: TestClient) -> None:
    for path in [*PAGES, *MANAGER_PAGES, "/settings"]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


@pytest.mark.parametrize("persona", ["viewer", "responder", "manager", "admin"])
def test_each_persona_sees_what_it_may(
    client: TestClient, personas: dict[str, Persona], persona: str
) -> None:
    sign_in(client, f"{persona}@example.com")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'aria-current="page"' in response.text, path
    for path in MANAGER_PAGES:
        expected = 200 if persona in ("manager", "admin") else 403
        assert client.get(path, headers=HTML).status_code == expected, path


def test_security_headers(client: TestClient, personas: dict[str, Persona]) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_viewer_cannot_create_people_or_teams(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "viewer@example.com")
    token = page_token(client)
    people = client.post(
        "/settings/people",
        data={"csrf_token": token, "email": "x@example.com", "name": "X"},
        headers=HTML,
    )
    assert people.status_code == 403 and "needs the admin role" in people.text
    teams = client.post(
        "/settings/teams", data={"csrf_token": token, "slug": "x", "name": "X"}, headers=HTML
    )
    assert teams.status_code == 403 and "needs the manager role" in teams.text
    assert "Add a person" not in client.get("/settings/people").text


def test_admin_adds_a_person_and_changes_a_role(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    sign_in(client, "admin@example.com")
    token = page_token(client, "/settings/people")
    response = client.post(
        "/settings/people",
        data={
            "csrf_token": token,
            "email": "kim@example.com",
            "name": "Kim",
            "role": "viewer",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert response.status_code == 200 and "kim@example.com" in response.text
    with db.session() as session:
        kim = session.scalar(select(User).where(User.email == "kim@example.com"))
        assert kim is not None and kim.time_zone == "Asia/Tokyo"
        kim_id = kim.id
    client.post(f"/settings/people/{kim_id}/role", data={"csrf_token": token, "role": "manager"})
    with db.session() as session:
        assert session.get(User, kim_id).role == "manager"  # type: ignore[union-attr]


def test_form_errors_name_the_field_and_keep_the_input(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "admin@example.com")
    token = page_token(client, "/settings/people")
    response = client.post(
        "/settings/people",
        data={
            "csrf_token": token,
            "email": "not-an-address",
            "name": "Kim",
            "time_zone": "Mars/Base",
        },
    )
    assert response.status_code == 422
    assert "<strong>email</strong>" in response.text
    assert 'value="Kim"' in response.text
    response = client.post(
        "/settings/people/999999999/role", data={"csrf_token": token, "role": "admin"}
    )
    assert response.status_code == 404


def test_token_secret_is_shown_once(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    sign_in(client, "responder@example.com")
    token = page_token(client, "/settings/profile")
    created = client.post("/settings/tokens", data={"csrf_token": token, "name": "laptop CLI"})
    assert created.status_code == 200
    secret = created.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert secret.startswith("flt_")
    again = client.get("/settings/profile").text
    assert secret not in again and secret[:8] in again
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "laptop CLI"))
        assert row is not None
    client.post(f"/settings/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_jobs_card_refreshes_through_htmx(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "viewer@example.com")
    page = client.get("/").text
    assert 'hx-get="/dashboard/jobs"' in page
    card = client.get("/dashboard/jobs", headers={"HX-Request": "true"})
    assert card.status_code == 200 and card.text.lstrip().startswith('<article id="jobs-card"')


def test_unknown_pages_are_pages_for_browsers_and_json_for_clients(client: TestClient) -> None:
    assert "<h1>Not found</h1>" in client.get("/nowhere", headers=HTML).text
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"


def test_form_values_refused_before_the_view_still_render_a_page(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "admin@example.com")
    token = page_token(client, "/settings/people")
    response = client.post(
        "/settings/people",
        data={"csrf_token": token, "email": "x" * 5000, "name": "Long"},
        headers=HTML,
    )
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "email" in response.text
    revoke = client.post("/settings/tokens/abc/revoke", data={"csrf_token": token}, headers=HTML)
    assert revoke.status_code == 422 and revoke.headers["content-type"].startswith("text/html")
