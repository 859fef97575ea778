"""The alerts a heartbeat raises and clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fireline.alerts.shape import Action, Severity
from fireline.alerts.sources.heartbeat import missed_alert, recovered_alert

NOW = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)


def test_a_missed_heartbeat_is_a_critical_alert() -> None:
    last = datetime(2026, 11, 22, 2, 5, 59, tzinfo=UTC)
    alert = missed_alert("nightly-backup", 7, last, NOW)
    assert alert.dedup_key == "heartbeat-7"
    assert alert.action is Action.trigger
    assert alert.severity is Severity.critical
    assert alert.summary == "Heartbeat 'nightly-backup' missed: no ping since 2026-11-22 02:05 UTC"
    assert alert.labels == {"alertname": "HeartbeatMissed", "heartbeat": "nightly-backup"}
    assert alert.starts_at == NOW
    assert alert.raw["last_ping"] == last.isoformat()


def test_a_heartbeat_that_never_pinged() -> None:
    alert = missed_alert("nightly-backup", 7, None, NOW)
    assert alert.summary == "Heartbeat 'nightly-backup' missed: never pinged"
    assert alert.raw["last_ping"] is None


def test_the_last_ping_is_shown_in_utc_whatever_its_zone() -> None:
    paris = timezone(timedelta(hours=1))
    aware = missed_alert("b", 1, datetime(2026, 11, 22, 3, 5, tzinfo=paris), NOW)
    naive = missed_alert("b", 1, datetime(2026, 11, 22, 2, 5), NOW)
    assert aware.summary.endswith("since 2026-11-22 02:05 UTC")
    assert naive.summary == aware.summary


def test_recovery_resolves_the_same_alert() -> None:
    missed = missed_alert("nightly-backup", 7, None, NOW)
    later = NOW + timedelta(minutes=5)
    recovered = recovered_alert("nightly-backup", 7, later, later)
    assert recovered.dedup_key == missed.dedup_key
    assert recovered.action is Action.resolve
    assert recovered.labels == missed.labels
    assert recovered.ends_at == later
    assert recovered.summary == "Heartbeat 'nightly-backup' pinged again"


def test_each_heartbeat_has_its_own_key() -> None:
    assert missed_alert("a", 1, None, NOW).dedup_key != missed_alert("a", 2, None, NOW).dedup_key
