"""A real Prometheus Alertmanager notifying a live fireline: alerts posted to
Alertmanager the way Prometheus posts them arrive as one alert group per
alertname and service, and resolving them in Alertmanager resolves them here."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from fireline.core.db import Database
from tests.conftest import LiveServer, Persona, skip_unless_required

pytestmark = pytest.mark.slow
ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
LABEL = re.compile(r'(\w+)="([^"]*)"')

# (alertname, service) → instances: three groups of three, two and one alerts.
FIRING = {
    ("HighLatency", "checkout"): ["web-1", "web-2", "web-3"],
    ("HighLatency", "payments"): ["pay-1", "pay-2"],
    ("ErrorBudgetBurn", "checkout"): ["web-1"],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll until ``condition`` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prometheus_alerts(ends_at: datetime, starts_at: datetime) -> list[dict[str, Any]]:
    """The body Prometheus posts to /api/v2/alerts: a bare list of alerts."""
    return [
        {
            "labels": {
                "alertname": alertname,
                "service": service,
                "instance": instance,
                "severity": "critical" if alertname == "HighLatency" else "warning",
                "job": service,
            },
            "annotations": {"summary": f"{alertname} on {service} ({instance})"},
            "startsAt": rfc3339(starts_at),
            "endsAt": rfc3339(ends_at),
            "generatorURL": f"http://prometheus.example/graph?g0.expr={alertname}",
        }
        for (alertname, service), instances in FIRING.items()
        for instance in instances
    ]


class Alertmanager:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        response = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        assert response.status_code == 200, response.text

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def alertmanager_for(tmp_path: Path) -> Iterator[Callable[[str, str], Alertmanager]]:
    """Start Alertmanager with a webhook receiver pointed at a fireline URL and key."""
    if not ALERTMANAGER.exists():
        skip_unless_required(
            f"the Alertmanager tests need {ALERTMANAGER}: apt-get install -y prometheus-alertmanager"
        )
    started: list[subprocess.Popen[bytes]] = []

    def start(webhook_url: str, key: str) -> Alertmanager:
        config = {
            "route": {
                "receiver": "fireline",
                "group_by": ["alertname", "service"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "24h",
            },
            "receivers": [
                {
                    "name": "fireline",
                    "webhook_configs": [
                        {
                            "url": webhook_url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"credentials": key}},
                        }
                    ],
                }
            ],
        }
        config_file = tmp_path / "alertmanager.yml"
        config_file.write_text(yaml.safe_dump(config))
        storage = tmp_path / "alertmanager-data"
        storage.mkdir()
        port = free_port()
        log = tmp_path / "alertmanager.log"
        process = subprocess.Popen(
            [
                str(ALERTMANAGER),
                f"--config.file={config_file}",
                f"--storage.path={storage}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=info",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        manager = Alertmanager(f"http://127.0.0.1:{port}", process, log)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"Alertmanager exited:\n{manager.output()}")
            try:
                return httpx.get(f"{manager.url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 30, "Alertmanager to be ready")
        return manager

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_alertmanager_notifications_group_and_resolve_in_fireline(
    live_server: LiveServer,
    personas: dict[str, Persona],
    db: Database,
    alertmanager_for: Callable[[str, str], Alertmanager],
) -> None:
    manager_headers = personas["manager"].headers
    viewer_headers = personas["viewer"].headers
    with httpx.Client(base_url=live_server.url, timeout=10) as fireline:
        created = fireline.post(
            "/api/v1/services",
            json={"slug": "shop", "name": "Shop"},
            headers=manager_headers,
        )
        assert created.status_code == 201, created.text
        integration = fireline.post(
            "/api/v1/integrations",
            json={"service": "shop", "kind": "alertmanager", "rate_limit_per_minute": 0},
            headers=manager_headers,
        )
        assert integration.status_code == 201, integration.text
        key = integration.json()["key"]

        alertmanager = alertmanager_for(f"{live_server.url}/ingest", key)

        def groups() -> list[dict[str, Any]]:
            response = fireline.get(
                "/api/v1/alert-groups", params={"service": "shop"}, headers=viewer_headers
            )
            assert response.status_code == 200, response.text
            found: list[dict[str, Any]] = response.json()
            return found

        def by_key(found: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
            # Alertmanager's group key: {}:{alertname="HighLatency", service="checkout"}
            keyed = {}
            for group in found:
                labels = dict(LABEL.findall(group["group_key"]))
                keyed[(labels["alertname"], labels["service"])] = group
            return keyed

        now = datetime.now(UTC)
        alertmanager.post_alerts(prometheus_alerts(ends_at=now + timedelta(hours=1), starts_at=now))

        expected_counts = {pair: len(instances) for pair, instances in FIRING.items()}

        def all_firing() -> dict[tuple[str, str], dict[str, Any]] | None:
            keyed = by_key(groups())
            counts = {pair: group["alert_count"] for pair, group in keyed.items()}
            return keyed if counts == expected_counts else None

        try:
            firing = wait_for(all_firing, 30, "Alertmanager's notifications to reach fireline")
        except AssertionError:
            raise AssertionError(
                f"groups in fireline: {groups()}\nAlertmanager said:\n{alertmanager.output()}"
            ) from None
        assert len(groups()) == len(FIRING), "one group per alertname and service"
        for pair, group in firing.items():
            assert group["status"] == "triggered", group
            assert group["active_count"] == expected_counts[pair], group
            assert group["service"] == "shop"
        assert firing[("HighLatency", "checkout")]["severity"] == "critical"
        assert firing[("ErrorBudgetBurn", "checkout")]["severity"] == "warning"

        detail = fireline.get(
            f"/api/v1/alert-groups/{firing[('HighLatency', 'checkout')]['ref']}",
            headers=viewer_headers,
        ).json()
        assert (
            sorted(a["labels"]["instance"] for a in detail["alerts"])
            == FIRING[("HighLatency", "checkout")]
        )
        assert all(a["status"] == "firing" for a in detail["alerts"])

        # Resolve as Prometheus does: the same alerts again, with endsAt in the past.
        resolved_at = datetime.now(UTC) - timedelta(seconds=1)
        alertmanager.post_alerts(prometheus_alerts(ends_at=resolved_at, starts_at=now))

        def all_resolved() -> list[dict[str, Any]] | None:
            found = groups()
            return found if all(g["status"] == "resolved" for g in found) else None

        try:
            resolved = wait_for(all_resolved, 30, "the resolved notifications to reach fireline")
        except AssertionError:
            raise AssertionError(
                f"groups in fireline: {groups()}\nAlertmanager said:\n{alertmanager.output()}"
            ) from None
        assert len(resolved) == len(FIRING), "resolving opens no new group"
        for group in resolved:
            assert group["active_count"] == 0, group
            assert group["resolved_at"] is not None
        open_groups = fireline.get(
            "/api/v1/alert-groups", params={"status": "open"}, headers=viewer_headers
        ).json()
        assert open_groups == []
        detail = fireline.get(
            f"/api/v1/alert-groups/{firing[('HighLatency', 'payments')]['ref']}",
            headers=viewer_headers,
        ).json()
        assert [a["status"] for a in detail["alerts"]] == ["resolved", "resolved"]
