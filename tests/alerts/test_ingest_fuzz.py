"""Whatever a client sends, ingestion stores it or answers a 4xx that says
what is wrong: never a 5xx. Real payloads, with parts replaced by other JSON
(long strings and edge-of-calendar timestamps included) or removed: through
each source's parser, whose alerts must fit the columns that store them, and
through the real endpoints on both databases."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fireline.alerts.models import Alert, AlertGroup, ChangeEvent
from fireline.alerts.routing import group_key
from fireline.alerts.shape import AlertIn, ChangeIn, SourceError
from fireline.alerts.sources import alertmanager, generic, grafana, pagerduty
from tests.alerts.conftest import MakeIntegration, fixture
from tests.alerts.test_sources_generic import MONITOR, MONITOR_MAPPING, NOW

Place = tuple[str | int, ...]  # keys and indexes from the document's root

# Text with no lone surrogates (JSON cannot carry them), short or past the
# columns' limits.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_LONG_TEXT = st.builds(lambda char, n: char * n, st.sampled_from("xé€"), st.integers(250, 1300))
# Timestamps, at the edges of what a date can hold too.
_TIMESTAMPS = st.builds(
    lambda moment, offset: moment.isoformat() + offset,
    st.datetimes(),
    st.sampled_from(["Z", "+14:00", "-14:00", ".123456789Z", ""]),
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
    | _LONG_TEXT
    | _TIMESTAMPS
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def places(document: Any, path: Place = ()) -> Iterator[Place]:
    """Every value's place in a JSON document, the document itself first."""
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from places(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from places(value, (*path, index))


@st.composite
def mutated(draw: st.DrawFn, original: Any, keep: frozenset[Place] = frozenset()) -> Any:
    """The document with one to three values replaced or removed (never the
    places in ``keep``, nor what holds them)."""
    document = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in places(document) if not any(k[: len(p)] == p for k in keep)]
        if not candidates:
            break
        where = draw(st.sampled_from(candidates))
        replacement = draw(_JSON)
        if not where:
            document = replacement
            continue
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = replacement
    return document


def column_length(table: Any, column: str) -> int:
    length = table.__table__.c[column].type.length
    assert isinstance(length, int)
    return length


def assert_fits(alert: AlertIn) -> None:
    """The alert can be stored: PostgreSQL refuses a value longer than its column."""
    assert 0 < len(alert.dedup_key) <= column_length(Alert, "dedup_key")
    assert len(alert.summary) <= column_length(Alert, "summary")
    assert len(alert.summary) <= column_length(AlertGroup, "title")
    assert len(alert.source) <= column_length(Alert, "source")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in alert.labels.items())
    for group_by in ((), tuple(alert.labels), ("alertname", "instance", "job")):
        assert len(group_key(group_by, alert)) <= column_length(AlertGroup, "group_key")
    orjson.dumps(alert.raw)  # stored as JSON
    orjson.dumps(alert.annotations)


def assert_change_fits(change: ChangeIn) -> None:
    assert 0 < len(change.summary) <= column_length(ChangeEvent, "summary")
    assert len(change.source) <= column_length(ChangeEvent, "source")


def parsed_or_refused(parse: Any, document: Any) -> Any:
    """What a parser makes of a document: None when it refused it as it should."""
    try:
        return parse(orjson.loads(orjson.dumps(document)))
    except SourceError as refused:
        assert refused.describe()
        return None


PARSER_FUZZ = settings(max_examples=300, deadline=None)
MONITOR_PARSER = generic.compile_mapping(MONITOR_MAPPING)
PD_EVENT = {
    "routing_key": "R0UT1NGK3Y",
    "event_action": "trigger",
    "dedup_key": "disk-1",
    "payload": {
        "summary": "Disk almost full",
        "source": "db-1",
        "severity": "warning",
        "group": "storage",
        "component": "postgres",
        "class": "disk",
        "custom_details": {"free": "2%"},
    },
    "links": [{"href": "https://grafana.example/d/1", "text": "Dashboard"}],
    "images": [{"src": "https://grafana.example/r/1.png", "alt": "Free space"}],
}
PD_CHANGE = {
    "routing_key": "R0UT1NGK3Y",
    "payload": {
        "summary": "Deployed checkout v2.3",
        "source": "ci",
        "custom_details": {"kind": "deploy"},
    },
    "links": [{"href": "https://ci.example/1", "text": "Pipeline"}],
}
PLAIN_CHANGE = {"summary": "Flag on", "source": "flags", "kind": "flag", "details": {"flag": "x"}}


@PARSER_FUZZ
@given(mutated(fixture("am_grouped_02_firing_group_of_3.json")))
def test_alertmanager_alerts_fit(document: Any) -> None:
    for alert in parsed_or_refused(lambda d: alertmanager.parse(d, NOW), document) or ():
        assert_fits(alert)


@PARSER_FUZZ
@given(mutated(fixture("grafana_01_firing_and_resolved.json")))
def test_grafana_alerts_fit(document: Any) -> None:
    for alert in parsed_or_refused(lambda d: grafana.parse(d, NOW), document) or ():
        assert_fits(alert)


@PARSER_FUZZ
@given(mutated(MONITOR))
def test_generic_alerts_fit(document: Any) -> None:
    for alert in parsed_or_refused(lambda d: generic.parse(d, MONITOR_PARSER, NOW), document) or ():
        assert_fits(alert)


@PARSER_FUZZ
@given(mutated(PD_EVENT))
def test_pagerduty_alerts_fit(document: Any) -> None:
    parsed = parsed_or_refused(lambda d: pagerduty.parse_event(d, NOW, lambda: "new"), document)
    if parsed is not None:
        assert_fits(parsed[1])


@PARSER_FUZZ
@given(mutated(PD_CHANGE), mutated(PLAIN_CHANGE))
def test_changes_fit(pd_change: Any, plain_change: Any) -> None:
    parsed = parsed_or_refused(lambda d: pagerduty.parse_change(d, NOW), pd_change)
    if parsed is not None:
        assert_change_fits(parsed[1])
    change = parsed_or_refused(lambda d: generic.parse_change(d, NOW), plain_change)
    if change is not None:
        assert_change_fits(change)


def assert_answered_well(response: Any) -> None:
    """A 202, or a 4xx whose body names what is wrong."""
    assert response.status_code < 500, response.text
    if response.status_code == 202:
        return
    assert response.status_code in (400, 413, 422), response.text
    body = response.json()
    if "errors" in body:  # PagerDuty's own shape
        assert body["errors"] and all(isinstance(e, str) and e for e in body["errors"])
    else:
        assert body["error"]["message"]


def post_json(client: TestClient, url: str, document: Any) -> Any:
    return client.post(
        url, content=orjson.dumps(document), headers={"content-type": "application/json"}
    )


WEBHOOKS = {
    # Grouping by labels makes the group key out of label values, which can be long.
    "alertmanager": (
        {"group_by": ["alertname", "instance", "job"]},
        fixture("am_grouped_02_firing_group_of_3.json"),
    ),
    "grafana": ({}, fixture("grafana_01_firing_and_resolved.json")),
    "generic": ({"mapping": MONITOR_MAPPING}, MONITOR),
}


@pytest.mark.parametrize("kind", sorted(WEBHOOKS))
def test_webhook_bodies(client: TestClient, make_integration: MakeIntegration, kind: str) -> None:
    settings_, original = WEBHOOKS[kind]
    key = make_integration(kind, **settings_)["key"]

    @FUZZ
    @given(mutated(original))
    def check(document: Any) -> None:
        assert_answered_well(post_json(client, f"/ingest/{key}", document))

    check()


def test_pagerduty_events(client: TestClient, make_integration: MakeIntegration) -> None:
    event = {**PD_EVENT, "routing_key": make_integration("pagerduty")["key"]}

    @FUZZ
    @given(mutated(event, keep=frozenset({("routing_key",)})))
    def check(document: Any) -> None:
        assert_answered_well(post_json(client, "/v2/enqueue", document))

    check()


def test_change_events(client: TestClient, make_integration: MakeIntegration) -> None:
    pd_change = {**PD_CHANGE, "routing_key": make_integration("change")["key"]}
    plain_key = make_integration("change")["key"]

    @FUZZ
    @given(mutated(pd_change, keep=frozenset({("routing_key",)})), mutated(PLAIN_CHANGE))
    def check(pd_document: Any, plain_document: Any) -> None:
        assert_answered_well(post_json(client, "/v2/change/enqueue", pd_document))
        assert_answered_well(post_json(client, f"/ingest/{plain_key}", plain_document))

    check()


def test_values_at_their_limits_are_stored_or_refused_by_field(
    client: TestClient, make_integration: MakeIntegration
) -> None:
    """Caught here first: on PostgreSQL a group key made of long label values
    (or Alertmanager's own long group key), or a long source, made the whole
    request fail with a 503 that the sender would retry for ever."""
    grouped = make_integration("alertmanager", group_by=["a", "b"])["key"]
    body = fixture("am_grouped_01_firing_single.json")
    body["alerts"][0]["labels"].update(a="y" * 1024, b="z" * 1024)
    body["groupKey"] = "{}:{" + "k" * 3000 + "}"
    body["externalURL"] = "http://am.example/" + "u" * 2000
    for label in ("instance", "job"):  # so that the source comes from externalURL
        body["alerts"][0]["labels"].pop(label, None)
    assert post_json(client, f"/ingest/{grouped}", body).status_code == 202
    by_hint = make_integration("alertmanager")["key"]
    assert post_json(client, f"/ingest/{by_hint}", body).status_code == 202

    pd_key = make_integration("pagerduty")["key"]
    long_group = {**PD_EVENT["payload"], "group": "g" * 1024}  # type: ignore[dict-item]
    assert (
        post_json(
            client, "/v2/enqueue", {**PD_EVENT, "routing_key": pd_key, "payload": long_group}
        ).status_code
        == 202
    )
    far = {**long_group, "timestamp": "9999-12-31T23:59:59-14:00"}
    refused = post_json(client, "/v2/enqueue", {**PD_EVENT, "routing_key": pd_key, "payload": far})
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["'payload.timestamp' must be an ISO 8601 timestamp"]
    too_long = {**long_group, "source": "s" * 1025}
    refused = post_json(
        client, "/v2/enqueue", {**PD_EVENT, "routing_key": pd_key, "payload": too_long}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["'payload.source' is longer than 1024 characters"]

    change_key = make_integration("change")["key"]
    refused = post_json(client, f"/ingest/{change_key}", {"summary": "x", "source": "s" * 1025})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "source"
