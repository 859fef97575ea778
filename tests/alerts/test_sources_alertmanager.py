"""The Alertmanager webhook parser, on bodies captured from Alertmanager 0.25."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from fireline.alerts.shape import MAX_SUMMARY, Action, Link, Severity, SourceError
from fireline.alerts.sources import PARSERS, alertmanager

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def parse(body: Any) -> list[Any]:
    return alertmanager.parse(body, NOW)


def error_of(body: Any) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(body)
    return caught.value


def test_a_single_firing_alert_is_read_in_full() -> None:
    [alert] = parse(load("am_grouped_01_firing_single"))
    assert alert.dedup_key == "8964a0c3a9ff818e"
    assert alert.action is Action.trigger
    assert alert.severity is Severity.critical
    assert alert.summary == "p99 latency above 2s"
    assert alert.source == "api-1:8080"
    assert alert.labels == {
        "alertname": "HighLatency",
        "instance": "api-1:8080",
        "service": "api",
        "severity": "critical",
    }
    assert alert.annotations["runbook_url"] == "https://runbooks.example/hl"
    assert alert.links == [Link("http://prom.example/graph?g0.expr=latency", "source")]
    assert alert.starts_at == datetime(2026, 11, 22, 23, 35, 0, 366675, tzinfo=UTC)
    assert alert.ends_at is None  # Go's zero time
    assert alert.group_hint == '{}:{alertname="HighLatency", service="api"}'


def test_raw_is_the_alert_itself_with_only_the_envelope_added() -> None:
    body = load("am_grouped_02_firing_group_of_3")
    alerts = parse(body)
    for item, alert in zip(body["alerts"], alerts, strict=True):
        assert {k: v for k, v in alert.raw.items() if k != "_envelope"} == item
        assert alert.raw["_envelope"] == {
            "receiver": "hook",
            "groupKey": body["groupKey"],
            "externalURL": "http://vm:19093",
        }
        assert "alerts" not in alert.raw["_envelope"]


def test_a_group_of_three_gives_three_alerts_in_one_group() -> None:
    alerts = parse(load("am_grouped_02_firing_group_of_3"))
    assert [a.dedup_key for a in alerts] == [
        "ef8ed2395e26b0d8",
        "b63a7be89ebb6721",
        "23132be68b637b9e",
    ]
    assert {a.group_hint for a in alerts} == {'{}:{alertname="DiskFull", service="db"}'}
    assert [a.source for a in alerts] == ["db-1:9100", "db-2:9100", "db-3:9100"]
    assert all(a.severity is Severity.warning for a in alerts)
    assert all(a.links == [] for a in alerts)  # generatorURL is "" for amtool-style alerts


def test_a_resolved_notification_resolves_and_keeps_its_end() -> None:
    [alert] = parse(load("am_grouped_03_resolved"))
    assert alert.action is Action.resolve
    assert alert.dedup_key == "8964a0c3a9ff818e"  # the key the firing alert had
    assert alert.ends_at == datetime(2026, 11, 22, 23, 35, 35, 371990, tzinfo=UTC)


def test_each_alert_s_own_status_wins_over_the_group_s() -> None:
    body = load("am_grouped_04_group_partially_resolved")
    assert body["status"] == "firing"
    alerts = parse(body)
    assert [a.action for a in alerts] == [Action.resolve, Action.trigger, Action.trigger]
    assert alerts[0].ends_at == datetime(2026, 11, 22, 23, 35, 38, 373963, tzinfo=UTC)
    assert alerts[1].ends_at is None


def test_nanosecond_timestamps_from_amtool_are_read() -> None:
    [alert] = parse(load("am_grouped_05_amtool_add"))
    assert alert.starts_at == datetime(2026, 11, 22, 23, 35, 42, 406704, tzinfo=UTC)
    assert alert.severity is Severity.info
    assert alert.source == "web-7"


def test_one_notification_per_alert_then_its_resolve_share_a_key() -> None:
    [firing] = parse(load("am_nogroup_01_firing_one_per_notification"))
    [resolved] = parse(load("am_nogroup_02_resolved"))
    assert firing.dedup_key == resolved.dedup_key == "8eeb995829cc09a5"
    assert (firing.action, resolved.action) == (Action.trigger, Action.resolve)
    assert firing.group_hint == resolved.group_hint


def test_alerts_from_a_real_prometheus_rule() -> None:
    [firing] = parse(load("prom_am_01_always_firing"))
    assert firing.summary == "always firing test alert"  # summary before description
    assert firing.labels["cluster"] == "feas"  # Prometheus' external label
    assert firing.links[0].href.startswith("http://127.0.0.1:19090/graph?g0.expr=vector")
    # No instance or job label: the source is the Alertmanager that sent it.
    assert firing.source == "http://vm:19093"
    [resolved] = parse(load("prom_am_02_flapping_resolved"))
    assert resolved.action is Action.resolve
    assert resolved.ends_at - resolved.starts_at == timedelta(seconds=10)


def test_what_prometheus_posts_to_alertmanager_is_refused() -> None:
    error = error_of(load("prom_to_am_api_v2_alerts_firing"))
    assert error.field is None and "JSON object" in error.message


def test_the_registry_names_the_parser() -> None:
    assert PARSERS["alertmanager"] is alertmanager.parse


# --- fields Alertmanager may leave out or hand-written senders get wrong -------


def one_alert(**changes: Any) -> dict[str, Any]:
    body = load("am_grouped_01_firing_single")
    body["alerts"][0].update(changes)
    return body


def test_without_a_fingerprint_the_key_is_a_stable_hash_of_the_labels() -> None:
    first = one_alert(fingerprint=None)
    second = one_alert()
    del second["alerts"][0]["fingerprint"]
    # The same labels in another order make the same key.
    second["alerts"][0]["labels"] = dict(reversed(second["alerts"][0]["labels"].items()))
    [a], [b] = parse(first), parse(second)
    assert a.dedup_key == b.dedup_key
    assert a.dedup_key != "8964a0c3a9ff818e" and len(a.dedup_key) == 32
    other = one_alert(fingerprint="")
    other["alerts"][0]["labels"]["instance"] = "api-2:8080"
    assert parse(other)[0].dedup_key != a.dedup_key


@pytest.mark.parametrize(
    ("annotations", "labels", "expected"),
    [
        ({"summary": "s", "description": "d"}, {"alertname": "A"}, "s"),
        ({"summary": "  ", "description": "d"}, {"alertname": "A"}, "d"),
        ({}, {"alertname": "A"}, "A"),
        ({}, {}, "alert"),
        ({"summary": 3}, {}, "alert"),
    ],
)
def test_summary_falls_back_in_order(
    annotations: dict[str, Any], labels: dict[str, str], expected: str
) -> None:
    [alert] = parse(one_alert(annotations=annotations, labels=labels))
    assert alert.summary == expected


def test_a_long_summary_is_cut_to_the_limit() -> None:
    [alert] = parse(one_alert(annotations={"summary": "x" * 5000}))
    assert alert.summary == "x" * MAX_SUMMARY


def test_source_prefers_instance_then_job_then_external_url() -> None:
    [with_job] = parse(one_alert(labels={"job": "node"}))
    assert with_job.source == "node"
    body = one_alert(labels={})
    del body["externalURL"]
    [bare] = parse(body)
    assert bare.source == ""
    assert bare.severity is Severity.warning  # no severity label


def test_missing_status_means_firing_and_unknown_fields_are_kept() -> None:
    body = one_alert(extra={"team": "db"})
    del body["alerts"][0]["status"]
    [alert] = parse(body)
    assert alert.action is Action.trigger
    assert alert.raw["extra"] == {"team": "db"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T23:35:00Z", datetime(2026, 11, 22, 23, 35, tzinfo=UTC)),
        ("2026-11-22T23:35:00.5Z", datetime(2026, 11, 22, 23, 35, 0, 500000, tzinfo=UTC)),
        (
            "2026-11-22T23:35:00.123456789Z",
            datetime(2026, 11, 22, 23, 35, 0, 123456, tzinfo=UTC),
        ),
        ("2026-11-23T01:35:00.25+02:00", datetime(2026, 11, 22, 23, 35, 0, 250000, tzinfo=UTC)),
        ("2026-11-22T18:35:00-05:00", datetime(2026, 11, 22, 23, 35, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_with_fractions_and_offsets(text: str, expected: datetime) -> None:
    [alert] = parse(one_alert(status="resolved", startsAt=text, endsAt=text))
    assert alert.starts_at == expected == alert.ends_at
    assert alert.starts_at is not None and alert.starts_at.utcoffset() == timedelta(0)


def test_a_time_past_the_year_9999_in_utc_is_refused_by_field() -> None:
    """It read as a date (9999-12-31 at 23:59, two hours behind UTC) and then
    overflowed when turned into UTC: an OverflowError, answered 500."""
    with pytest.raises(SourceError) as refused:
        parse(one_alert(startsAt="9999-12-31T23:59:59-02:00"))
    assert refused.value.describe() == (
        "alerts[0].startsAt: expected a timestamp before the year 10000,"
        " got '9999-12-31T23:59:59-02:00'"
    )


def test_a_firing_alert_s_expiry_is_not_its_end() -> None:
    [alert] = parse(one_alert(endsAt="2026-11-23T00:04:00Z"))
    assert alert.ends_at is None


# --- errors name their field ---------------------------------------------------


@pytest.mark.parametrize("body", [None, [], "text", 4])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    error = error_of(body)
    assert error.field is None


@pytest.mark.parametrize("version", ["3", 4, None, "1"])
def test_only_version_4_is_read(version: Any) -> None:
    body = load("am_grouped_01_firing_single")
    body["version"] = version
    assert error_of(body).field == "version"


def test_missing_alerts_are_refused() -> None:
    body = load("am_grouped_01_firing_single")
    del body["alerts"]
    assert error_of(body).field == "alerts"
    body["alerts"] = {"not": "a list"}
    assert error_of(body).field == "alerts"


def test_an_empty_notification_gives_no_alerts() -> None:
    body = load("am_grouped_01_firing_single")
    body["alerts"] = []
    assert parse(body) == []


def three_alerts() -> dict[str, Any]:
    return load("am_grouped_02_firing_group_of_3")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda a: a["labels"].update(severity=2), "alerts[2].labels.severity"),
        (lambda a: a["labels"].update(instance=None), "alerts[2].labels.instance"),
        (lambda a: a["labels"].update(team="x" * 2000), "alerts[2].labels.team"),
        (lambda a: a.update(labels=["a"]), "alerts[2].labels"),
        (lambda a: a.update(annotations="text"), "alerts[2].annotations"),
        (lambda a: a.update(status="pending"), "alerts[2].status"),
        (lambda a: a.update(status=None), "alerts[2].status"),
        (lambda a: a.update(fingerprint=12), "alerts[2].fingerprint"),
        (lambda a: a.update(startsAt="yesterday"), "alerts[2].startsAt"),
        (lambda a: a.update(startsAt=1700000000), "alerts[2].startsAt"),
        (lambda a: a.update(status="resolved", endsAt="soon"), "alerts[2].endsAt"),
    ],
)
def test_a_bad_alert_is_named_by_its_place(change: Any, field: str) -> None:
    body = three_alerts()
    change(body["alerts"][2])
    assert error_of(body).field == field


def test_an_alert_that_is_not_an_object_is_named() -> None:
    body = three_alerts()
    body["alerts"][1] = "DiskFull"
    assert error_of(body).field == "alerts[1]"


# --- size ----------------------------------------------------------------------


def storm(count: int) -> dict[str, Any]:
    """A notification like the 38,190-alert one seen under load."""
    body = three_alerts()
    template = body["alerts"][0]
    alerts = []
    for i in range(count):
        item = copy.deepcopy(template)
        item["labels"]["instance"] = f"db-{i}:9100"
        item["fingerprint"] = f"{i:016x}"
        item["status"] = "resolved" if i % 10 == 0 else "firing"
        item["endsAt"] = "2026-11-22T23:40:00.123456789Z" if i % 10 == 0 else item["endsAt"]
        item["annotations"]["description"] = "disk almost full " * 12
        alerts.append(item)
    body["alerts"] = alerts
    return body


def test_a_38000_alert_notification_is_parsed_whole() -> None:
    raw = orjson.dumps(storm(38_000))
    assert len(raw) > 10_000_000
    alerts = parse(orjson.loads(raw))
    assert len(alerts) == 38_000
    assert len({a.dedup_key for a in alerts}) == 38_000
    assert sum(a.action is Action.resolve for a in alerts) == 3_800
    assert alerts[-1].source == "db-37999:9100"
    assert all(a.group_hint == alerts[0].group_hint for a in alerts)
