"""Paging benchmarks, each on a fresh database. Run from the repository:

    .venv/bin/python -m bench.paging                                 # SQLite
    .venv/bin/python -m bench.paging --postgres postgresql://postgres@127.0.0.1:5432/fireline_test
    .venv/bin/python -m bench.paging --only timers --workers 3 --json paging.json

Scenarios:

  delivery  alert accepted to page e-mail received: PagerDuty triggers at a
            steady --rate (default 100/s) for --seconds (default 30) to a real
            `fireline serve` with its worker (and --extra-workers worker
            processes, if given), each alert a new alert group, mailed to an
            SMTP server on 127.0.0.1. Mails arrived; p50, p99 (target
            < 500 ms) and max of 202-to-mail.
  timers    lateness of escalation timers: --pages (default 10,000) active
            pages whose second-step timers come due evenly over --window
            (default 120 s: a storm that opened 10,000 groups in two minutes
            has its second steps come due at that pace), run by --workers
            `fireline worker` processes (default 1). p50, p99 (target < 1 s)
            and max of started - due, and the rate the workers kept.

The runner prints ok or MISS per target, with the machine's load average
(every figure shares two cores with whatever else runs), and exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.paging import delivery, timers
from bench.paging.report import Result, load_average, machine, print_table

SCENARIOS = {"delivery": delivery.run, "timers": timers.run}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", metavar="URL", help="on this PostgreSQL (a fresh schema)")
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), help="a scenario; may be repeated"
    )
    parser.add_argument("--rate", type=float, default=100, help="delivery: alerts per second")
    parser.add_argument("--seconds", type=float, default=30, help="delivery: seconds of load")
    parser.add_argument("--pages", type=int, default=10_000, help="timers: pages in flight")
    parser.add_argument(
        "--window",
        type=float,
        default=120,
        help="timers: seconds over which the timers come due (default 120)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="timers: `fireline worker` processes (default 1)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="delivery: `fireline serve --processes N`, each an API and a worker (default 1)",
    )
    parser.add_argument(
        "--extra-workers",
        type=int,
        default=0,
        help="delivery: `fireline worker` processes beside `fireline serve` (default 0)",
    )
    parser.add_argument(
        "--workers-apart",
        action="store_true",
        help="delivery: `fireline serve --no-worker`; the --extra-workers do all the paging",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=None,
        metavar="SECONDS",
        help="FIRELINE_WORKER_POLL_SECONDS for the workers (default: fireline's own)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=180,
        metavar="SECONDS",
        help="how long to wait for the last mails or timers after the load (default 180)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the results here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    database = "postgresql" if args.postgres else "sqlite"
    results: list[Result] = []
    before = load_average()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in before)}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fireline-bench-paging-") as tmp:
        for name in args.only or list(SCENARIOS):
            print(f"{name} ({database}) ...", flush=True)
            results.extend(SCENARIOS[name](args, Path(tmp)))
    print_table(f"fireline on {database}", results)
    after = load_average()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in after)}")
    print(f"{time.monotonic() - started:.0f} s in all")
    if args.json:
        report = {
            "database": database,
            "machine": machine(),
            "load_average": {"before": before, "after": after},
            "arguments": {k: v for k, v in vars(args).items() if k not in ("json", "postgres")},
            "results": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if all(r.meets is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
