"""Engines, sessions and the column types every table shares.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: one writer at a time, so that
read-then-write sequences (the audit chain, job claims) cannot interleave.
PostgreSQL goes through psycopg 3 and uses row locks instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from fireline.core.sqlite_writers import WriterConnection, WriterQueue, writer_queue

SQLITE_BUSY_TIMEOUT_MS = 30_000
# An execution option: this transaction only reads (see Database.reading).
READ_ONLY = "fireline_read_only"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always tz-aware UTC on the way in and on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass a tz-aware value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}  # noqa: RUF012


def normalise_url(url: str) -> str:
    """Accept the plain ``postgresql://`` spelling and use psycopg 3 for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def json_text(value: Any) -> str:
    # orjson: JSON columns (alert labels, raw payloads) are written on the
    # ingest path, where the standard library's encoder was a fifth of the cost.
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson cannot write (integers beyond 64 bits), json can
        return json.dumps(value)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", json_text)
    if url.startswith("sqlite"):
        # The most recently used connection first: an SQLite connection keeps
        # its page cache only while no other connection has written since, so
        # handing out the one that wrote last (the ingest writer's, under
        # load) saves re-reading the pages it needs.
        kwargs.setdefault("pool_use_lifo", True)
        engine = create_engine(
            url,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
                "factory": WriterConnection,
            },
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Statement journals and sorts in memory: as files they were created
        # and deleted in /var/tmp by every multi-row insert.
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Copy the write-ahead log into the database every 80 MB rather than
        # SQLite's 4 MB: a batch of alerts writes about that much (index pages
        # of random dedup keys), so every ingest commit also checkpointed,
        # with its fsyncs, while holding the write lock. Fewer checkpoints
        # also copy a page changed many times over once. A server process
        # checkpoints in a thread of its own (fireline.core.sqlite_checkpoints)
        # well before that, so there this is only the backstop.
        cursor.execute("PRAGMA wal_autocheckpoint=20000")
        cursor.close()

    # Writers queue before BEGIN IMMEDIATE rather than in SQLite's busy
    # handler (see fireline.core.sqlite_writers).
    writers = writer_queue(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a WAL snapshot, alongside the writer
            return
        dbapi_connection: WriterConnection = connection.connection.dbapi_connection
        # After the busy timeout, go on without it: SQLite's own wait decides.
        if writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            dbapi_connection.hold(writers)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            dbapi_connection.let_go()
            raise
        # The connection lets the lock go when its COMMIT or ROLLBACK is done.


def _hold_what_is_loaded(sessions: sessionmaker[Session]) -> None:
    """Have these sessions keep a reference to every object they load or add.

    A session forgets an unmodified object as soon as nothing else refers to
    it, and loads it again (a SELECT) the next time it is asked for by key. A
    job's steps pass ids to each other (a page's step, its messages, their
    timeline entries), so without this they read the same rows over and over.
    Meant for short sessions, such as a job's, not for bulk loads."""

    def hold(session: Session, instance: object) -> None:
        session.info.setdefault("fireline.held", {})[id(instance)] = instance

    def let_go(session: Session, instance: object) -> None:
        session.info.get("fireline.held", {}).pop(id(instance), None)

    for became_persistent in ("pending_to_persistent", "loaded_as_persistent"):
        event.listen(sessions, became_persistent, hold)
    for left in ("persistent_to_detached", "persistent_to_deleted", "persistent_to_transient"):
        event.listen(sessions, left, let_go)


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        # SQLite: the queue every write transaction of this process takes first.
        self.writers: WriterQueue | None = (
            writer_queue(self.engine.url.database) if self.dialect == "sqlite" else None
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._holding_sessions = sessionmaker(self.engine, expire_on_commit=False)
        _hold_what_is_loaded(self._holding_sessions)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, hold: bool = False) -> Iterator[Session]:
        """A session whose uncommitted work is rolled back on exit.

        Closing (rather than rolling back) keeps loaded objects readable afterwards.
        ``hold=True`` keeps every object it loads or adds until it closes; see
        :func:`_hold_what_is_loaded`."""
        session = (self._holding_sessions if hold else self.sessions)()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only. On SQLite it does not queue behind the
        writer for the write lock as every other transaction does (so a hot
        read, like an ingestion key lookup, never waits for a commit)."""
        session = self.sessions(bind=self.engine.execution_options(**{READ_ONLY: True}))
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self.session() as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
