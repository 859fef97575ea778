"""A real `fireline serve` killed with SIGKILL in the middle of ingestion: every
alert it answered 2xx for is in the database afterwards, and the server starts
again on the same database and takes alerts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from fireline.cli.processes import listeners
from fireline.core.audit import Actor
from fireline.core.clock import SystemClock
from fireline.core.db import Database
from fireline.core.migrate import upgrade
from fireline.people import service as people

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
PAGERDUTY_THREADS = 4
ALERTMANAGER_THREADS = 2
BATCH = 25
# Kill once this many alerts were answered 2xx (or after KILL_AFTER_SECONDS).
KILL_AT_ALERTS = 1500
KILL_AFTER_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Setup:
    db: Database
    url: str
    token: str


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """The schema, and a manager's API token written straight into the database."""
    db = Database(database_url)
    upgrade(db.engine)
    now = SystemClock().now()
    with db.transaction() as session:
        user = people.create_user(
            session,
            actor=Actor.system("tests"),
            now=now,
            email="manager@example.com",
            name="Manager",
            role="manager",
        )
        token = people.create_token(
            session, actor=Actor.system("tests"), now=now, user=user, name="durability test"
        )
    yield Setup(db, db.engine.url.render_as_string(hide_password=False), token.secret)
    db.dispose()


class Server:
    """`fireline serve --no-worker` as a child process."""

    def __init__(self, database_url: str, log: Path, processes: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "FIRELINE_DATABASE_URL": database_url,
            "FIRELINE_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "fireline", "serve", "--no-worker"),
                *("--port", str(self.port), "--processes", str(processes)),
            ],
            env=env,
            cwd=REPO,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._ready, 60, "the server to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited:\n{self.log.read_text()[-4000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> bool:
        """SIGTERM; True when the server shut down by itself in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return False
        # uvicorn re-raises the signal it shut down for once it is done.
        return self.process.returncode in (0, -signal.SIGTERM)


def create_integrations(server: Server, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        response = client.post("/api/v1/services", json={"slug": "shop", "name": "Shop"})
        assert response.status_code == 201, response.text
        keys = {}
        for kind in ("pagerduty", "alertmanager"):
            response = client.post(
                "/api/v1/integrations",
                json={"service": "shop", "kind": kind, "rate_limit_per_minute": 0},
            )
            assert response.status_code == 201, response.text
            keys[kind] = response.json()["key"]
    return keys


def pagerduty_event(routing_key: str, dedup_key: str) -> dict[str, Any]:
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": f"disk full {dedup_key}", "source": "db-1", "severity": "error"},
    }


def alertmanager_batch(sender: int, fingerprints: list[str]) -> dict[str, Any]:
    group = f'{{}}:{{alertname="DiskFull", sender="{sender}"}}'
    return {
        "version": "4",
        "status": "firing",
        "receiver": "fireline",
        "groupKey": group,
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": "DiskFull", "sender": str(sender)},
        "commonLabels": {"alertname": "DiskFull", "sender": str(sender)},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "sender": str(sender), "instance": fp},
                "annotations": {"summary": f"disk full on {fp}"},
                "startsAt": "2026-03-02T09:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example/graph",
                "fingerprint": fp,
            }
            for fp in fingerprints
        ],
    }


@dataclass
class Load:
    """What the senders were told: keys answered 2xx, and what failed."""

    acknowledged: dict[str, set[str]] = field(
        default_factory=lambda: {"pagerduty": set(), "alertmanager": set()}
    )
    failures: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def total(self) -> int:
        with self.lock:
            return sum(len(keys) for keys in self.acknowledged.values())

    def record(self, kind: str, keys: list[str]) -> None:
        with self.lock:
            self.acknowledged[kind].update(keys)


def send_pagerduty(load: Load, url: str, routing_key: str, sender: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not load.stop.is_set():
            n += 1
            dedup_key = f"pd-{sender}-{n}"
            try:
                response = client.post("/v2/enqueue", json=pagerduty_event(routing_key, dedup_key))
            except httpx.HTTPError as exc:
                load.failures.append(f"pagerduty {sender}: {type(exc).__name__}")
                return
            if 200 <= response.status_code < 300:
                load.record("pagerduty", [dedup_key])
            else:
                load.refused.append(f"{response.status_code} {response.text[:200]}")


def send_alertmanager(load: Load, url: str, key: str, sender: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not load.stop.is_set():
            n += 1
            fingerprints = [f"am{sender}-{n}-{i}" for i in range(BATCH)]
            try:
                response = client.post(
                    f"/ingest/{key}", json=alertmanager_batch(sender, fingerprints)
                )
            except httpx.HTTPError as exc:
                load.failures.append(f"alertmanager {sender}: {type(exc).__name__}")
                return
            if 200 <= response.status_code < 300:
                load.record("alertmanager", fingerprints)
            else:
                load.refused.append(f"{response.status_code} {response.text[:200]}")


def stored_keys(db: Database) -> dict[str, list[str]]:
    query = text(
        "SELECT i.kind, a.dedup_key FROM alerts a JOIN integrations i ON i.id = a.integration_id"
    )
    found: dict[str, list[str]] = {"pagerduty": [], "alertmanager": []}
    with db.engine.connect() as connection:
        for kind, dedup_key in connection.execute(query):
            found[kind].append(dedup_key)
    return found


def counters_that_disagree(db: Database) -> list[Any]:
    """Groups whose counters differ from their alerts (a half-written batch)."""
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT g.id, g.alert_count, g.active_count, count(a.id) FROM alert_groups g "
                    "LEFT JOIN alerts a ON a.group_id = g.id "
                    "GROUP BY g.id, g.alert_count, g.active_count "
                    "HAVING g.alert_count != count(a.id) OR g.active_count != count(a.id)"
                )
            ).all()
        )


def test_two_server_processes_store_every_alert_once(setup: Setup, tmp_path: Path) -> None:
    """`serve --processes 2`: both write the same groups, through one database."""
    server = Server(setup.url, tmp_path / "server.log", processes=2)
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        assert len(children.read_text().split()) >= 2  # (and a resource tracker)
        keys = create_integrations(server, setup.token)
        load = Load()
        senders = [
            threading.Thread(target=send_pagerduty, args=(load, server.url, keys["pagerduty"], n))
            for n in range(PAGERDUTY_THREADS)
        ] + [
            threading.Thread(
                target=send_alertmanager, args=(load, server.url, keys["alertmanager"], n)
            )
            for n in range(ALERTMANAGER_THREADS)
        ]
        for sender in senders:
            sender.start()
        time.sleep(3)
        load.stop.set()
        for sender in senders:
            sender.join(timeout=40)
    finally:
        assert server.stop()
    assert load.failures == [] and load.refused == [], (load.failures, load.refused[:3])
    stored = stored_keys(setup.db)
    for kind in ("pagerduty", "alertmanager"):
        assert len(load.acknowledged[kind]) > 0
        assert sorted(stored[kind]) == sorted(load.acknowledged[kind])
    assert counters_that_disagree(setup.db) == []


def test_sigkill_during_ingestion_loses_no_acknowledged_alert(setup: Setup, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = Server(setup.url, log)
    try:
        keys = create_integrations(server, setup.token)
        load = Load()
        senders = [
            threading.Thread(
                target=send_pagerduty, args=(load, server.url, keys["pagerduty"], n), daemon=True
            )
            for n in range(PAGERDUTY_THREADS)
        ] + [
            threading.Thread(
                target=send_alertmanager,
                args=(load, server.url, keys["alertmanager"], n),
                daemon=True,
            )
            for n in range(ALERTMANAGER_THREADS)
        ]
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + KILL_AFTER_SECONDS
        while load.total() < KILL_AT_ALERTS and time.monotonic() < deadline:
            if not all(sender.is_alive() for sender in senders):
                break
            time.sleep(0.01)
        assert all(sender.is_alive() for sender in senders), (
            f"a sender stopped before the kill: {load.failures} {load.refused[:3]}"
        )
        server.kill()  # SIGKILL, in the middle of the load
        killed_with = load.total()
        for sender in senders:
            sender.join(timeout=40)
        load.stop.set()
    finally:
        server.stop()

    assert load.refused == [], load.refused[:5]
    # Every sender was still sending: each saw its connection drop.
    assert len(load.failures) == len(senders), load.failures
    acknowledged = load.acknowledged
    assert len(acknowledged["pagerduty"]) > 0 and len(acknowledged["alertmanager"]) > 0
    assert load.total() >= killed_with > 0

    stored = stored_keys(setup.db)
    for kind in ("pagerduty", "alertmanager"):
        assert len(stored[kind]) == len(set(stored[kind])), f"{kind}: an alert stored twice"
        lost = acknowledged[kind] - set(stored[kind])
        assert not lost, (
            f"{len(lost)} {kind} alerts answered 2xx are not stored: {sorted(lost)[:5]}"
        )
    # Nothing half-written: each group's counters agree with its alerts.
    assert counters_that_disagree(setup.db) == []

    # The same database serves again after the kill.
    restarted = Server(setup.url, log)
    try:
        with httpx.Client(base_url=restarted.url, timeout=10) as client:
            response = client.post(
                "/v2/enqueue", json=pagerduty_event(keys["pagerduty"], "after-restart")
            )
            assert response.status_code == 202, response.text
            response = client.post(
                f"/ingest/{keys['alertmanager']}",
                json=alertmanager_batch(99, ["am-after-restart"]),
            )
            assert response.status_code == 202, response.text
            listed = client.get(
                "/api/v1/alert-groups",
                params={"status": "open"},
                headers={"Authorization": f"Bearer {setup.token}"},
            )
            assert listed.status_code == 200, listed.text
            assert sum(g["alert_count"] for g in listed.json()) == (
                len(stored["pagerduty"]) + len(stored["alertmanager"]) + 2
            )
    finally:
        assert restarted.stop(), log.read_text()[-4000:]
    after = stored_keys(setup.db)
    assert "after-restart" in after["pagerduty"]
    assert "am-after-restart" in after["alertmanager"]


def server_children(server: Server) -> set[int]:
    """The server processes (not multiprocessing's resource tracker)."""
    pid = server.process.pid
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"resource_tracker" not in command:
            found.add(int(child))
    return found


def test_each_server_process_listens_and_a_dead_one_is_replaced(
    setup: Setup, tmp_path: Path
) -> None:
    """`serve --processes 2`: a socket of its own for each process (so that
    the kernel spreads connections over them), and the parent keeps two."""
    server = Server(setup.url, tmp_path / "server.log", processes=2)
    try:
        wait_for(lambda: listeners(server.port) == 2, 60, "two listening sockets")
        first = server_children(server)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda: len(server_children(server) - {victim}) == 2 and listeners(server.port) == 2,
            60,
            "a replacement process listening",
        )
        assert victim not in server_children(server)
        assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    finally:
        assert server.stop()
    assert all(not Path(f"/proc/{pid}").exists() for pid in first - {victim})
