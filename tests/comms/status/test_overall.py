"""The page's one-line status, as Statuspage's status.json ranks it."""

from __future__ import annotations

import pytest

from fireline.comms.status.overall import DESCRIPTIONS, component_label, overall


def test_nothing_at_all_is_all_systems_operational() -> None:
    found = overall([], [])
    assert (found.indicator, found.description) == ("none", "All Systems Operational")


@pytest.mark.parametrize(
    ("status", "indicator"),
    [
        ("operational", "none"),
        ("under_maintenance", "maintenance"),
        ("degraded_performance", "minor"),
        ("partial_outage", "major"),
        ("major_outage", "critical"),
    ],
)
def test_each_component_status_maps_to_its_indicator(status: str, indicator: str) -> None:
    found = overall(["operational", status])
    assert found.indicator == indicator
    assert found.description == DESCRIPTIONS[indicator]


def test_the_worst_component_wins_whatever_the_order() -> None:
    statuses = ["degraded_performance", "major_outage", "partial_outage", "operational"]
    assert overall(statuses).indicator == "critical"
    assert overall(list(reversed(statuses))).indicator == "critical"
    assert overall(["partial_outage", "degraded_performance"]).indicator == "major"


def test_maintenance_shows_only_when_nothing_is_broken() -> None:
    assert overall(["under_maintenance", "operational"]).indicator == "maintenance"
    assert overall(["under_maintenance", "degraded_performance"]).indicator == "minor"
    assert overall(["operational"], ["maintenance", "minor"]).indicator == "minor"


def test_an_open_incident_impact_raises_the_indicator_above_healthy_components() -> None:
    assert overall(["operational"], ["major"]).indicator == "major"
    assert overall(["degraded_performance"], ["critical"]).indicator == "critical"
    assert overall(["major_outage"], ["minor"]).indicator == "critical"
    assert overall(["operational"], ["none"]).indicator == "none"


def test_unknown_values_are_ignored_rather_than_failing() -> None:
    assert overall(["sideways"], ["catastrophic"]).indicator == "none"


def test_component_label() -> None:
    assert component_label("partial_outage") == "Partial outage"
    assert component_label("operational") == "Operational"
