"""PagerDuty Events API v2 and Change Events, as PagerDuty documents them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.alerts.shape import Action, Link, Severity, SourceError
from fireline.alerts.sources import pagerduty

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROUTING_KEY = "R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y01"  # 32 characters, as PagerDuty's are


def new_key() -> str:
    return "generated-key"


def trigger(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "db-1/disk",
        "payload": {
            "summary": "Disk 95% full on db-1",
            "source": "db-1.prod",
            "severity": "critical",
            "timestamp": "2026-11-23T08:59:30.123+01:00",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free_bytes": 1024, "mount": "/var"},
        },
        "links": [{"href": "https://grafana.example/d/db", "text": "Dashboard"}],
        "images": [
            {
                "src": "https://charts.example/disk.png",
                "href": "https://charts.example/disk",
                "alt": "Disk chart",
            },
            {"src": "https://charts.example/cpu.png"},
        ],
        "client": "Nagios",
        "client_url": "https://nagios.example/db-1",
    }
    event.update(changes)
    return event


def parse(event: Any) -> tuple[str, Any]:
    return pagerduty.parse_event(event, NOW, new_key)


def errors_of(event: Any) -> list[str]:
    with pytest.raises(pagerduty.PagerDutyInvalid) as caught:
        parse(event)
    assert isinstance(caught.value, SourceError)
    return caught.value.errors


def test_a_full_trigger() -> None:
    routing_key, alert = parse(trigger())
    assert routing_key == ROUTING_KEY
    assert alert.dedup_key == "db-1/disk"
    assert alert.action is Action.trigger
    assert alert.severity is Severity.critical
    assert alert.summary == "Disk 95% full on db-1"
    assert alert.source == "db-1.prod"
    assert alert.labels == {
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "disk",
        "source": "db-1.prod",
        "severity": "critical",
    }
    assert alert.annotations == {"custom_details": {"free_bytes": 1024, "mount": "/var"}}
    assert alert.group_hint == "prod-datapipe"
    assert alert.starts_at == datetime(2026, 11, 23, 7, 59, 30, 123000, tzinfo=UTC)
    assert alert.links == [
        Link("https://grafana.example/d/db", "Dashboard"),
        Link("https://charts.example/disk", "Disk chart"),
        Link("https://nagios.example/db-1", "Nagios"),
    ]


def test_raw_keeps_everything_but_the_routing_key() -> None:
    event = trigger()
    _, alert = parse(event)
    assert "routing_key" not in alert.raw
    assert alert.raw["images"] == event["images"]
    assert alert.raw["payload"] == event["payload"]


def test_a_minimal_trigger_gets_a_generated_key() -> None:
    event = {
        "routing_key": "k",
        "event_action": "trigger",
        "payload": {"summary": "down", "source": "web", "severity": "info"},
    }
    _, alert = parse(event)
    assert alert.dedup_key == "generated-key"
    assert alert.severity is Severity.info
    assert alert.labels == {"source": "web", "severity": "info"}
    assert alert.annotations == {} and alert.links == []
    assert alert.group_hint is None and alert.starts_at is None


def test_custom_details_may_be_any_json() -> None:
    event = trigger()
    event["payload"]["custom_details"] = "free text from a script"
    _, alert = parse(event)
    assert alert.annotations["custom_details"] == "free text from a script"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_the_key(action: str) -> None:
    routing_key, alert = parse(
        {"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": "db-1/disk"}
    )
    assert routing_key == ROUTING_KEY
    assert alert.action == Action(action)
    assert alert.dedup_key == "db-1/disk"
    assert alert.summary == f"{action} db-1/disk"


def test_acknowledge_ignores_a_payload_it_does_not_need() -> None:
    _, alert = parse(
        {
            "routing_key": ROUTING_KEY,
            "event_action": "acknowledge",
            "dedup_key": "x",
            "payload": {"summary": ""},
        }
    )
    assert alert.action is Action.acknowledge


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_without_a_key_are_refused(action: str) -> None:
    assert errors_of({"routing_key": ROUTING_KEY, "event_action": action}) == [
        f"'dedup_key' is required to {action}"
    ]


def test_every_problem_is_reported_at_once() -> None:
    event = {
        "routing_key": "",
        "event_action": "trigger",
        "dedup_key": "k" * 300,
        "payload": {
            "summary": " ",
            "severity": "fatal",
            "timestamp": "half past nine",
            "component": 7,
        },
        "links": [{"text": "no href"}],
        "images": [{"href": "https://x.example"}],
        "client_url": 5,
    }
    assert errors_of(event) == [
        "'routing_key' is missing or blank",
        "'dedup_key' must be a string of at most 255 characters",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info",
        "'payload.timestamp' must be an ISO 8601 timestamp",
        "'payload.component' must be a string",
        "'links[0].href' must be a string",
        "'images[0].src' must be a string",
        "'client_url' must be a string",
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"routing_key": None}, "'routing_key' is missing or blank"),
        ({"routing_key": "k" * 256}, "'routing_key' is longer than 255 characters"),
        ({"event_action": None}, "'event_action' is missing"),
        ({"event_action": "escalate"}, "'event_action' must be one of"),
        ({"event_action": ["trigger"]}, "'event_action' must be one of"),
        ({"dedup_key": 12}, "'dedup_key' must be a string"),
        ({"payload": None}, "'payload' is missing or not an object"),
        ({"payload": "disk full"}, "'payload' is missing or not an object"),
        ({"links": {"href": "x"}}, "'links' must be a list"),
        ({"links": ["https://x.example"]}, "'links[0].href' must be a string"),
        ({"images": "x.png"}, "'images' must be a list"),
    ],
)
def test_each_error_names_its_field(change: dict[str, Any], error: str) -> None:
    [found] = errors_of(trigger(**change))
    assert found.startswith(error)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("summary", None, "'payload.summary' is missing or blank"),
        ("summary", "x" * 1025, "'payload.summary' is longer than 1024 characters"),
        ("source", "", "'payload.source' is missing or blank"),
        ("severity", None, "'payload.severity' must be one of"),
        ("severity", "CRITICAL", "'payload.severity' must be one of"),
        ("timestamp", 1700000000, "'payload.timestamp' must be an ISO 8601 timestamp"),
        ("group", ["a"], "'payload.group' must be a string"),
        ("class", {}, "'payload.class' must be a string"),
    ],
)
def test_each_payload_error_names_its_field(name: str, value: Any, error: str) -> None:
    event = trigger()
    event["payload"][name] = value
    [found] = errors_of(event)
    assert found.startswith(error)


def test_a_summary_of_exactly_the_limit_is_accepted() -> None:
    event = trigger()
    event["payload"]["summary"] = "x" * 1024
    assert parse(event)[1].summary == "x" * 1024


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert errors_of([trigger()]) == ["the event must be a JSON object"]


def test_the_error_message_joins_all_errors() -> None:
    with pytest.raises(pagerduty.PagerDutyInvalid) as caught:
        parse({"event_action": "resolve"})
    assert (
        caught.value.message
        == "'routing_key' is missing or blank; 'dedup_key' is required to resolve"
    )


# --- change events ---------------------------------------------------------------


def change(**details: Any) -> dict[str, Any]:
    return {
        "routing_key": ROUTING_KEY,
        "payload": {
            "summary": "Deployed checkout v2.3.1",
            "timestamp": "2026-11-23T08:30:00Z",
            "source": "github-actions",
            "custom_details": {"build": 812, **details},
        },
        "links": [{"href": "https://ci.example/runs/812", "text": "Build 812"}],
    }


def test_a_change_event() -> None:
    routing_key, found = pagerduty.parse_change(change(), NOW)
    assert routing_key == ROUTING_KEY
    assert found.summary == "Deployed checkout v2.3.1"
    assert found.timestamp == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert found.source == "github-actions"
    assert found.kind == "deploy"
    assert found.links == [Link("https://ci.example/runs/812", "Build 812")]
    assert found.details == {"build": 812}
    assert "routing_key" not in found.raw


@pytest.mark.parametrize(
    ("details", "kind"),
    [
        ({"kind": "config"}, "config"),
        ({"type": "feature_flag"}, "flag"),
        ({"type": "Flag"}, "flag"),
        ({"kind": "deploy", "type": "config"}, "deploy"),
        ({"kind": "migration"}, "deploy"),
        ({"kind": 3}, "deploy"),
    ],
)
def test_the_kind_comes_from_custom_details(details: dict[str, Any], kind: str) -> None:
    assert pagerduty.parse_change(change(**details), NOW)[1].kind == kind


def test_a_change_without_a_timestamp_happened_now() -> None:
    event = change()
    del event["payload"]["timestamp"], event["payload"]["source"]
    event["payload"]["custom_details"] = ["not", "an", "object"]
    _, found = pagerduty.parse_change(event, NOW)
    assert found.timestamp == NOW and found.source == ""
    assert found.details == {"custom_details": ["not", "an", "object"]}


def change_errors(event: Any) -> list[str]:
    with pytest.raises(pagerduty.PagerDutyInvalid) as caught:
        pagerduty.parse_change(event, NOW)
    return caught.value.errors


def test_change_event_errors_are_all_reported() -> None:
    event = change()
    event["routing_key"] = 3
    event["payload"].update(summary="x" * 2000, timestamp="tuesday", source=5)
    event["links"] = "https://ci.example"
    assert change_errors(event) == [
        "'routing_key' is missing or blank",
        "'payload.summary' is longer than 1024 characters",
        "'payload.timestamp' must be an ISO 8601 timestamp",
        "'payload.source' must be a string",
        "'links' must be a list of {href, text}",
    ]


def test_a_change_event_needs_a_payload_with_a_summary() -> None:
    assert change_errors({"routing_key": "k"}) == ["'payload' is missing or not an object"]
    assert change_errors({"routing_key": "k", "payload": {}}) == [
        "'payload.summary' is missing or blank"
    ]
    assert change_errors("deploy") == ["the change event must be a JSON object"]
