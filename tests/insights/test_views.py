"""The /insights page and its CSV export."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from tests.conftest import Persona
from tests.insights.conftest import incident
from tests.web.helpers import sign_in

pytestmark = pytest.mark.usefixtures("catalogue")
SVG = "{http://www.w3.org/2000/svg}"


def charts(html: str) -> list[ET.Element]:
    found = []
    start = 0
    while (start := html.find("<svg", start)) != -1:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(html[start:end]))
        start = end
    return found


def test_the_page_draws_its_charts_and_compares_periods(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    incident(client, clock, personas["responder"], severity="SEV1", resolve_after=50)
    incident(
        client, clock, personas["responder"], severity="SEV3", title="Slow", service="checkout"
    )
    sign_in(client, "viewer@example.com")
    page = client.get("/insights")
    assert page.status_code == 200
    assert 'aria-current="page"' in page.text
    drawn = charts(page.text)
    labels = [svg.get("aria-label", "") for svg in drawn]
    assert all(svg.get("role") == "img" for svg in drawn)
    assert any(label.startswith("Incidents per week, by severity.") for label in labels)
    assert any("Mar 02: 2" in label for label in labels)
    mttr = next(svg for svg in drawn if svg.get("aria-label", "").startswith("Time to resolve"))
    dashed = [line for line in mttr.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    tooltips = [line.findtext(f"{SVG}title") for line in dashed]
    assert "DORA elite: under 1 hour (DORA, Accelerate State of DevOps Report, 2023)" in tooltips
    assert 'data-metric="mttr"' in page.text and "1 h 00 min" in page.text
    assert "/insights/export.csv" in page.text and "/api/v1/insights" in page.text

    filtered = client.get("/insights", params={"severity": "SEV3", "preset": "30d"})
    assert filtered.status_code == 200
    labels = [svg.get("aria-label", "") for svg in charts(filtered.text)]
    assert any("Mar 02: 1" in label for label in labels)
    assert "(30 days, UTC)" in filtered.text


def test_bad_filters_come_back_on_the_form_naming_the_field(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "viewer@example.com")
    page = client.get("/insights", params={"since": "2026-03-05", "until": "2026-03-01"})
    assert page.status_code == 422
    assert 'role="alert"' in page.text and "<strong>until</strong>" in page.text
    assert 'name="until" value="2026-03-01" aria-invalid="true"' in page.text
    assert "<svg" not in page.text


def test_csv_export_has_a_row_per_number(
    client: TestClient, personas: dict[str, Persona], clock: FixedClock
) -> None:
    incident(client, clock, personas["responder"], severity="SEV1", resolve_after=50)
    sign_in(client, "viewer@example.com")
    response = client.get("/insights/export.csv", params={"preset": "30d"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "fireline-insights-2026-02-01-2026-03-02.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "metric", "key", "current", "previous"]
    assert ["headline", "mttr", "", "3600.0", ""] in rows
    assert ["incidents_by_severity", "incidents", "SEV1", "1", "0"] in rows
    assert ["sla_resolution", "rate", "SEV1", "1.0", ""] in rows
    refused = client.get("/insights/export.csv", params={"severity": "SEV9"})
    assert refused.status_code == 422 and "SEV9" in refused.text
