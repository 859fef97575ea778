"""Every number and string a client puts in a URL is bounded in the API's
own description, so FastAPI refuses it with a 422 before any code sees it.

An unbounded integer reached the database: SQLite cannot bind one past
2**63 (OverflowError, a 500), PostgreSQL's integer columns refuse one past
2**31. This walks the OpenAPI description rather than a list of routes, so
that a new route is checked the day it is added."""

from __future__ import annotations

from pathlib import Path
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


def test_every_integer_in_a_url_is_bounded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fireline.db'}"
    app = create_app(Settings(database_url=url, migrate_on_start=False), database=Database(url))
    checked, unbounded = 0, []
    for method, path, name, schemas in parameters(app.openapi()):
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


def test_dates_at_the_edge_of_the_calendar_are_a_422(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    """0001-01-01T00:00+14:00 is a valid date that has no UTC (the year 0):
    storing it raised OverflowError inside SQLAlchemy, answered 500."""
    declared = client.post(
        "/api/v1/incidents",
        json={
            "title": "Far back",
            "severity": "SEV3",
            "type": "outage",
            "started_at": "0001-01-01T00:00:00+14:00",
        },
        headers=personas["admin"].headers,
    )
    assert declared.status_code == 422, declared.text
    assert (
        declared.json()["error"]["message"] == "a date or a number in this request is out of range"
    )
    listed = client.get("/api/v1/incidents", headers=personas["admin"].headers).json()
    assert listed == []  # nothing half-written
