"""Concurrent writers on PostgreSQL never fork the chain."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from fireline.core import audit
from fireline.core.audit import Actor, AuditEvent
from fireline.core.clock import SystemClock
from fireline.core.db import Database
from fireline.core.migrate import upgrade

THREADS, EACH = 8, 50


def test_concurrent_transactions_make_one_linear_chain(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=THREADS)
    upgrade(db.engine)
    clock = SystemClock()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with db.transaction() as session:
                    audit.record(
                        session,
                        actor=Actor.system(f"writer {n}"),
                        action="bench.write",
                        object_type="writer",
                        object_id=n,
                        changes={"i": i},
                        now=clock.now(),
                    )
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        result = audit.verify(session)
        assert result.ok, result.reason
        assert result.checked == THREADS * EACH
        distinct_parents = session.scalar(select(func.count(func.distinct(AuditEvent.prev_hash))))
        assert distinct_parents == THREADS * EACH
    db.dispose()
