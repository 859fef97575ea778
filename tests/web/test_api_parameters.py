"""Every integer a client puts in a URL or a request body is bounded in the
API's own description, so FastAPI refuses it with a 422 naming it before any
code sees it, and a client generated from the description knows the bounds.

An unbounded integer reached the database: SQLite cannot bind one past
2**63 (OverflowError, a 500), PostgreSQL's integer columns refuse one past
2**31. This walks the OpenAPI description rather than a list of routes, so
that a new route is checked the day it is added."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.web.app import create_app
from tests.conftest import Persona


def parameters(spec: dict[str, Any]) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """(method, path, name, the parameter's possible schemas) for each path and query parameter."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query"):
                    schema = parameter.get("schema", {})
                    found.append(
                        (
                            method.upper(),
                            path,
                            parameter["name"],
                            [schema, *schema.get("anyOf", [])],
                        )
                    )
    return found


def body_integers(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, schema) for each integer in a request body, nested ones included."""
    components = spec["components"]["schemas"]
    found: list[tuple[str, dict[str, Any]]] = []
    visited: set[str] = set()

    def walk(schema: dict[str, Any], where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in visited:
                visited.add(name)
                walk(components[name], name)
            return
        if schema.get("type") == "integer":
            found.append((where, schema))
        for alternative in (*schema.get("anyOf", ()), *schema.get("oneOf", ())):
            walk(alternative, where)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]")
        for name, child in schema.get("properties", {}).items():
            walk(child, f"{where}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{where}.*")

    for operations in spec["paths"].values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), "body")
    return found


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('spec') / 'fireline.db'}"
    app = create_app(Settings(database_url=url, migrate_on_start=False), database=Database(url))
    return app.openapi()


def test_every_integer_in_a_request_body_is_bounded(spec: dict[str, Any]) -> None:
    found = body_integers(spec)
    unbounded = [where for where, schema in found if not {"minimum", "maximum"} <= set(schema)]
    assert len(found) > 10
    assert unbounded == []


def test_every_integer_in_a_url_is_bounded(spec: dict[str, Any]) -> None:
    checked, unbounded = 0, []
    for method, path, name, schemas in parameters(spec):
        for schema in schemas:
            if schema.get("type") == "integer":
                checked += 1
                if "maximum" not in schema or "minimum" not in schema:
                    unbounded.append(f"{method} {path} {name}")
    assert checked > 30
    assert unbounded == []


@pytest.mark.parametrize("value", ["18446744073709551616", "-18446744073709551616", "0"])
def test_ids_past_any_column_are_a_422_or_404(
    client: TestClient, personas: dict[str, Persona], value: str
) -> None:
    """The ones that answered 500 before their ids were bounded."""
    admin = personas["admin"].headers
    for method, path in (
        ("POST", "/api/v1/me/contact-methods/{}/test"),
        ("DELETE", "/api/v1/maintenance-windows/{}"),
        ("POST", "/api/v1/pages/{}/acknowledge"),
        ("GET", f"/api/v1/alert-groups?before={value}&x={{}}"),
    ):
        response = client.request(method, path.format(value), headers=admin)
        assert response.status_code in (404, 422), (method, path, response.text)
    rule = client.post(
        "/api/v1/me/notification-rules",
        json={"urgency": "low", "contact_method_id": int(value)},
        headers=admin,
    )
    assert rule.status_code == 422 and rule.json()["error"]["field"] == "contact_method_id"


def body_moments(spec: dict[str, Any]) -> list[tuple[str, str, list[str | int]]]:
    """(method, path, where in the body) for each date-time a request body holds."""
    components = spec["components"]["schemas"]
    found: list[tuple[str, str, list[str | int]]] = []

    def walk(schema: dict[str, Any], where: list[str | int], seen: frozenset[str]) -> list:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return [] if name in seen else walk(components[name], where, seen | {name})
        hits: list[list[str | int]] = [where] if schema.get("format") == "date-time" else []
        for alternative in (*schema.get("anyOf", ()), *schema.get("oneOf", ())):
            hits += walk(alternative, where, seen)
        if isinstance(schema.get("items"), dict):
            hits += walk(schema["items"], [*where, 0], seen)
        for name, child in schema.get("properties", {}).items():
            hits += walk(child, [*where, name], seen)
        return hits

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            for where in walk(schema, [], frozenset()):
                found.append((method.upper(), path, where))
    return found


def nested(where: list[str | int], value: str) -> Any:
    """["layers", 0, "ends_at"] -> {"layers": [{"ends_at": value}]}"""
    if not where:
        return value
    inner = nested(where[1:], value)
    return [inner] if isinstance(where[0], int) else {where[0]: inner}


EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
CALENDAR = "a moment in the years 1 to 9999 once turned into UTC"


@pytest.mark.parametrize("edge", EDGES)
def test_every_moment_a_client_sends_past_the_calendar_is_a_422_naming_it(
    client: TestClient, personas: dict[str, Persona], spec: dict[str, Any], edge: str
) -> None:
    """0001-01-01T00:00+14:00 is a valid date that has no UTC (the year 0):
    it raised OverflowError while being stored, answered with a 422 that
    could not say which field. Every date-time in a body or a URL is now
    refused with its name, before any code sees it."""
    admin = personas["admin"].headers
    checked: list[str] = []
    for method, path, where in body_moments(spec):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, url, json=nested(where, edge), headers=admin)
        errors = response.json()["error"].get("details", [])
        named = [e for e in errors if e["message"] == CALENDAR]
        assert response.status_code == 422 and len(named) == 1, (method, path, response.text)
        assert named[0]["field"].replace("[0]", ".0").split(".") == [str(w) for w in where]
        checked.append(f"{method} {path}")
    for method, path, name, schemas in parameters(spec):
        if any(schema.get("format") == "date-time" for schema in schemas):
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = client.request(method, url, params={name: edge}, headers=admin)
            assert response.status_code == 422, (method, path, response.text)
            assert {"field": name, "message": CALENDAR} in response.json()["error"]["details"]
            checked.append(f"{method} {path}?{name}")
    assert len(checked) > 20
    assert client.get("/api/v1/incidents", headers=admin).json() == []  # nothing half-written


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/services", {"slug": "big", "name": "Big", "tier": 5}, "tier"),
        (
            "/api/v1/integrations",
            {"service": "checkout", "kind": "heartbeat", "heartbeat_period_seconds": 2**70},
            "heartbeat_period_seconds",
        ),
        (
            "/api/v1/integrations",
            {"service": "checkout", "kind": "pagerduty", "rate_limit_per_minute": -1},
            "rate_limit_per_minute",
        ),
        ("/api/v1/routing-rules", {"name": "far", "position": 10**10}, "position"),
        ("/api/v1/routing-rules", {"name": "far", "integration": 2**64}, "integration"),
        (
            "/api/v1/escalation-policies",
            {"slug": "loud", "name": "Loud", "steps": [{"targets": []}], "repeat": 11},
            "repeat",
        ),
    ],
)
def test_a_body_integer_out_of_bounds_is_a_422_naming_it(
    client: TestClient,
    personas: dict[str, Persona],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    admin = personas["admin"].headers
    created = client.post("/api/v1/services", json={"slug": "checkout", "name": "C"}, headers=admin)
    assert created.status_code == 201
    response = client.post(path, json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
