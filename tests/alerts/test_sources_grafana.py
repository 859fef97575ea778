"""The Grafana-managed alerting webhook parser, on a body written after
Grafana's documented webhook payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline.alerts.shape import Action, Link, Severity, SourceError
from fireline.alerts.sources import PARSERS, grafana

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 11, 23, 8, 15, tzinfo=UTC)


def load() -> Any:
    return json.loads((FIXTURES / "grafana_01_firing_and_resolved.json").read_text())


def parse(body: Any) -> list[Any]:
    return grafana.parse(body, NOW)


def error_of(body: Any) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(body)
    return caught.value


def test_a_firing_alert_with_all_its_links_and_values() -> None:
    firing, _ = parse(load())
    assert firing.dedup_key == "2d4c1e7a90b3f655"
    assert firing.action is Action.trigger
    assert firing.severity is Severity.critical
    assert firing.summary == "Checkout error rate above 5%"
    assert firing.starts_at == datetime(2026, 11, 23, 7, 14, 10, tzinfo=UTC)
    assert firing.ends_at is None
    assert [link.text for link in firing.links] == ["source", "dashboard", "panel", "silence"]
    assert firing.links[1] == Link("https://grafana.example/d/shop-overview?orgId=1", "dashboard")
    assert firing.links[2].href.endswith("viewPanel=4")
    assert firing.annotations["values"] == {"A": 0.0721, "B": 1}
    assert firing.annotations["valueString"].startswith("[ var='A'")
    assert firing.annotations["runbook_url"] == "https://runbooks.example/checkout-errors"


def test_a_resolved_alert_in_a_firing_notification() -> None:
    _, resolved = parse(load())
    assert resolved.action is Action.resolve
    assert resolved.severity is Severity.warning
    assert resolved.summary == "more than 10000 messages waiting"  # no summary: the description
    assert resolved.starts_at == datetime(2026, 11, 23, 6, 40, 0, 123456, tzinfo=UTC)
    assert resolved.ends_at == datetime(2026, 11, 23, 7, 10, 0, 500000, tzinfo=UTC)
    # Empty URLs and empty values are not links or annotations.
    assert [link.text for link in resolved.links] == ["source", "silence"]
    assert "values" not in resolved.annotations and "valueString" not in resolved.annotations


def test_envelope_context_and_group() -> None:
    body = load()
    firing, resolved = parse(body)
    assert firing.group_hint == resolved.group_hint == body["groupKey"]
    assert firing.source == "https://grafana.example/"  # no instance or job label
    envelope = firing.raw["_envelope"]
    assert envelope == {
        "receiver": "fireline",
        "groupKey": body["groupKey"],
        "externalURL": "https://grafana.example/",
        "orgId": 1,
        "title": "[FIRING:1, RESOLVED:1] Shop",
        "state": "alerting",
    }
    assert "message" not in envelope and "alerts" not in envelope
    assert firing.raw["silenceURL"] == body["alerts"][0]["silenceURL"]


def test_the_registry_names_the_parser() -> None:
    assert PARSERS["grafana"] is grafana.parse


def test_only_version_1_is_read() -> None:
    body = load()
    body["version"] = "4"
    assert error_of(body).field == "version"
    alertmanager_body = json.loads((FIXTURES / "am_grouped_01_firing_single.json").read_text())
    assert error_of(alertmanager_body).field == "version"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda a: a["labels"].update(queue=3), "alerts[1].labels.queue"),
        (lambda a: a.update(status="alerting"), "alerts[1].status"),
        (lambda a: a.update(endsAt="later"), "alerts[1].endsAt"),
    ],
)
def test_errors_name_their_field(change: Any, field: str) -> None:
    body = load()
    change(body["alerts"][1])
    assert error_of(body).field == field


def test_a_non_object_body_and_missing_alerts_are_refused() -> None:
    assert error_of([load()]).field is None
    body = load()
    del body["alerts"]
    assert error_of(body).field == "alerts"
