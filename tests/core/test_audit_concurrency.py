"""Concurrent writers never fork the chain: threads and OS processes, racing."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from fireline.core import audit
from fireline.core.audit import Actor, AuditEvent
from fireline.core.clock import SystemClock
from fireline.core.db import Database
from fireline.core.migrate import upgrade

THREADS, PROCESSES, EACH = 8, 3, 50


def write_records(db: Database, writer: str, count: int) -> None:
    """One transaction per record, as every use case does."""
    clock = SystemClock()
    for i in range(count):
        with db.transaction() as session:
            audit.record(
                session,
                actor=Actor.system(writer),
                action="test.write",
                object_type="writer",
                object_id=writer,
                changes={"i": i},
                now=clock.now(),
            )


def assert_one_linear_chain(db: Database, writers: list[str], each: int) -> None:
    with db.session() as session:
        result = audit.verify(session)
        assert result.ok, f"record {result.bad_seq}: {result.reason}"
        assert result.checked == len(writers) * each
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(1, len(writers) * each + 1))
        # A fork would show as two records sharing a parent.
        parents = session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash))))
        assert parents == len(seqs)
        per_writer = dict(
            session.execute(
                select(AuditEvent.object_id, func.count()).group_by(AuditEvent.object_id)
            ).all()
        )
        assert per_writer == dict.fromkeys(writers, each)


def test_concurrent_transactions_in_threads(database_url: str) -> None:
    db = Database(database_url, pool_size=THREADS)
    upgrade(db.engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            write_records(db, name, EACH)
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    names = [f"thread-{n}" for n in range(THREADS)]
    threads = [threading.Thread(target=writer, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_one_linear_chain(db, names, EACH)
    db.dispose()


def process_writer(url: str, name: str, start: Any, count: int) -> None:
    """Runs in a fresh interpreter: its own engine, pool and connections."""
    db = Database(url)
    start.wait()
    write_records(db, name, count)
    db.dispose()


@pytest.mark.slow
def test_concurrent_transactions_in_processes(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    names = [f"process-{n}" for n in range(PROCESSES)]
    processes = [
        context.Process(target=process_writer, args=(database_url, name, start, EACH))
        for name in names
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join(timeout=120)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert_one_linear_chain(db, names, EACH)
    db.dispose()
