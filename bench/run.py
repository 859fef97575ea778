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
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from fireline.core import audit
from fireline.core.audit import Actor
from fireline.core.db import Database, normalise_url
from fireline.core.migrate import upgrade

NOW = datetime(2026, 1, 1, tzinfo=UTC)


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


BENCHES: dict[str, Callable[[Database, str], list[Result]]] = {
    "audit": bench_audit_append,
}


def register(
    name: str,
) -> Callable[[Callable[[Database, str], list[Result]]], Callable[[Database, str], list[Result]]]:
    def decorator(
        fn: Callable[[Database, str], list[Result]],
    ) -> Callable[[Database, str], list[Result]]:
        BENCHES[name] = fn
        return fn

    return decorator


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
