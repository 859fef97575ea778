"""Benchmarks for fireline, with targets. Run: ``.venv/bin/python bench/run.py``.

Each benchmark prints what it measured and its target; ``--json FILE`` keeps
the numbers. PostgreSQL runs when ``--postgres URL`` is given. The suite
itself never asserts on timings: these numbers live in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.db import Database, normalise_url
from fireline.core.jobs.registry import JobContext, job_handler
from fireline.core.migrate import upgrade

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@job_handler("bench.noop")
def _noop(_ctx: JobContext) -> None:
    """Measures the queue, not a handler."""


@dataclass
class Result:
    name: str
    database: str
    value: float
    unit: str
    target: str
    meets: bool


@contextmanager
def fresh_database(kind: str, postgres_url: str | None) -> Iterator[Database]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db")
            upgrade(db.engine)
            yield db
            db.dispose()
        return
    assert postgres_url
    schema = "bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(normalise_url(postgres_url))
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in postgres_url else "?"
    db = Database(f"{normalise_url(postgres_url)}{sep}options=-csearch_path%3D{schema}")
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def bench_audit_append(db: Database, kind: str) -> list[Result]:
    """Audit records appended one per transaction, as use cases do."""
    count = 2000
    started = time.perf_counter()
    for i in range(count):
        with db.transaction() as session:
            audit.record(
                session,
                actor=Actor.system("bench"),
                action="bench.event",
                object_type="bench",
                object_id=i,
                changes={"i": i, "note": "x" * 64},
                now=NOW,
            )
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    with db.session() as session:
        started = time.perf_counter()
        result = audit.verify(session)
        verify_rate = result.checked / (time.perf_counter() - started)
    assert result.ok
    return [
        # A SEV1 with fifty responders writes tens of changes a second: 200/s leaves headroom.
        Result(
            "audit append, one per transaction",
            kind,
            round(rate),
            "records/s",
            ">= 200/s",
            rate >= 200,
        ),
        # A million-record chain verified in under two minutes.
        Result(
            "audit verify",
            kind,
            round(verify_rate),
            "records/s",
            ">= 10,000/s",
            verify_rate >= 10_000,
        ),
    ]


def bench_jobs(db: Database, kind: str) -> list[Result]:
    """Jobs enqueued with idempotency keys, then drained by one in-process worker."""
    from fireline.core.clock import SystemClock
    from fireline.core.config import Settings
    from fireline.core.jobs import queue
    from fireline.core.jobs.worker import Worker

    count = 2000
    clock = SystemClock()
    started = time.perf_counter()
    with db.transaction() as session:
        for i in range(count):
            queue.enqueue(
                session,
                kind="bench.noop",
                payload={"i": i},
                now=clock.now(),
                idempotency_key=f"bench:{i}",
            )
    enqueue_rate = count / (time.perf_counter() - started)
    worker = Worker(db, clock, Settings(database_url=db.url, worker_batch=50))
    started = time.perf_counter()
    while worker.run_once():
        pass
    run_rate = count / (time.perf_counter() - started)
    # A SEV1 paging a team of twenty over four channels is under a hundred jobs;
    # an alert storm pages per alert group, not per alert.
    return [
        Result(
            "jobs enqueued with idempotency keys",
            kind,
            round(enqueue_rate),
            "jobs/s",
            ">= 500/s",
            enqueue_rate >= 500,
        ),
        Result(
            "jobs run by one worker (no-op handler)",
            kind,
            round(run_rate),
            "jobs/s",
            ">= 100/s",
            run_rate >= 100,
        ),
    ]


@contextmanager
def served(app: object) -> Iterator[str]:
    """``app`` served by uvicorn on a free 127.0.0.1 port in a thread; yields its URL."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def timed_gets(client: Any, path: str, count: int, warm_up: int = 50) -> list[float]:
    """Milliseconds of ``count`` sequential GETs of ``path``, after a warm-up."""
    for _ in range(warm_up):
        client.get(path).raise_for_status()
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def bench_api(db: Database, kind: str) -> list[Result]:
    """Authenticated GET /api/v1/me through a real uvicorn server, one client, in sequence."""
    import httpx

    from fireline.core.clock import SystemClock
    from fireline.core.config import Settings
    from fireline.people import service as people
    from fireline.web.app import create_app

    with db.transaction() as session:
        user = people.create_user(
            session, actor=Actor.system(), now=NOW, email="bench@example.com", name="Bench"
        )
        token = people.create_token(
            session, actor=Actor.system(), now=NOW, user=user, name="bench"
        ).secret
    app = create_app(
        Settings(database_url=db.url, migrate_on_start=False), database=db, clock=SystemClock()
    )
    headers = {"Authorization": f"Bearer {token}"}
    with served(app) as base, httpx.Client(base_url=base, headers=headers) as client:
        latencies = timed_gets(client, "/api/v1/me", 500)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return [
        Result("GET /api/v1/me p50", kind, round(p50, 2), "ms", "<= 10 ms", p50 <= 10),
        Result("GET /api/v1/me p95", kind, round(p95, 2), "ms", "<= 25 ms", p95 <= 25),
    ]


def bench_memory(db: Database, kind: str) -> list[Result]:
    """Resident memory of a `fireline serve` process (API, pages and worker), idle
    and after 2,000 requests."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    with db.transaction() as session:
        from fireline.people import service as people

        user = people.create_user(
            session, actor=Actor.system(), now=NOW, email="mem@example.com", name="Mem"
        )
        token = people.create_token(
            session, actor=Actor.system(), now=NOW, user=user, name="mem"
        ).secret
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "FIRELINE_DATABASE_URL": db.url, "FIRELINE_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "fireline", "serve", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        idle = _rss_mb(server.pid)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(2000):
                client.get("/api/v1/me" if i % 2 else "/api/v1/users").raise_for_status()
        busy = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=15)
    return [
        Result("serve RSS idle", kind, round(idle), "MB", "<= 150 MB", idle <= 150),
        Result("serve RSS after 2,000 requests", kind, round(busy), "MB", "<= 200 MB", busy <= 200),
    ]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# The public status page under the data of a busy year: 6 groups of 5
# components, each with a status change every two days or so over the 90
# days the bars show, 200 past incidents of 4 updates each, 2 open incidents
# and 3 maintenances. During an outage everybody reloads the status page at
# once: at a p95 of 100 ms one process serves it some ten times a second per
# core with no cache in front (the JSON carries Cache-Control: max-age=30
# for the caches that are there).
STATUS_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GROUPS, PER_GROUP, PAST, UPDATES = 6, 5, 200, 4


def _status_page_data(db: Database) -> None:
    import random

    from fireline.comms.status import components, service
    from fireline.comms.status.models import COMPONENT_STATUSES, ComponentStatusChange

    rng = random.Random(7)
    start = STATUS_NOW - timedelta(days=91)
    with db.transaction() as session:
        codes = []
        for g in range(GROUPS):
            group = components.create_group(session, None, start, name=f"Group {g + 1}")
            for c in range(PER_GROUP):
                component = components.create_component(
                    session, None, start, name=f"Component {g + 1}.{c + 1}", group=group.id
                )
                codes.append(component.code)
                at = start
                while (at := at + timedelta(hours=rng.uniform(24, 72))) < STATUS_NOW:
                    session.add(
                        ComponentStatusChange(
                            component_id=component.id, status=rng.choice(COMPONENT_STATUSES), at=at
                        )
                    )
        for n in range(PAST):
            at = start + timedelta(hours=n * 10)
            public = service.open_incident(
                session,
                None,
                at,
                name=f"Past incident {n}",
                body="Looking.",
                notify=False,
                components={rng.choice(codes): "partial_outage"},
            )
            for step, status in enumerate(("identified", "monitoring", "resolved")[: UPDATES - 1]):
                service.post_update(
                    session,
                    None,
                    at + timedelta(minutes=20 * (step + 1)),
                    public,
                    status=status,
                    body=f"Step {step}.",
                    notify=False,
                )
        for n in range(2):
            service.open_incident(
                session,
                None,
                STATUS_NOW - timedelta(minutes=30),
                name=f"Open {n}",
                body="Looking.",
                components={codes[n]: "major_outage"},
                notify=False,
            )
        for n in range(3):
            service.schedule_maintenance(
                session,
                None,
                NOW,
                name=f"Maintenance {n}",
                body="Upgrades.",
                scheduled_for=STATUS_NOW + timedelta(days=n + 1),
                scheduled_until=STATUS_NOW + timedelta(days=n + 1, hours=1),
                components=[codes[-1 - n]],
                notify=False,
            )


def bench_status_page(db: Database, kind: str) -> list[Result]:
    """/status and Statuspage's summary.json, one client, through real uvicorn."""
    import httpx

    from fireline.core.clock import FixedClock
    from fireline.core.config import Settings
    from fireline.web.app import create_app

    _status_page_data(db)
    app = create_app(
        Settings(database_url=db.url, migrate_on_start=False),
        database=db,
        clock=FixedClock(STATUS_NOW),
    )
    results = []
    with served(app) as base, httpx.Client(base_url=base) as client:
        for path, target in (("/status", 100.0), ("/api/v2/summary.json", 50.0)):
            latencies = timed_gets(client, path, 200, warm_up=20)
            p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
            results += [
                Result(f"GET {path} p50", kind, round(p50, 1), "ms", "", True),
                Result(
                    f"GET {path} p95", kind, round(p95, 1), "ms", f"<= {target:g} ms", p95 <= target
                ),
            ]
    return results


def bench_declare(db: Database, kind: str) -> list[Result]:
    """POST /api/v1/incidents through real uvicorn, one client, with 30 playbooks
    kept in the database (a team that imported a CACAO library): declaring
    looks for the playbooks of the new incident's type among all of them."""
    from importlib import resources

    import httpx

    from fireline.core.clock import SystemClock
    from fireline.core.config import Settings
    from fireline.people import service as people
    from fireline.playbooks.models import StoredPlaybook
    from fireline.web.app import create_app

    phishing = resources.files("fireline.playbooks").joinpath("builtin/phishing.yaml")
    source = phishing.read_text("utf-8")
    with db.transaction() as session:
        user = people.create_user(
            session,
            actor=Actor.system(),
            now=NOW,
            email="bench@example.com",
            name="Bench",
        )
        token = people.create_token(
            session, actor=Actor.system(), now=NOW, user=user, name="bench"
        ).secret
        for n in range(30):
            text_ = source.replace("key: phishing", f"key: phishing-{n}", 1)
            session.add(
                StoredPlaybook(key=f"phishing-{n}", source=text_, created_at=NOW, updated_at=NOW)
            )
    app = create_app(
        Settings(database_url=db.url, migrate_on_start=False), database=db, clock=SystemClock()
    )
    body = {"title": "Checkout failing", "type": "service_outage", "severity": "SEV3"}
    latencies = []
    with (
        served(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        for n in range(120):
            started = time.perf_counter()
            response = client.post("/api/v1/incidents", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if n >= 20:  # after warming up
                latencies.append(elapsed)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return [
        Result("declare with 30 stored playbooks p50", kind, round(p50, 1), "ms", "", True),
        Result(
            "declare with 30 stored playbooks p95", kind, round(p95, 1), "ms", "<= 50 ms", p95 <= 50
        ),
    ]


def _large_organisation(db: Database) -> None:
    """300 people in 30 teams, a third without a contact method and a fifth of
    the rest unverified; 30 schedules of 10 people; 30 policies paging teams."""
    from fireline.oncall.models import ContactMethod, EscalationPolicy, Schedule, ScheduleLayer
    from fireline.people.models import Team, TeamMembership, User

    with db.transaction() as session:
        users = [
            User(
                email=f"person{n}@example.com",
                name=f"Person {n}",
                role="responder",
                time_zone="UTC",
                is_active=True,
                created_at=NOW,
                updated_at=NOW,
            )
            for n in range(300)
        ]
        teams = [Team(slug=f"team-{n}", name=f"Team {n}", created_at=NOW) for n in range(30)]
        session.add_all([*users, *teams])
        session.flush()
        for n, user in enumerate(users):
            session.add(TeamMembership(team_id=teams[n % 30].id, user_id=user.id))
            if n % 3:
                session.add(
                    ContactMethod(
                        user_id=user.id,
                        kind="email",
                        label="work",
                        target={"address": user.email},
                        verified_at=NOW if n % 5 else None,
                        created_at=NOW,
                    )
                )
        for n in range(30):
            schedule = Schedule(
                slug=f"schedule-{n}",
                name=f"Schedule {n}",
                time_zone="UTC",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(schedule)
            session.flush()
            people = [users[(n * 10 + k) % 300].id for k in range(10)]
            session.add(
                ScheduleLayer(
                    schedule_id=schedule.id,
                    position=0,
                    name="weekly",
                    user_ids=people,
                    rotation_unit="weeks",
                    rotation_length=1,
                    handoff="2026-01-01T09:00",
                )
            )
            steps = [
                {"delay_minutes": 10, "targets": [{"type": "team", "id": teams[(n + k) % 30].id}]}
                for k in range(3)
            ]
            session.add(
                EscalationPolicy(
                    slug=f"policy-{n}",
                    name=f"Policy {n}",
                    steps=steps,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def bench_dashboard(db: Database, kind: str) -> list[Result]:
    """GET / signed in, through real uvicorn, for an organisation of 300 people
    on 30 schedules and 30 escalation policies: the dashboard works out who is
    on call and who cannot be reached on every view."""
    import re

    import httpx

    from fireline.core.clock import SystemClock
    from fireline.core.config import Settings
    from fireline.people import service as people
    from fireline.web.app import create_app

    _large_organisation(db)
    password = "a bench password"
    with db.transaction() as session:
        people.create_user(
            session,
            actor=Actor.system(),
            now=NOW,
            email="bench@example.com",
            name="Bench",
            password=password,
        )
    app = create_app(
        Settings(database_url=db.url, migrate_on_start=False), database=db, clock=SystemClock()
    )
    with served(app) as base, httpx.Client(base_url=base) as client:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert found, "the sign-in form has no CSRF field"
        signed_in = client.post(
            "/login",
            data={"email": "bench@example.com", "password": password, "csrf_token": found[1]},
            follow_redirects=True,
        )
        assert "Sign out" in signed_in.text, "could not sign in"
        latencies = timed_gets(client, "/", 100, warm_up=10)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return [
        Result("GET / (dashboard), 300 people, p50", kind, round(p50, 1), "ms", "", True),
        Result(
            "GET / (dashboard), 300 people, p95", kind, round(p95, 1), "ms", "<= 100 ms", p95 <= 100
        ),
    ]


def bench_evidence(db: Database, kind: str) -> list[Result]:
    """A 1 GiB evidence file streamed up, down and verified through `fireline serve`,
    with the server's peak memory (bench/evidence.py; alone, it takes --size-mib)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from evidence import run as run_evidence

    return [Result(database=kind, **measured) for measured in run_evidence(db, kind)]


BENCHES: dict[str, Callable[[Database, str], list[Result]]] = {
    "memory": bench_memory,
    "audit": bench_audit_append,
    "jobs": bench_jobs,
    "api": bench_api,
    "status": bench_status_page,
    "declare": bench_declare,
    "dashboard": bench_dashboard,
    "evidence": bench_evidence,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default all: {', '.join(BENCHES)})"
    )
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    parser.add_argument("--json", metavar="FILE", help="write the results here")
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    results: list[Result] = []
    for name in args.names or list(BENCHES):
        for kind in kinds:
            with fresh_database(kind, args.postgres) as db:
                for result in BENCHES[name](db, kind):
                    results.append(result)
                    mark = "ok  " if result.meets else "MISS"
                    print(
                        f"{mark} {result.name:<45} {result.database:<10} {result.value:>10,} {result.unit:<10} target {result.target}"
                    )
    if args.json:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "system": platform.platform(),
        }
        Path(args.json).write_text(
            json.dumps({"machine": machine, "results": [asdict(r) for r in results]}, indent=2)
        )
    return 0 if all(r.meets for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
