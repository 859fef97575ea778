"""Incidents at scale: 100,000 incidents and 5,000,000 timeline events, then the
p50/p95 latency of the incident list, the incident page and search, through a
real uvicorn server. Run:

    .venv/bin/python bench/incidents_scale.py                       # SQLite
    .venv/bin/python bench/incidents_scale.py --postgres postgresql://postgres@127.0.0.1:5432/fireline_test
    .venv/bin/python bench/incidents_scale.py --scale 0.1           # a tenth, for a quick look

Targets: list p95 < 50 ms, incident page p95 < 100 ms, search p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn
from sqlalchemy import create_engine, insert, text

from fireline.core.audit import Actor
from fireline.core.clock import SystemClock
from fireline.core.config import Settings
from fireline.core.db import Database, normalise_url
from fireline.core.migrate import upgrade
from fireline.incidents.models import Incident, TimelineEvent
from fireline.people import service as people
from fireline.web.app import create_app

INCIDENTS, EVENTS = 100_000, 5_000_000
TARGETS_MS = {"list": 50, "page": 100, "search": 200}
WORDS = [
    "checkout",
    "payment",
    "gateway",
    "latency",
    "timeout",
    "database",
    "replica",
    "failover",
    "certificate",
    "dns",
    "resolver",
    "cache",
    "deploy",
    "rollback",
    "kafka",
    "consumer",
    "lag",
    "memory",
    "leak",
    "disk",
    "full",
    "queue",
    "backlog",
    "search",
    "index",
    "shard",
    "login",
    "session",
    "token",
    "expired",
    "rate",
    "limit",
    "cdn",
    "edge",
    "region",
    "outage",
    "degraded",
    "error",
    "spike",
    "saturation",
    "cpu",
    "throttle",
    "phishing",
    "credential",
    "leaked",
    "key",
    "rotation",
    "malware",
    "ransomware",
    "exfiltration",
    "insider",
    "vpn",
    "firewall",
]
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATES = ("triage", "investigating", "identified", "mitigated", "resolved", "closed")
T0 = datetime(2021, 1, 1, tzinfo=UTC)


def _vocabulary() -> tuple[list[str], list[float]]:
    """The domain words plus 3,000 made-up ones, with Zipf-like frequencies as in
    real text: a few words are everywhere, most are rare."""
    rng = random.Random(1)
    syllables = [
        "ka",
        "lo",
        "mi",
        "ren",
        "tor",
        "vex",
        "sa",
        "pu",
        "dri",
        "zen",
        "ol",
        "bar",
        "quin",
        "te",
    ]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4000)
    }
    words = list(WORDS) + sorted(made_up - set(WORDS))[:3000]
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=n))


def incident_rows(count: int, rng: random.Random) -> Iterator[dict[str, object]]:
    for i in range(1, count + 1):
        declared = T0 + timedelta(minutes=i * 25)
        state = rng.choice(STATES)
        yield {
            "id": i,
            "title": sentence(rng, 5).capitalize(),
            "summary": sentence(rng, 20),
            "type_key": "service_outage",
            "severity": rng.choice(SEVERITIES),
            "status": state,
            "is_open": state not in ("resolved", "closed"),
            "restricted": rng.random() < 0.02,
            "commander_id": 1,
            "declared_by_id": 1,
            "classification": {},
            "started_at": declared,
            "declared_at": declared,
            "updated_at": declared,
        }


def event_rows(incidents: int, count: int, rng: random.Random) -> Iterator[dict[str, object]]:
    per = count // incidents
    for incident_id in range(1, incidents + 1):
        declared = T0 + timedelta(minutes=incident_id * 25)
        for n in range(per):
            note = n % 5 == 4  # a fifth are notes, the rest automatic events
            at = declared + timedelta(minutes=n)
            yield {
                "incident_id": incident_id,
                "kind": "note" if note else "status_changed",
                "occurred_at": at,
                "recorded_at": at,
                "actor_id": 1,
                "body": sentence(rng, 12) if note else "",
                "data": {},
                "pinned": False,
                "audit_seq": 1,
            }


def fill(db: Database, incidents: int, events: int) -> float:
    rng = random.Random(42)
    started = time.perf_counter()
    with db.transaction() as session:
        admin = people.create_user(
            session,
            actor=Actor.system(),
            now=T0,
            email="bench@example.com",
            name="Bench",
            role="admin",
        )
        assert admin.id == 1
    batch: list[dict[str, object]] = []
    for table, rows in (
        (Incident, incident_rows(incidents, rng)),
        (TimelineEvent, event_rows(incidents, events, rng)),
    ):
        with db.engine.begin() as connection:
            for row in rows:
                batch.append(row)
                if len(batch) == 20_000:
                    connection.execute(insert(table), batch)
                    batch.clear()
            if batch:
                connection.execute(insert(table), batch)
                batch.clear()
    with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT max(id) FROM incidents))"
                )
            )
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


@contextmanager
def database(postgres: str | None) -> Iterator[Database]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/scale.db")
            upgrade(db.engine)
            yield db
            db.dispose()
        return
    schema = "scale_" + uuid.uuid4().hex[:8]
    admin = create_engine(normalise_url(postgres))
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres else "?"
    db = Database(f"{normalise_url(postgres)}{separator}options=-csearch_path%3D{schema}")
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def measure(db: Database, incidents: int, requests: int) -> dict[str, tuple[float, float]]:
    with db.transaction() as session:
        token = people.create_token(
            session,
            actor=Actor.system(),
            now=SystemClock().now(),
            user=people.get_user(session, 1),
            name="bench",
        ).secret
    app = create_app(
        Settings(database_url=db.url, migrate_on_start=False), database=db, clock=SystemClock()
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    rng = random.Random(7)
    paths = {
        "list": lambda: (
            f"/api/v1/incidents?status={rng.choice(['open', 'closed'])}&severity={rng.choice(SEVERITIES)}&limit=50&offset={rng.randrange(0, 500)}"
        ),
        "page": lambda: f"/incidents/INC-{rng.randrange(1, incidents + 1)}",
        "search": lambda: (
            f"/api/v1/incidents/search?q={'+'.join(rng.choices(VOCABULARY, WEIGHTS, k=2))}"
        ),
    }
    results: dict[str, tuple[float, float]] = {}
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        for name, path in paths.items():
            for _ in range(10):
                client.get(path())
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path())
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (
                    200,
                    404,
                ):  # 404: a restricted incident, as for anyone else
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
            results[name] = (percentile(samples, 0.5), percentile(samples, 0.95))
    server.should_exit = True
    thread.join()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="run on this PostgreSQL instead of SQLite"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    incidents, events = int(INCIDENTS * args.scale), int(EVENTS * args.scale)
    kind = "postgresql" if args.postgres else "sqlite"
    with database(args.postgres) as db:
        took = fill(db, incidents, events)
        print(
            f"{kind}: filled {incidents:,} incidents and {events:,} timeline events in {took:.0f} s"
        )
        results = measure(db, incidents, args.requests)
    ok = True
    for name, (p50, p95) in results.items():
        meets = p95 < TARGETS_MS[name]
        ok &= meets
        print(
            f"{'ok  ' if meets else 'MISS'} {name:<7} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   target p95 < {TARGETS_MS[name]} ms"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
