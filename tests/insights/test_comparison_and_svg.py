"""Deltas against the previous period, and the SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fireline.insights import svg
from fireline.insights.comparison import delta

NS = "{http://www.w3.org/2000/svg}"


def test_deltas_say_which_way_and_whether_that_is_good() -> None:
    faster = delta("mttr", 1800, 3600)
    assert (faster.change, faster.direction, faster.better, faster.relative) == (
        -1800,
        "down",
        True,
        -0.5,
    )
    compliance = delta("sla_compliance", 0.8, 0.9)
    assert (compliance.direction, compliance.better) == ("down", False)
    assert delta("incidents", 12, 8).better is None  # more incidents declared: no verdict
    assert delta("pages", 3, 3).direction == "same"
    missing = delta("mtta", None, 60)
    assert (missing.direction, missing.better, missing.change) == ("none", None, None)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def test_column_chart_is_accessible_with_a_tooltip_per_segment() -> None:
    chart = svg.column_chart(
        "Incidents per week",
        ["Mar 02", "Mar 09"],
        [svg.Series("SEV1", [1, 0]), svg.Series("SEV2 <b>", [2, 3])],
        unit="incidents",
    )
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-label", "").startswith("Incidents per week.")
    assert "Mar 02: 3" in root.get("aria-label", "")
    assert root.find(f"{NS}title") is not None and root.find(f"{NS}desc") is not None
    tips = [t.text for t in root.iter(f"{NS}title")][1:]
    assert tips == ["Mar 02: 1 SEV1", "Mar 02: 2 SEV2 <b>", "Mar 09: 3 SEV2 <b>"]
    assert "<b>" not in str(chart)  # names are escaped


def test_line_chart_draws_gaps_and_dashed_reference_lines_with_their_source() -> None:
    chart = svg.line_chart(
        "Time to resolve",
        ["a", "b", "c", "d"],
        [svg.Series("median", [0.5, None, 2.0, 1.5])],
        unit="hours",
        references=[
            svg.Reference("DORA elite: under 1 hour", 1, "DORA, 2023"),
            svg.Reference("DORA high: under 1 day", 24, "DORA, 2023"),
        ],
    )
    root = parse(chart)
    dashed = [line for line in root.iter(f"{NS}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1  # the day-long line would flatten the data: named below instead
    assert dashed[0].findtext(f"{NS}title") == "DORA elite: under 1 hour (DORA, 2023)"
    texts = [t.text or "" for t in root.iter(f"{NS}text")]
    assert "Above the scale: DORA high: under 1 day (DORA, 2023)" in texts
    assert len(list(root.iter(f"{NS}circle"))) == 3
    assert len(list(root.iter(f"{NS}polyline"))) == 1  # c-d; a stands alone after the gap


def test_bar_chart_and_empty_charts_still_render() -> None:
    root = parse(svg.bar_chart("Pages per person", [("Ada", 4), ("Linus", 1)], unit="pages"))
    widths = [float(r.get("width", 0)) for r in root.iter(f"{NS}rect")]
    assert widths[0] == 4 * widths[1]
    parse(svg.bar_chart("Nothing", [], unit="pages"))
    parse(svg.column_chart("Nothing", [], [], unit="incidents"))
    parse(svg.line_chart("Nothing", [], [], unit="hours"))
