"""Nothing a client sends produces a 500 or a stack trace, and errors have one shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.core.test_access import MINIMUM_ROLE, concrete

GARBAGE_BODIES: list[tuple[bytes, str]] = [
    (b"{", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"just a string"', "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"email": 5, "name": [], "role": {}, "slug": null, "tier": "high"}', "application/json"),
    (b'{"a":' * 2000 + b"1" + b"}" * 2000, "application/json"),
    (b"email=x&name=y", "application/x-www-form-urlencoded"),
    (b"<xml/>", "text/xml"),
    (b"", "application/json"),
    (
        b'{"email": "a\\u0000@example.com", "name": "nul\\u0000", "slug": "x\\u0000", "role": "viewer"}',
        "application/json",
    ),
]


def assert_error_shape(response_json: dict[str, object]) -> None:
    error = response_json["error"]
    assert isinstance(error, dict)
    assert set(error) >= {"code", "message", "field"}
    assert "Traceback" not in str(error["message"])


@pytest.mark.parametrize("body,content_type", GARBAGE_BODIES)
def test_garbage_bodies_get_a_4xx_with_the_error_shape(
    client: TestClient, personas: dict[str, Persona], body: bytes, content_type: str
) -> None:
    headers = {**personas["admin"].headers, "Content-Type": content_type}
    for method, path in MINIMUM_ROLE:
        if method not in ("POST", "PUT", "PATCH"):
            continue
        response = client.request(method, concrete(path), content=body, headers=headers)
        where = f"{method} {path} {body[:30]!r} -> {response.status_code} {response.text[:200]}"
        assert 400 <= response.status_code < 500, where
        assert_error_shape(response.json())


def test_validation_error_names_the_field(client: TestClient, personas: dict[str, Persona]) -> None:
    response = client.post(
        "/api/v1/teams", json={"slug": "ok", "name": 42}, headers=personas["admin"].headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "name"
    assert error["message"].startswith("name:")


def test_unknown_path_and_wrong_method_have_the_shape(client: TestClient) -> None:
    for response in (client.get("/api/v1/nothing-here"), client.patch("/healthz")):
        assert response.status_code in (404, 405)
        assert_error_shape(response.json())


def test_odd_path_parameters(client: TestClient, personas: dict[str, Persona]) -> None:
    viewer = personas["viewer"].headers
    for ref in ("%00", "9" * 40, "-1", "..%2F..%2Fetc", "é"):
        response = client.get(f"/api/v1/users/{ref}", headers=viewer)
        assert 400 <= response.status_code < 500, (ref, response.text)
        response = client.delete(f"/api/v1/tokens/{ref}", headers=viewer)
        assert 400 <= response.status_code < 500, (ref, response.text)
