"""From an alert accepted to the page e-mail received.

A real `fireline serve` (its API and its worker, as one process runs it)
gets PagerDuty Events v2 triggers on POST /v2/enqueue at a steady rate, each
alert a new alert group; the group's page e-mails the person on call through
an SMTP server on 127.0.0.1 in this process. The latency of one alert is
from its 202 to its mail's arrival, matched by the token that ends the
alert's summary and so the mail's subject ("[HIGH] AG-12 bench alert <token>").
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bench.ingest.run import free_port, fresh_database, wait_for
from bench.paging.mailbox import Mailbox, smtp_server
from bench.paging.report import Result, load_average, spread
from bench.paging.world import fireline_env, fireline_process, pagerduty_event, seed, serving
from fireline.core.db import Database
from fireline.core.migrate import upgrade

TARGET_P99_MS = 500
WARMUP_ALERTS = 10
# Stop waiting for mails once none has come for this long.
QUIET_SECONDS = 30.0
# Connections to fireline; more requests than this wait on the client's side.
CONNECTIONS = 16


@dataclass
class Sent:
    accepted: dict[str, float] = field(default_factory=dict)  # token -> perf_counter at the 202
    answer_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def sender(port: int, key: str, work: queue.SimpleQueue[str | None], sent: Sent) -> None:
    """One keep-alive connection posting the alerts it is handed, one at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while (token := work.get()) is not None:
        body = json.dumps(pagerduty_event(key, token)).encode()
        started = time.perf_counter()
        try:
            connection.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()  # reconnects on the next request
            with sent.lock:
                sent.failures.append(f"{type(exc).__name__}: {exc}")
            continue
        answered = time.perf_counter()
        with sent.lock:
            if response.status == 202:
                sent.accepted[token] = answered
                sent.answer_ms.append((answered - started) * 1000)
            else:
                sent.failures.append(f"{response.status} {text[:200]!r}")
    connection.close()


def send(port: int, key: str, tokens: list[str], rate: float) -> Sent:
    """Open loop: alert n is handed to a connection at start + n/rate whether
    or not earlier ones were answered, as monitoring sends them. Plain threads
    and http.client cost little per request, so the sender takes little of
    the CPU that fireline needs (and its cost does not grow with a backlog)."""
    sent = Sent()
    work: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    threads = [
        threading.Thread(target=sender, args=(port, key, work, sent), daemon=True)
        for _ in range(CONNECTIONS)
    ]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    for n, token in enumerate(tokens):
        wait = start + n / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        work.put(token)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    sent.seconds = time.perf_counter() - start
    return sent


def first_arrivals(mailbox: Mailbox) -> tuple[dict[str, float], int]:
    """token -> when its first mail arrived, and how many mails were repeats."""
    first: dict[str, float] = {}
    per_token: Counter[str] = Counter()
    for arrival in mailbox.pages():
        token = arrival.subject.rsplit(" ", 1)[-1]
        per_token[token] += 1
        first[token] = min(first.get(token, math.inf), arrival.at)
    return first, sum(n - 1 for n in per_token.values())


def wait_for_mails(mailbox: Mailbox, tokens: set[str], drain: float) -> None:
    """Until every accepted alert's mail came, none came for QUIET_SECONDS, or
    ``drain`` seconds passed."""
    deadline = time.monotonic() + drain
    seen, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        arrived, _ = first_arrivals(mailbox)
        if tokens <= arrived.keys():
            return
        if len(arrived) != seen:
            seen, last_change = len(arrived), time.monotonic()
        elif time.monotonic() - last_change > QUIET_SECONDS:
            return
        time.sleep(0.2)


def run(args: argparse.Namespace, workdir: Path) -> list[Result]:
    with smtp_server() as mailbox, fresh_database(workdir, args.postgres) as url:
        db = Database(url)
        try:
            upgrade(db.engine)
            world = seed(db, channel="email", steps=1)
            sent, tokens, load = serve_and_send(args, workdir, db, world.key, mailbox)
        finally:
            db.dispose()
    return results(args, mailbox, sent, tokens, load)


def serve_and_send(
    args: argparse.Namespace, workdir: Path, db: Database, key: str, mailbox: Mailbox
) -> tuple[Sent, list[str], float]:
    """Start fireline, send the alerts, wait for their mails; the load average at the end."""
    extra = {"FIRELINE_WORKER_POLL_SECONDS": str(args.poll)} if args.poll else {}
    env = fireline_env(
        db,
        FIRELINE_SMTP_HOST="127.0.0.1",
        FIRELINE_SMTP_PORT=str(mailbox.port),
        FIRELINE_LOG_LEVEL="WARNING",
        **extra,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = ["serve", "--port", str(port), "--processes", str(args.processes)]
    if args.workers_apart:
        serve.append("--no-worker")
    processes = [fireline_process("fireline-serve", serve, env, workdir)]
    processes += [
        fireline_process(f"worker-{n}", ["worker"], env, workdir) for n in range(args.extra_workers)
    ]
    run_id = uuid.uuid4().hex[:6]
    try:
        wait_for(partial(serving, processes[0], f"{base}/readyz"), 60, "fireline serve")
        # A few alerts first, so that the measured ones find a warm process.
        warmup = [f"warm{run_id}-{n:03d}" for n in range(WARMUP_ALERTS)]
        send(port, key, warmup, 5)
        wait_for_mails(mailbox, set(warmup), 30)
        tokens = [f"{run_id}-{n:05d}" for n in range(round(args.rate * args.seconds))]
        sent = send(port, key, tokens, args.rate)
        wait_for_mails(mailbox, set(sent.accepted), args.drain)
        load = load_average()[0]
        for process in processes:
            process.check()
    finally:
        for process in processes:
            process.stop()
    return sent, tokens, load


def results(
    args: argparse.Namespace, mailbox: Mailbox, sent: Sent, tokens: list[str], load: float
) -> list[Result]:
    arrived, repeats = first_arrivals(mailbox)
    latencies = [
        (arrived.get(token, math.inf) - accepted) * 1000
        for token, accepted in sent.accepted.items()
    ]
    got = sum(1 for token in sent.accepted if token in arrived)
    figures = spread(latencies)
    answers = spread(sent.answer_ms)
    database = "postgresql" if args.postgres else "sqlite"
    more = f", {args.processes} processes" if args.processes > 1 else ""
    more += ", serve --no-worker" if args.workers_apart else ""
    more += f", {args.extra_workers} more workers" if args.extra_workers else ""
    scenario = f"delivery ({database}{more})"
    return [
        Result(
            scenario,
            "alerts accepted (202)",
            len(sent.accepted),
            note=f"{len(tokens):,} sent at {args.rate:g}/s in {sent.seconds:.1f} s, "
            f"{len(sent.failures)} not accepted"
            + (f" (first: {sent.failures[0]})" if sent.failures else "")
            + f"; 202 p50 {answers['p50']:.1f} ms, p99 {answers['p99']:.1f} ms",
        ),
        Result(
            scenario,
            "page mails arrived",
            got,
            target="every one, once",
            meets=got == len(sent.accepted) and repeats == 0,
            note=f"{repeats} repeated mails; waited up to {args.drain:g} s after the last alert",
        ),
        Result(scenario, "alert to mail p50", figures["p50"], "ms"),
        Result(
            scenario,
            "alert to mail p99",
            figures["p99"],
            "ms",
            f"< {TARGET_P99_MS} ms",
            figures["p99"] < TARGET_P99_MS,
        ),
        Result(scenario, "alert to mail max", figures["max"], "ms"),
        Result(scenario, "load average (1 min) at the end", round(load, 2)),
    ]
