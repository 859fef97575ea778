"""A yardstick for single events: how fast a Python server can answer a
PagerDuty event 202 only once it is committed, doing no more than that, on
the machine at hand. Run:

    .venv/bin/python -m bench.ingest.floor                  # one server process
    .venv/bin/python -m bench.ingest.floor --processes 2
    .venv/bin/python -m bench.ingest.floor --processes 2 \
        --postgres postgresql://postgres@127.0.0.1:5432/fireline_test

The server (``--serve``, started by the runner) takes ``POST /v2/enqueue``
with uvloop and httptools and no framework, decodes the body with orjson, and
commits what has queued in one transaction, into fireline's own tables as its
migrations make them: the open-alert lookup, the insert into ``alerts`` with
its indexes, and the update of each alert's group. It checks no key and
validates nothing; routing, silences, flapping, pages and error answers are
left out too. wrk drives it with bench/ingest's script, connections and
threads, so its rate compares with fireline's and Alertmanager's there
(docs/performance.md).

On SQLite each event loop writes in a callback of its own, as fireline does.
On PostgreSQL a writer thread per process does, in two round trips: the
alerts' advisory lock and the lookup sent together, then the writes and the
COMMIT together (psycopg's pipeline mode). The lock is fireline's, which the
lookup-then-insert needs; the round trips are as few as that order allows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httptools
import orjson
import psycopg
import uvloop
from sqlalchemy import text

from bench.ingest.run import NOW, Load, Process, free_port, fresh_database, wait_for, wrk
from fireline.alerts import pipeline
from fireline.alerts import service as alert_service
from fireline.alerts.storage import ALERT_COLUMNS, stored_form
from fireline.catalog import service as catalog
from fireline.cli.processes import listeners
from fireline.core import pglocks
from fireline.core.audit import Actor
from fireline.core.db import Database
from fireline.core.migrate import upgrade

GROUPS = 20  # the script's alertnames, one group each
COLUMNS = ", ".join(ALERT_COLUMNS)
SEEN_AT = ALERT_COLUMNS.index("last_seen_at")
LOOKUP = (
    "SELECT id FROM alerts WHERE is_open AND integration_id = {mark} AND dedup_key IN ({marks})"
)
BUMP_GROUP = (
    "UPDATE alert_groups SET alert_count = alert_count + 1, active_count = active_count + 1,"
    " event_count = event_count + 1, updated_at = {mark}, last_alert_at = {mark} WHERE id = {mark}"
)
Waiting = list[tuple[dict[str, Any], Callable[[], None]]]


class Writer:
    """One process's group commit: the events that queued, in one transaction."""

    integration: int  # the one PagerDuty integration
    groups: dict[str, int]  # each open group's id by its key

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.form = stored_form("sqlite" if url.startswith("sqlite") else "postgresql")

    def submit(self, event: dict[str, Any], answer: Callable[[], None]) -> None:
        raise NotImplementedError

    def rows(self, batch: Waiting) -> list[tuple[Any, ...]]:
        now = self.form.time(datetime.now(UTC))
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
                    self.form.json(payload.get("custom_details", {})),
                    "[]",
                    None,
                    1,
                    now,
                    None,
                    now,
                    now,
                    self.form.json(event),
                )
            )
        return rows


class SqliteWriter(Writer):
    """Each event loop writes what it has waiting in a callback of its own."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(url, loop)
        self.db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.waiting: Waiting = []
        (self.integration,) = self.db.execute("SELECT id FROM integrations").fetchone()
        rows = self.db.execute("SELECT group_key, id FROM alert_groups WHERE is_open")
        self.groups = dict(rows.fetchall())

    def submit(self, event: dict[str, Any], answer: Callable[[], None]) -> None:
        if not self.waiting:
            self.loop.call_soon(self.write)
        self.waiting.append((event, answer))

    def write(self) -> None:
        batch, self.waiting = self.waiting, []
        rows = self.rows(batch)
        keys = [row[2] for row in rows]
        now = rows[0][SEEN_AT]
        cursor = self.db.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        lookup = LOOKUP.format(mark="?", marks=", ".join("?" * len(keys)))
        cursor.execute(lookup, [self.integration, *keys]).fetchall()
        cursor.executemany(
            f"INSERT INTO alerts ({COLUMNS}) VALUES ({self.form.marks(ALERT_COLUMNS)})", rows
        )
        cursor.executemany(
            BUMP_GROUP.format(mark="?"),
            [(now, now, group) for group in sorted({row[0] for row in rows})],
        )
        cursor.execute("COMMIT")
        for _, answer in batch:
            answer()


class PostgresWriter(Writer):
    """A writer thread: the first event that finds it idle starts a
    transaction, and everything queued by then goes with it."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(url, loop)
        self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        (self.integration,) = self.db.execute("SELECT id FROM integrations").fetchone() or (0,)
        rows = self.db.execute("SELECT group_key, id FROM alert_groups WHERE is_open")
        self.groups = dict(rows.fetchall())
        self.db.commit()
        self.lock = pglocks.xact_lock(pipeline.ALERTS_LOCK)
        self.queue: queue.SimpleQueue[tuple[dict[str, Any], Callable[[], None]]] = (
            queue.SimpleQueue()
        )
        self.written, self.analyze_at = 0, 1000
        threading.Thread(target=self.run, daemon=True).start()

    def submit(self, event: dict[str, Any], answer: Callable[[], None]) -> None:
        self.queue.put((event, lambda: self.loop.call_soon_threadsafe(answer)))

    def run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self.write(batch)
            self.written += len(batch)
            if self.written >= self.analyze_at:
                # As fireline's writer does: planned as empty, the lookup
                # reads every open alert.
                self.analyze_at *= 2
                self.db.execute("ANALYZE alerts (integration_id, dedup_key, is_open)")
                self.db.commit()

    def write(self, batch: Waiting) -> None:
        rows = self.rows(batch)
        keys = [row[2] for row in rows]
        now = rows[0][SEEN_AT]
        values = ", ".join(["(" + self.form.marks(ALERT_COLUMNS) + ")"] * len(rows))
        cursor = self.db.cursor()
        with self.db.pipeline() as line:
            cursor.execute(self.lock)
            cursor.execute(
                LOOKUP.format(mark="%s", marks=", ".join(["%s"] * len(keys))),
                [self.integration, *keys],
            )
            line.sync()
            cursor.fetchall()
            cursor.execute(
                f"INSERT INTO alerts ({COLUMNS}) VALUES {values}",
                [value for row in rows for value in row],
            )
            cursor.executemany(
                BUMP_GROUP.format(mark="%s"),
                [(now, now, group) for group in sorted({row[0] for row in rows})],
            )
            self.db.commit()
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


def serve(url: str, port: int, processes: int) -> None:
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
        writer = SqliteWriter if url.startswith("sqlite") else PostgresWriter
        Connection.writer = writer(url, loop)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        server = await loop.create_server(Connection, sock=sock, backlog=1024)
        await server.serve_forever()

    uvloop.run(main())


def prepare(url: str) -> None:
    """fireline's tables, one PagerDuty integration, and an open group for
    each alertname of the script."""
    db = Database(url)
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
    now = stored_form(db.dialect).time(NOW)
    with db.engine.begin() as connection:
        for n in range(GROUPS):
            connection.execute(
                text(
                    "INSERT INTO alert_groups (service_id, integration_id, group_key, title,"
                    " status, is_open, urgency, severity, flapping, alert_count, active_count,"
                    " event_count, created_at, updated_at, last_alert_at) SELECT s.id, i.id,"
                    " :key, :key, 'triggered', :yes, 'high', 'warning', :no, 0, 0, 0, :now,"
                    " :now, :now FROM services s, integrations i"
                ),
                {"key": f"BenchAlert{n:02d}", "yes": True, "no": False, "now": now},
            )
    db.dispose()


def stored_alerts(url: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM alerts")).scalar_one())
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--postgres", metavar="URL", help="write to PostgreSQL (a fresh schema)")
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.processes)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="fireline-floor-"))
    try:
        with fresh_database(workdir, args.postgres) as url:
            prepare(url)
            load = run_load(args, workdir, Database(url).engine.url.render_as_string(False))
            stored = stored_alerts(url)
    finally:
        if os.environ.get("FLOOR_KEEP") is None:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print(
        f"floor on {'PostgreSQL' if args.postgres else 'SQLite'}, {args.processes} process(es),"
        f" {args.connections} connections: {load.requests_per_second:,.0f} requests/s,"
        f" p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms;"
        f" answered 2xx {load.ok:,}, stored {stored:,}"
    )
    return 0 if stored >= load.ok else 1


def run_load(args: argparse.Namespace, workdir: Path, url: str) -> Load:
    port = free_port()
    command = [sys.executable, "-m", "bench.ingest.floor", "--processes", str(args.processes)]
    server = Process(
        "floor", [*command, "--serve", url, str(port)], dict(os.environ), workdir / "floor.log"
    )
    try:
        wait_for(lambda: listeners(port) >= args.processes, 30, "the floor server")
        return wrk(
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


if __name__ == "__main__":
    sys.exit(main())
