"""Alert ingestion: fireline next to a real Prometheus Alertmanager, under the
same load from wrk, on the same machine. Run:

    .venv/bin/python -m bench.ingest                                 # fireline on SQLite
    .venv/bin/python -m bench.ingest --postgres postgresql://postgres@127.0.0.1:5432/fireline_test
    .venv/bin/python bench/ingest/run.py --only batch --duration 10 --json ingest.json

Scenarios (each starts a fresh Alertmanager and a fresh `fireline serve
--no-worker` on a fresh database, so none inherits another's alerts; each load
starts once what the previous ones wrote is flushed to disk):

  batch   100 alerts per request. Alertmanager gets them as Prometheus posts
          them (POST /api/v2/alerts); fireline gets the same alerts in
          Alertmanager's webhook envelope (POST /ingest/{key}). Alerts/s of
          both, their ratio (target fireline/Alertmanager >= 1.0), p99.
  single  one alert per request: a one-alert list to Alertmanager, a PagerDuty
          Events v2 trigger to fireline (POST /v2/enqueue). Requests/s of both,
          their ratio (target >= 1.0), fireline's p99 (target < 50 ms).
  memory  fireline loaded in batches until 400,000 alerts are open: peak
          resident memory of the server (VmHWM; target < 300 MB). Alertmanager
          with the same number of active alerts, for comparison.
  storm   10,000 alerts for one service within a minute, one alertname,
          distinct instances, from many connections: fireline must open one
          alert group and queue one page.

Both sides always get the same connections, wrk threads, duration and alerts.
Rates count only alerts answered 2xx, and after each run the servers are asked
how many alerts they hold: a rate is only reported as met when fireline stored
every alert it answered 2xx for. The runner prints ok or MISS per target and
exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from fireline.alerts import service as alert_service
from fireline.catalog import service as catalog
from fireline.cli.processes import listeners
from fireline.core.audit import Actor
from fireline.core.db import Database, normalise_url
from fireline.core.migrate import upgrade

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
WRK = Path("/usr/bin/wrk")
SCENARIOS = ("batch", "single", "memory", "storm")
BATCH_ALERTS = 100
MEMORY_ALERTS = 400_000
MEMORY_TARGET_MB = 300
SINGLE_P99_TARGET_MS = 50
STORM_ALERTS = 10_000
STORM_PER_REQUEST = 10
STORM_CONNECTIONS = 8
NOW = datetime.now(UTC)


@dataclass
class Result:
    scenario: str
    measure: str
    fireline: float | None
    alertmanager: float | None = None
    unit: str = ""
    target: str = ""
    meets: bool | None = None  # None: reported, no target
    note: str = ""


@dataclass
class Run:
    database: str
    connections: int
    threads: int
    duration: float
    processes: int = 1
    results: list[Result] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)


# --- processes -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.process = subprocess.Popen(
            args, env=env, cwd=REPO, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def check(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def alertmanager(workdir: Path) -> Iterator[tuple[str, Process]]:
    """Alertmanager alone: in memory, its own storage, clustering off, a null
    receiver (its dispatcher still groups every alert)."""
    home = Path(tempfile.mkdtemp(prefix="alertmanager-", dir=workdir))
    config = home / "alertmanager.yml"
    config.write_text(
        "route:\n"
        '  receiver: "null"\n'
        "  group_by: [alertname, service]\n"
        "  group_wait: 30s\n"
        "  group_interval: 5m\n"
        "  repeat_interval: 4h\n"
        "receivers:\n"
        '  - name: "null"\n'
    )
    port = free_port()
    process = Process(
        "alertmanager",
        [
            str(ALERTMANAGER),
            f"--config.file={config}",
            f"--storage.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        dict(os.environ),
        home / "alertmanager.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.check() or ready(f"{url}/-/ready"), 30, "Alertmanager")
        yield url, process
    finally:
        process.stop()


def alertmanager_alerts(url: str) -> int:
    """Alerts Alertmanager holds, whatever their state (from its /metrics)."""
    text_ = httpx.get(f"{url}/metrics", timeout=30).text
    return sum(
        int(float(match))
        for match in re.findall(r'^alertmanager_alerts\{state="[a-z]+"\} (\S+)$', text_, re.M)
    )


@dataclass
class Fireline:
    url: str
    process: Process
    db: Database
    keys: dict[str, str]


@contextlib.contextmanager
def fresh_database(workdir: Path, postgres: str | None) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='fireline-', dir=workdir))}/fireline.db"
        return
    schema = "bench_ingest_" + uuid.uuid4().hex[:8]
    admin = create_engine(normalise_url(postgres))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres else "?"
    try:
        yield f"{normalise_url(postgres)}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def fireline(workdir: Path, postgres: str | None, processes: int = 1) -> Iterator[Fireline]:
    """`fireline serve --no-worker` on a fresh database with its migrations applied,
    a service, and Alertmanager and PagerDuty integrations without a rate limit."""
    with fresh_database(workdir, postgres) as url:
        db = Database(url)
        upgrade(db.engine)
        keys = {}
        with db.transaction() as session:
            actor = Actor.system("bench")
            catalog.create_service(session, actor=actor, now=NOW, slug="bench", name="Bench")
            for kind in ("alertmanager", "pagerduty"):
                _, keys[kind] = alert_service.create_integration(
                    session,
                    actor=actor,
                    now=NOW,
                    spec=alert_service.IntegrationSpec(
                        service="bench", kind=kind, rate_limit_per_minute=0
                    ),
                )
        port = free_port()
        env = {
            **os.environ,
            "FIRELINE_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "FIRELINE_LOG_LEVEL": "WARNING",
        }
        log = Path(tempfile.mkdtemp(prefix="fireline-log-", dir=workdir)) / "fireline.log"
        process = Process(
            "fireline",
            [
                *(sys.executable, "-m", "fireline", "serve", "--no-worker"),
                *("--port", str(port), "--processes", str(processes)),
            ],
            env,
            log,
        )
        server = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: process.check() or ready(f"{server}/readyz"), 60, "fireline")
            # Each server process listens on a socket of its own once its app is
            # ready; connections made before the last one listens never reach it.
            wait_for(lambda: listeners(port) >= processes, 60, "every server process")
            yield Fireline(server, process, db, keys)
        finally:
            process.stop()
            db.dispose()


def fireline_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN is_open THEN 1 ELSE 0 END), 0) FROM alerts"
            )
        ).one()
        groups = connection.execute(text("SELECT count(*) FROM alert_groups")).scalar_one()
        pages = connection.execute(
            text("SELECT count(*) FROM jobs WHERE kind = 'alerts.page'")
        ).scalar_one()
    return {"alerts": int(row[0]), "open": int(row[1]), "groups": groups, "pages": pages}


def newest_alert_id(db: Database) -> int:
    """As many as the alerts stored, while none is deleted: cheap to ask under load."""
    with db.engine.connect() as connection:
        return int(connection.execute(text("SELECT coalesce(max(id), 0) FROM alerts")).scalar_one())


# --- wrk -------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    seconds: float
    ok: int  # requests answered 2xx
    other: int  # answered, not 2xx
    errors: int  # connect, read, write errors and timeouts
    in_flight: int  # requests sent and not answered when wrk stopped
    p50_ms: float
    p99_ms: float
    alerts_per_request: int

    @property
    def ok_alerts(self) -> int:
        return self.ok * self.alerts_per_request

    @property
    def alerts_per_second(self) -> float:
        return self.ok_alerts / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.ok / self.seconds


def wrk(
    url: str,
    script: str,
    *,
    connections: int,
    threads: int,
    duration: float,
    alerts: int,
    key: str = "",
    quota: int = 0,
    workdir: Path,
    label: str,
    verbose: bool = False,
    until: Callable[[], bool] | None = None,
) -> Load:
    result = Path(tempfile.mkstemp(prefix="wrk-", suffix=".json", dir=workdir)[1])
    env = {
        **os.environ,
        "BENCH_LUA_DIR": str(HERE),
        "BENCH_RUN": uuid.uuid4().hex[:6],
        "BENCH_ALERTS": str(alerts),
        "BENCH_KEY": key,
        "BENCH_QUOTA": str(quota),
        "BENCH_RESULT": str(result),
    }
    args = [
        str(WRK),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(HERE / script),
        url,
    ]
    if until is None:
        finished = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    else:
        # wrk runs for its whole duration even when every thread stopped itself:
        # watch the server instead, and interrupt wrk (it then reports as usual).
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        while process.poll() is None and not until():
            time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        finished = subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
    if verbose or finished.returncode != 0:
        print(f"--- wrk {label}\n{finished.stdout}{finished.stderr}", flush=True)
    if finished.returncode != 0 or not result.read_text():
        raise RuntimeError(f"wrk failed for {label}: {finished.stderr[-2000:]}")
    data = json.loads(result.read_text())
    if finished.stderr.strip():
        print(f"    wrk {label}: {finished.stderr.strip()[:600]}", flush=True)
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        ok=data["ok"],
        other=data["other"],
        in_flight=max(0, data["made"] - data["ok"] - data["other"]),
        errors=data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["timeouts"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        alerts_per_request=alerts,
    )


def durable(stored: int, load: Load) -> tuple[bool, str]:
    """Every alert answered 2xx is stored. A few more may be: wrk stops reading at
    its deadline while up to one request per connection is still in flight, and
    the server may still commit those."""
    in_flight = load.in_flight * load.alerts_per_request
    meets = load.ok_alerts <= stored <= load.ok_alerts + in_flight
    return meets, (
        f"answered 2xx {load.ok_alerts:,}, stored {stored:,}, in flight at the stop {in_flight:,}"
    )


# --- scenarios -------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.postgres: str | None = args.postgres
        self.database = "postgresql" if args.postgres else "sqlite"

    def settle(self) -> None:
        """Start each load on a quiet machine: what the previous loads wrote is
        flushed to disk now (by the kernel, and by PostgreSQL's checkpoint),
        not in the middle of the next one."""
        os.sync()
        if self.postgres is None:
            return
        engine = create_engine(normalise_url(self.postgres))
        try:
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "CHECKPOINT"
                )
        except Exception as exc:  # a role without the right to: measure anyway
            print(f"    (no CHECKPOINT before the load: {exc})", flush=True)
        finally:
            engine.dispose()

    def load(self, url: str, script: str, alerts: int, label: str, **extra: Any) -> Load:
        self.settle()
        load = wrk(
            url,
            script,
            connections=self.args.connections,
            threads=self.args.threads,
            duration=extra.pop("duration", self.args.duration),
            alerts=alerts,
            workdir=self.workdir,
            label=label,
            verbose=self.args.verbose,
            **extra,
        )
        print(
            f"    {label}: {load.ok:,} requests 2xx in {load.seconds:.1f} s "
            f"({load.other} other answers, {load.errors} errors), "
            f"{load.alerts_per_second:,.0f} alerts/s, p50 {load.p50_ms:.1f} ms, "
            f"p99 {load.p99_ms:.1f} ms",
            flush=True,
        )
        return load

    def batch(self) -> list[Result]:
        with alertmanager(self.workdir) as (am_url, _):
            am = self.load(am_url, "alertmanager.lua", BATCH_ALERTS, "Alertmanager")
            am_stored = alertmanager_alerts(am_url)
        with fireline(self.workdir, self.postgres, self.args.processes) as fl:
            flo = self.load(
                fl.url,
                "fireline_webhook.lua",
                BATCH_ALERTS,
                "fireline",
                key=fl.keys["alertmanager"],
            )
            counts = fireline_counts(fl.db)
        return self._throughput("batch", "alerts/s", flo, am, counts["alerts"], am_stored)

    def single(self) -> list[Result]:
        with alertmanager(self.workdir) as (am_url, _):
            am = self.load(am_url, "alertmanager.lua", 1, "Alertmanager")
            am_stored = alertmanager_alerts(am_url)
        with fireline(self.workdir, self.postgres, self.args.processes) as fl:
            flo = self.load(
                fl.url, "fireline_pagerduty.lua", 1, "fireline", key=fl.keys["pagerduty"]
            )
            counts = fireline_counts(fl.db)
        return self._throughput(
            "single",
            "requests/s",
            flo,
            am,
            counts["alerts"],
            am_stored,
            p99_target=SINGLE_P99_TARGET_MS,
        )

    def _throughput(
        self,
        scenario: str,
        unit: str,
        flo: Load,
        am: Load,
        stored: int,
        am_stored: int,
        p99_target: float | None = None,
    ) -> list[Result]:
        per_second = (
            (lambda load: load.alerts_per_second)
            if unit == "alerts/s"
            else (lambda load: load.requests_per_second)
        )
        fl_rate, am_rate = per_second(flo), per_second(am)
        kept, kept_note = durable(stored, flo)
        am_kept, am_note = durable(am_stored, am)
        clean = flo.other == 0 and flo.errors == 0
        return [
            Result(scenario, "throughput", round(fl_rate), round(am_rate), unit, note=""),
            Result(
                scenario,
                "ratio fireline / Alertmanager",
                round(fl_rate / am_rate, 3) if am_rate else None,
                unit="",
                target=">= 1.0",
                meets=am_rate > 0 and fl_rate / am_rate >= 1.0,
            ),
            Result(
                scenario,
                "p99 latency",
                round(flo.p99_ms, 1),
                round(am.p99_ms, 1),
                "ms",
                f"fireline < {p99_target:g} ms" if p99_target else "",
                flo.p99_ms < p99_target if p99_target else None,
                f"p50 {flo.p50_ms:.1f} ms (Alertmanager {am.p50_ms:.1f} ms)",
            ),
            Result(
                scenario,
                "alerts answered 2xx are stored",
                stored,
                am_stored,
                "alerts",
                "every one",
                kept and clean,
                f"fireline: {kept_note}, {flo.other} non-2xx, {flo.errors} errors; "
                f"Alertmanager: {am_note}" + ("" if am_kept else " (MISSING)"),
            ),
        ]

    def memory(self) -> list[Result]:
        quota = -(-MEMORY_ALERTS // self.args.threads)  # per wrk thread
        with fireline(self.workdir, self.postgres) as fl:
            idle = memory_of(fl.process.pid)["VmRSS"]
            filled = self.load(
                fl.url,
                "fireline_webhook.lua",
                BATCH_ALERTS,
                "fireline (memory)",
                key=fl.keys["alertmanager"],
                quota=quota,
                duration=self.args.memory_timeout,
                until=lambda: newest_alert_id(fl.db) >= MEMORY_ALERTS,
            )
            fl.process.check()
            loaded = fireline_counts(fl.db)["open"]
            usage = memory_of(fl.process.pid)
        am_peak = None
        am_note = ""
        am_filled: Load | None = None
        if not self.args.skip_alertmanager_memory:
            with alertmanager(self.workdir) as (am_url, am_process):
                am_filled = self.load(
                    am_url,
                    "alertmanager.lua",
                    BATCH_ALERTS,
                    "Alertmanager (memory)",
                    quota=quota,
                    duration=self.args.memory_timeout,
                    until=lambda: alertmanager_alerts(am_url) >= MEMORY_ALERTS,
                )
                am_loaded = alertmanager_alerts(am_url)
                am_peak = round(memory_of(am_process.pid)["VmHWM"] / 1024)
                am_note = f"; Alertmanager held {am_loaded:,} active alerts"
        return [
            Result(
                "memory",
                f"time to {MEMORY_ALERTS:,} open alerts",
                round(filled.seconds, 1),
                round(am_filled.seconds, 1) if am_filled else None,
                "s",
                note=f"fireline's p99 while filling {filled.p99_ms:,.0f} ms"
                + (f" (Alertmanager {am_filled.p99_ms:,.0f} ms)" if am_filled else ""),
            ),
            Result(
                "memory",
                f"peak RSS with {MEMORY_ALERTS:,} open alerts",
                round(usage["VmHWM"] / 1024),
                am_peak,
                "MB",
                f"fireline < {MEMORY_TARGET_MB} MB",
                loaded >= MEMORY_ALERTS and usage["VmHWM"] / 1024 < MEMORY_TARGET_MB,
                f"fireline held {loaded:,} open alerts; RSS idle {idle / 1024:.0f} MB, "
                f"at the end {usage['VmRSS'] / 1024:.0f} MB" + am_note,
            ),
        ]

    def storm(self) -> list[Result]:
        """10,000 alerts, one alertname, distinct instances, one service: sent as
        Alertmanager notifications of 10 from several connections at once."""
        requests = STORM_ALERTS // STORM_PER_REQUEST
        group_key = '{}:{alertname="DiskFull"}'
        failures: list[str] = []
        counter = iter(range(requests))
        lock = threading.Lock()

        def sender(url: str, key: str) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while True:
                    with lock:
                        n = next(counter, None)
                    if n is None:
                        return
                    alerts = [
                        {
                            "status": "firing",
                            "labels": {
                                "alertname": "DiskFull",
                                "service": "bench",
                                "instance": f"node-{n * STORM_PER_REQUEST + i:05d}",
                            },
                            "annotations": {"summary": "Disk almost full"},
                            "startsAt": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus.bench:9090/graph",
                            "fingerprint": f"{n * STORM_PER_REQUEST + i:016x}",
                        }
                        for i in range(STORM_PER_REQUEST)
                    ]
                    body = {
                        "version": "4",
                        "groupKey": group_key,
                        "truncatedAlerts": 0,
                        "status": "firing",
                        "receiver": "fireline",
                        "groupLabels": {"alertname": "DiskFull"},
                        "commonLabels": {"alertname": "DiskFull", "service": "bench"},
                        "commonAnnotations": {"summary": "Disk almost full"},
                        "externalURL": "http://alertmanager.bench:9093",
                        "alerts": alerts,
                    }
                    response = client.post(f"/ingest/{key}", json=body)
                    if response.status_code != 202:
                        failures.append(f"{response.status_code} {response.text[:200]}")

        with fireline(self.workdir, self.postgres, self.args.processes) as fl:
            started = time.monotonic()
            senders = [
                threading.Thread(target=sender, args=(fl.url, fl.keys["alertmanager"]))
                for _ in range(STORM_CONNECTIONS)
            ]
            for thread in senders:
                thread.start()
            for thread in senders:
                thread.join()
            seconds = time.monotonic() - started
            counts = fireline_counts(fl.db)
        print(
            f"    storm: {STORM_ALERTS:,} alerts in {seconds:.1f} s, {counts['groups']} group(s), "
            f"{counts['pages']} page(s), {len(failures)} failed requests",
            flush=True,
        )
        note = f"{counts['alerts']:,} alerts stored, sent in {seconds:.1f} s" + (
            f"; {len(failures)} requests failed: {failures[:2]}" if failures else ""
        )
        whole = counts["alerts"] == STORM_ALERTS and not failures and seconds < 60
        return [
            Result(
                "storm",
                "alert groups",
                counts["groups"],
                None,
                "",
                "1",
                whole and counts["groups"] == 1,
                note,
            ),
            Result(
                "storm", "page jobs", counts["pages"], None, "", "1", whole and counts["pages"] == 1
            ),
        ]


# --- report ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name, args in (
        ("alertmanager", [str(ALERTMANAGER), "--version"]),
        ("wrk", [str(WRK), "-v"]),
    ):
        with contextlib.suppress(OSError):
            out = subprocess.run(args, capture_output=True, text=True, check=False)
            versions[name] = (out.stdout + out.stderr).splitlines()[0].strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        text_ = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    else:
        text_ = f"{int(value):,}"
    return f"{text_} {unit}".strip()


def print_table(run: Run) -> None:
    rows = [("scenario", "measure", "fireline", "Alertmanager", "target", "")]
    for r in run.results:
        verdict = "" if r.meets is None else ("ok" if r.meets else "MISS")
        rows.append(
            (
                r.scenario,
                r.measure,
                show(r.fireline, r.unit),
                show(r.alertmanager, r.unit),
                r.target,
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    print(
        f"fireline on {run.database} ({run.processes} server process"
        f"{'es' if run.processes > 1 else ''}), {run.connections} connections, "
        f"{run.threads} wrk threads, {run.duration:g} s per load"
    )
    for i, row in enumerate(rows):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if i == 0:
            print("  ".join("-" * width for width in widths))
    notes = [r for r in run.results if r.note]
    if notes:
        print()
        for r in notes:
            print(f"{r.scenario} / {r.measure}: {r.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run fireline on this PostgreSQL (a fresh schema) instead of SQLite",
    )
    parser.add_argument(
        "--duration", type=float, default=20, metavar="SECONDS", help="per load (default 20)"
    )
    parser.add_argument(
        "--connections", type=int, default=16, metavar="N", help="for both servers (default 16)"
    )
    parser.add_argument(
        "--threads", type=int, default=2, metavar="N", help="wrk threads (default 2)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help="batch, single, memory or storm; may be repeated (default: all)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="fireline serve --processes N for batch, single and storm (default 1); "
        "memory always measures one process",
    )
    parser.add_argument("--json", metavar="FILE", help="write the results here")
    parser.add_argument(
        "--memory-timeout",
        type=float,
        default=240,
        metavar="SECONDS",
        help="give up loading the memory scenario after this long (default 240)",
    )
    parser.add_argument(
        "--skip-alertmanager-memory",
        action="store_true",
        help="measure only fireline in the memory scenario",
    )
    parser.add_argument("--verbose", action="store_true", help="print wrk's own reports")
    args = parser.parse_args(argv)
    missing = [str(p) for p in (ALERTMANAGER, WRK) if not p.exists()]
    if missing:
        parser.error(
            f"missing {', '.join(missing)}: apt-get install -y prometheus-alertmanager wrk"
        )
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections")
    run = Run(
        "postgresql" if args.postgres else "sqlite",
        args.connections,
        args.threads,
        args.duration,
        processes=args.processes,
        machine=machine(),
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fireline-bench-ingest-") as tmp:
        bench = Bench(args, Path(tmp))
        for scenario in args.only or SCENARIOS:
            print(f"{scenario} ...", flush=True)
            run.results.extend(getattr(bench, scenario)())
    print_table(run)
    print(f"\n{time.monotonic() - started:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(run), indent=2) + "\n")
    return 0 if all(r.meets is not False for r in run.results) else 1


if __name__ == "__main__":
    sys.exit(main())
