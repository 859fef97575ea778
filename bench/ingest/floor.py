"""A yardstick for single events: how fast a Python server can answer a
PagerDuty event 202 only once it is committed, doing no more than that, on
the machine at hand. Run:

    .venv/bin/python -m bench.ingest.floor                  # one server process
    .venv/bin/python -m bench.ingest.floor --processes 2

The server (``--serve``, started by the runner) takes ``POST /v2/enqueue``
with uvloop and httptools and no framework, decodes the body with orjson, and
commits what each event loop has waiting in one SQLite transaction, into
fireline's own tables as its migrations make them: the open-alert lookup, the
insert into ``alerts`` with its indexes, and the update of each alert's
group. It checks no key and validates nothing; routing, silences, flapping,
pages and error answers are left out too. wrk drives it with bench/ingest's
script, connections and threads, so its rate compares with fireline's and
Alertmanager's there (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httptools
import orjson
import uvloop

from bench.ingest.run import NOW, Process, free_port, wait_for, wrk
from fireline.alerts import service as alert_service
from fireline.alerts.storage import ALERT_COLUMNS, stored_form
from fireline.catalog import service as catalog
from fireline.cli.processes import listeners
from fireline.core.audit import Actor
from fireline.core.db import Database
from fireline.core.migrate import upgrade

GROUPS = 20  # the script's alertnames, one group each
INSERT = f"INSERT INTO alerts ({', '.join(ALERT_COLUMNS)}) VALUES ({', '.join('?' * len(ALERT_COLUMNS))})"
FORM = stored_form("sqlite")


class Writer:
    """One event loop's group commit."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: list[tuple[dict[str, Any], Callable[[], None]]] = []
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.integration, self.groups = self._setup()

    def _setup(self) -> tuple[int, dict[str, int]]:
        (integration,) = self.db.execute("SELECT id FROM integrations").fetchone()
        rows = self.db.execute("SELECT group_key, id FROM alert_groups WHERE is_open")
        return integration, dict(rows.fetchall())

    def submit(self, event: dict[str, Any], answer: Callable[[], None]) -> None:
        if not self.waiting:
            self.loop.call_soon(self.write)
        self.waiting.append((event, answer))

    def write(self) -> None:
        batch, self.waiting = self.waiting, []
        now = FORM.time(datetime.now(UTC))
        rows = []
        for event, _ in batch:
            payload = event["payload"]
            rows.append(
                (
                    self.groups[payload["group"]],
                    self.integration,
                    event["dedup_key"],
                    "firing",
                    True,
                    payload["severity"],
                    payload["summary"],
                    payload["source"],
                    "{}",
                    FORM.json(payload.get("custom_details", {})),
                    "[]",
                    None,
                    1,
                    now,
                    None,
                    now,
                    now,
                    FORM.json(event),
                )
            )
        keys = [row[2] for row in rows]
        groups = sorted({row[0] for row in rows})
        cursor = self.db.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(
            "SELECT id FROM alerts WHERE is_open AND integration_id = ? AND dedup_key IN "
            f"({', '.join('?' * len(keys))})",
            [self.integration, *keys],
        ).fetchall()
        cursor.executemany(INSERT, rows)
        cursor.executemany(
            "UPDATE alert_groups SET alert_count = alert_count + 1, active_count ="
            " active_count + 1, event_count = event_count + 1, updated_at = ?,"
            " last_alert_at = ? WHERE id = ?",
            [(now, now, group) for group in groups],
        )
        cursor.execute("COMMIT")
        for _, answer in batch:
            answer()


class Connection(asyncio.Protocol):
    writer: Writer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport  # uvloop's, not an asyncio.Transport
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        event = orjson.loads(b"".join(self.body))
        self.body = []
        answer = orjson.dumps(
            {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
        )
        response = (
            b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(answer), answer)
        )
        self.writer.submit(event, lambda: self.transport.write(response))


def serve(path: str, port: int, processes: int) -> None:
    children: list[int] = []
    for _ in range(processes - 1):
        child = os.fork()
        if child == 0:
            children = []
            break
        children.append(child)

    def stop(*_: object) -> None:
        for child in children:
            os.kill(child, signal.SIGTERM)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        Connection.writer = Writer(path, loop)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        server = await loop.create_server(Connection, sock=sock, backlog=1024)
        await server.serve_forever()

    uvloop.run(main())


def database(workdir: Path) -> Path:
    """fireline's tables, one PagerDuty integration, and an open group for
    each alertname of the script."""
    path = workdir / "floor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    actor = Actor.system("bench")
    with db.transaction() as session:
        catalog.create_service(session, actor=actor, now=NOW, slug="bench", name="Bench")
        alert_service.create_integration(
            session,
            actor=actor,
            now=NOW,
            spec=alert_service.IntegrationSpec(service="bench", kind="pagerduty"),
        )
    now = FORM.time(NOW)
    with db.engine.begin() as connection:
        for n in range(GROUPS):
            connection.exec_driver_sql(
                "INSERT INTO alert_groups (service_id, integration_id, group_key, title, status,"
                " is_open, urgency, severity, flapping, alert_count, active_count, event_count,"
                " created_at, updated_at, last_alert_at) SELECT s.id, i.id, ?, ?, 'triggered',"
                " 1, 'high', 'warning', 0, 0, 0, 0, ?, ?, ? FROM services s, integrations i",
                (f"BenchAlert{n:02d}", f"BenchAlert{n:02d}", now, now, now),
            )
    db.dispose()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.processes)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="fireline-floor-"))
    path, port = database(workdir), free_port()
    command = [sys.executable, "-m", "bench.ingest.floor", "--processes", str(args.processes)]
    server = Process(
        "floor",
        [*command, "--serve", str(path), str(port)],
        dict(os.environ),
        workdir / "floor.log",
    )
    try:
        wait_for(lambda: listeners(port) >= args.processes, 30, "the floor server")
        load = wrk(
            f"http://127.0.0.1:{port}",
            "fireline_pagerduty.lua",
            connections=args.connections,
            threads=args.threads,
            duration=args.duration,
            alerts=1,
            workdir=workdir,
            label="floor",
        )
    finally:
        server.stop()
    stored = sqlite3.connect(path).execute("SELECT count(*) FROM alerts").fetchone()[0]
    print(
        f"floor, {args.processes} process(es), {args.connections} connections: "
        f"{load.requests_per_second:,.0f} requests/s, p50 {load.p50_ms:.1f} ms, "
        f"p99 {load.p99_ms:.1f} ms; answered 2xx {load.ok:,}, stored {stored:,}"
    )
    if os.environ.get("FLOOR_KEEP") is None:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 0 if stored >= load.ok else 1


if __name__ == "__main__":
    sys.exit(main())
