"""The generic JSON webhook: JMESPath mappings, the "try it" preview, and the
plain change webhook."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.alerts.shape import MAX_LABEL_VALUE, Action, Link, Severity, SourceError
from fireline.alerts.sources import generic

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

# A Datadog-like body: several alerts under one key, tags as "name:value".
MONITOR = {
    "event": "monitor",
    "items": [
        {
            "alert_id": 4211,
            "alert_title": "Checkout latency high",
            "alert_status": "Triggered",
            "priority": "P1",
            "host": "web-3",
            "tags": ["env:prod", "team:shop", "canary"],
            "link": "https://monitors.example/4211",
            "monitor_group": "checkout",
        },
        {
            "alert_id": 4212,
            "alert_title": "Queue depth normal",
            "alert_status": "Recovered",
            "priority": "P3",
            "host": "worker-1",
            "tags": ["env:prod"],
            "link": "https://monitors.example/4212",
        },
    ],
}
MONITOR_MAPPING = {
    "alerts": "items",
    "dedup_key": "alert_id",
    "summary": "alert_title",
    "severity": "priority",
    "status": "alert_status",
    "source": "host",
    "labels": "tags",
    "links": "[link]",
    "group": "monitor_group",
    "resolved_values": ["Recovered"],
}


def parse(body: Any, mapping: dict[str, Any] | None = None) -> list[Any]:
    return generic.parse(body, generic.compile_mapping(mapping or {}), NOW)


def error_of(body: Any, mapping: dict[str, Any] | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(body, mapping)
    return caught.value


def test_the_public_names_match_the_mapping_fields() -> None:
    assert {f.name for f in fields(generic.Mapping)} == {*generic.EXPRESSIONS, *generic.LISTS}
    assert set(generic.DEFAULTS) <= set(generic.EXPRESSIONS)


def test_a_full_mapping_over_a_list_of_alerts() -> None:
    first, second = parse(MONITOR, MONITOR_MAPPING)
    assert first.dedup_key == "4211"  # numbers become text
    assert first.action is Action.trigger
    assert first.severity is Severity.critical
    assert first.summary == "Checkout latency high"
    assert first.source == "web-3"
    assert first.labels == {"env": "prod", "team": "shop", "canary": ""}
    assert first.links == [Link("https://monitors.example/4211")]
    assert first.group_hint == "checkout"
    assert first.raw == MONITOR["items"][0]
    assert second.action is Action.resolve  # "Recovered", compared without case
    assert second.severity is Severity.warning
    assert second.group_hint is None


def test_the_defaults_read_common_field_names() -> None:
    [alert] = parse(
        {
            "id": "disk-db-1",
            "title": "Disk almost full on db-1",
            "level": "error",
            "state": "ok",
            "host": "db-1",
            "labels": {"team": "db", "replicas": 3, "primary": True, "zone": None},
            "links": [{"href": "https://x.example", "text": "graph"}, "https://y.example"],
            "group": "storage",
        }
    )
    assert alert.dedup_key == "disk-db-1"
    assert alert.summary == "Disk almost full on db-1"
    assert alert.severity is Severity.error
    assert alert.action is Action.resolve  # "ok" is a default resolved word
    assert alert.source == "db-1"
    assert alert.labels == {"team": "db", "replicas": "3", "primary": "true"}
    assert alert.links == [Link("https://x.example", "graph"), Link("https://y.example")]
    assert alert.group_hint == "storage"


def test_a_list_body_is_a_list_of_alerts() -> None:
    alerts = parse([{"title": "a"}, {"title": "b", "status": "ack"}])
    assert [a.summary for a in alerts] == ["a", "b"]
    assert alerts[1].action is Action.acknowledge


def test_an_empty_body_gives_a_default_summary_and_a_stable_key() -> None:
    [alert] = parse({})
    assert alert.summary == "webhook alert"
    assert alert.severity is Severity.warning
    assert alert.action is Action.trigger
    assert alert.dedup_key == parse({"unrelated": 1})[0].dedup_key


def test_without_an_id_the_key_hashes_summary_and_labels() -> None:
    one = parse({"title": "x", "labels": {"a": "1", "b": "2"}})[0]
    same = parse({"labels": {"b": "2", "a": "1"}, "title": "x"})[0]
    other_summary = parse({"title": "y", "labels": {"a": "1", "b": "2"}})[0]
    other_labels = parse({"title": "x", "labels": {"a": "1"}})[0]
    assert one.dedup_key == same.dedup_key
    assert len({one.dedup_key, other_summary.dedup_key, other_labels.dedup_key}) == 3


def test_nested_label_values_become_json_and_long_ones_are_cut() -> None:
    [alert] = parse({"labels": {"meta": {"b": 1, "a": [1, 2]}, "long": "x" * 5000}})
    assert alert.labels["meta"] == '{"a":[1,2],"b":1}'
    assert len(alert.labels["long"]) == MAX_LABEL_VALUE


def test_values_that_are_not_text_are_not_summaries_or_sources() -> None:
    [alert] = parse({"title": {"text": "nested"}, "source": ["a"], "id": 0})
    assert alert.summary == "webhook alert"
    assert alert.source == ""
    assert alert.dedup_key == "0"


def test_custom_status_words() -> None:
    mapping = {"resolved_values": ["GREEN"], "acknowledged_values": ["seen"]}
    assert parse({"status": "green"}, mapping)[0].action is Action.resolve
    assert parse({"status": " Seen "}, mapping)[0].action is Action.acknowledge
    assert parse({"status": "resolved"}, mapping)[0].action is Action.trigger


def test_an_expression_can_reshape_the_payload() -> None:
    mapping = {
        "summary": "join(' on ', [check, node])",
        "labels": "{service: service, check: check}",
        "severity": "to_string(level)",
    }
    [alert] = parse({"check": "http", "node": "web-1", "service": "api", "level": "crit"}, mapping)
    assert alert.summary == "http on web-1"
    assert alert.labels == {"service": "api", "check": "http"}
    assert alert.severity is Severity.critical


def test_a_single_object_selected_by_alerts_is_one_alert() -> None:
    alerts = parse({"data": {"title": "only one"}}, {"alerts": "data"})
    assert [a.summary for a in alerts] == ["only one"]


# --- compiling --------------------------------------------------------------------


@pytest.mark.parametrize("name", generic.EXPRESSIONS)
def test_bad_syntax_names_the_expression(name: str) -> None:
    with pytest.raises(SourceError) as caught:
        generic.compile_mapping({name: "items[?"})
    assert caught.value.field == f"mapping.{name}"
    assert "JMESPath" in caught.value.message


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"sumary": "title"}, "mapping.sumary"),
        ({"summary": 3}, "mapping.summary"),
        ({"resolved_values": "ok"}, "mapping.resolved_values"),
        ({"acknowledged_values": ["ack", 1]}, "mapping.acknowledged_values"),
        (["summary"], "mapping"),
    ],
)
def test_bad_mappings_name_their_key(mapping: Any, field: str) -> None:
    with pytest.raises(SourceError) as caught:
        generic.compile_mapping(mapping)
    assert caught.value.field == field


def test_blank_expressions_keep_the_defaults() -> None:
    compiled = generic.compile_mapping({"summary": "", "alerts": ""})
    assert compiled.alerts is None
    assert (
        compiled.summary is not None and compiled.summary.expression == generic.DEFAULTS["summary"]
    )
    assert compiled.resolved_values == frozenset({"resolved", "ok", "closed", "recovered"})
    assert compiled.acknowledged_values == frozenset({"acknowledged", "ack"})


# --- errors while applying --------------------------------------------------------


def test_an_alerts_expression_that_selects_nothing() -> None:
    assert error_of({"other": []}, {"alerts": "items"}).field == "mapping.alerts"


def test_an_alert_that_is_not_an_object_is_named_by_its_place() -> None:
    assert error_of([{"title": "a"}, "b"]).field == "alerts[1]"
    assert error_of({"items": [1]}, {"alerts": "items"}).field == "alerts[0]"


def test_an_expression_failing_at_run_time_names_its_key() -> None:
    error = error_of({"title": 5}, {"summary": "length(title)"})
    assert error.field == "mapping.summary"


# --- try it -----------------------------------------------------------------------


def test_try_mapping_previews_the_alerts_as_json() -> None:
    result = generic.try_mapping(MONITOR, MONITOR_MAPPING, NOW)
    assert result["ok"] is True
    assert result["alerts"][0] == {
        "dedup_key": "4211",
        "action": "trigger",
        "severity": "critical",
        "summary": "Checkout latency high",
        "source": "web-3",
        "labels": {"env": "prod", "team": "shop", "canary": ""},
        "links": [{"href": "https://monitors.example/4211", "text": ""}],
        "group": "checkout",
    }
    assert result["alerts"][1]["action"] == "resolve"
    json.dumps(result)  # nothing in it needs a custom encoder


@pytest.mark.parametrize(
    ("mapping", "body", "field"),
    [
        ({"summary": "a["}, {}, "mapping.summary"),
        ({"bogus": "a"}, {}, "mapping.bogus"),
        ({"alerts": "items"}, {}, "mapping.alerts"),
        ({}, ["text"], "alerts[0]"),
    ],
)
def test_try_mapping_reports_the_error_and_its_field(
    mapping: dict[str, Any], body: Any, field: str
) -> None:
    result = generic.try_mapping(body, mapping, NOW)
    assert result["ok"] is False
    assert result["field"] == field
    assert isinstance(result["error"], str) and result["error"]


# --- change webhook ---------------------------------------------------------------


def test_a_plain_change() -> None:
    body = {
        "summary": " Flag new-checkout on for 10% ",
        "timestamp": "2026-11-23T09:45:00+01:00",
        "source": "flagd",
        "kind": "flag",
        "links": ["https://flags.example/new-checkout"],
        "details": {"rollout": 10},
    }
    change = generic.parse_change(body, NOW)
    assert change.summary == "Flag new-checkout on for 10%"
    assert change.timestamp == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    assert change.source == "flagd"
    assert change.kind == "flag"
    assert change.links == [Link("https://flags.example/new-checkout")]
    assert change.details == {"rollout": 10}
    assert change.raw == body


def test_a_change_needs_only_a_summary() -> None:
    change = generic.parse_change({"summary": "deployed"}, NOW)
    assert (change.kind, change.timestamp, change.source, change.details) == (
        "deploy",
        NOW,
        "",
        {},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "summary"),
        ({"summary": "  "}, "summary"),
        ({"summary": 5}, "summary"),
        ({"summary": "x" * 1025}, "summary"),
        ({"summary": "x", "kind": "release"}, "kind"),
        ({"summary": "x", "kind": ["deploy"]}, "kind"),
        ({"summary": "x", "timestamp": "noon"}, "timestamp"),
        ({"summary": "x", "source": 1}, "source"),
        ({"summary": "x", "details": []}, "details"),
        ("deployed", None),
    ],
)
def test_change_errors_name_their_field(body: Any, field: str | None) -> None:
    with pytest.raises(SourceError) as caught:
        generic.parse_change(body, NOW)
    assert caught.value.field == field
