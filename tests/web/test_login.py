"""Signing in and out: cookies, CSRF, rate limiting, redirects."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}


def test_sign_in_sets_a_safe_session_cookie(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    response = sign_in(client, "responder@example.com", next_url="/settings/teams")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/teams"
    cookie = response.headers["set-cookie"].lower()
    assert "fireline_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_says_so(client: TestClient, personas: dict[str, Persona]) -> None:
    response = sign_in(client, "responder@example.com", password="not the password")
    assert response.status_code == 401
    assert "wrong e-mail address or password" in response.text
    assert 'aria-invalid="true"' in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_repeated_failures_are_rate_limited(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    for _ in range(5):
        assert sign_in(client, "viewer@example.com", password="guess guess").status_code == 401
    limited = sign_in(client, "viewer@example.com")  # even the right password waits
    assert limited.status_code == 429
    assert "too many failed sign-ins" in limited.text
    # Another account from the same client is limited too, by client address.
    assert sign_in(client, "admin@example.com").status_code == 429


def test_login_form_needs_its_csrf_token(client: TestClient, personas: dict[str, Persona]) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "admin@example.com",
            "password": "correct horse battery",
            "csrf_token": "forged",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403 and "form expired" in response.text.lower()


def test_logout_ends_the_session(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "admin@example.com")
    old_cookie = client.cookies.get("fireline_session")
    token = page_token(client)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set("fireline_session", old_cookie or "")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_without_csrf_token_are_refused(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "admin@example.com")
    for path, data in (
        ("/logout", {}),
        ("/settings/tokens", {"name": "x"}),
        ("/settings/people", {"email": "x@example.com", "name": "X"}),
        ("/settings/teams", {"slug": "x", "name": "X", "csrf_token": "wrong"}),
    ):
        response = client.post(path, data=data, headers=HTML, follow_redirects=False)
        assert response.status_code == 403, path
        assert "CSRF" in response.text, path
    # The API refuses cookie-authenticated writes without the header too.
    api = client.post("/api/v1/teams", json={"slug": "x", "name": "X"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf"


def test_open_redirects_are_ignored(client: TestClient, personas: dict[str, Persona]) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = sign_in(client, "viewer@example.com", next_url=target)
        assert response.headers["location"] == "/", target


def test_signed_out_visitors_go_to_login_with_next(client: TestClient) -> None:
    response = client.get("/settings/people?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/people%3Fx%3D1"
