"""Shared fixtures: the database under test (SQLite, and PostgreSQL when
FIRELINE_TEST_POSTGRES_URL is set), a fixed clock, the app, and personas."""

from __future__ import annotations

import functools
import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from fireline.core.audit import Actor
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database, normalise_url
from fireline.core.jobs.worker import Worker
from fireline.core.migrate import upgrade
from fireline.core.secrets import hash_password
from fireline.people import service as people
from fireline.people.models import Role
from fireline.web.app import create_app

POSTGRES_ENV = "FIRELINE_TEST_POSTGRES_URL"
POSTGRES_HINT = (
    f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
    f"{POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/fireline_test (bash .ci/run sets it)"
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
PASSWORD = "correct horse battery"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def skip_unless_required(reason: str) -> None:
    """Skip a test whose peer is missing here; in CI (FIRELINE_TEST_REQUIRE_ALL=1) fail instead."""
    if os.environ.get("FIRELINE_TEST_REQUIRE_ALL"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def shared_dir(name: str) -> Path:
    """A folder of published specification data (the CACAO 2.0 schemas and
    examples) that the repository does not copy: FIRELINE_TEST_SHARED_DIR,
    or ``shared/`` beside the checkout, or beside the machine's main checkout."""
    candidates = [
        Path(os.environ.get("FIRELINE_TEST_SHARED_DIR", "")),
        Path(__file__).resolve().parents[1].parent / "shared",
        Path("/work/shared"),
    ]
    for base in candidates:
        if str(base) not in ("", ".") and (base / name).is_dir():
            return base / name
    skip_unless_required(f"{name} not found; set FIRELINE_TEST_SHARED_DIR to the folder holding it")
    raise AssertionError("unreachable")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own.

    Empty; but a SQLite file for a test that uses ``db`` is a copy of one
    migrated once for the whole run (migrating each took 0.15 s). PostgreSQL
    has no quick copy of a schema: a database copied from a template wrote
    the template's catalogs to the log each time, which took as long as
    migrating a schema (0.5 s)."""
    if request.param == "postgresql":
        yield from _postgres_schema()
        return
    path = tmp_path / "fireline.db"
    url = f"sqlite:///{path}"
    if "db" not in request.fixturenames:
        yield url
        return
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    _PREMIGRATED.add(url)
    try:
        yield url
    finally:
        _PREMIGRATED.discard(url)


# SQLite files copied from a migrated one, which `db` need not migrate.
_PREMIGRATED: set[str] = set()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fireline.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()  # the last connection's close checkpoints the log into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema, for tests that are only about PostgreSQL."""
    yield from _postgres_schema()


def _postgres_schema() -> Iterator[str]:
    base = postgres_base_url()
    if base is None:
        skip_unless_required(POSTGRES_HINT)
        raise AssertionError("unreachable")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{normalise_url(base)}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    if database_url not in _PREMIGRATED:
        upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, migrate_on_start=False, evidence_dir=tmp_path / "evidence"
    )


@pytest.fixture
def run_jobs(db: Database, clock: FixedClock, settings: Settings) -> Callable[[], int]:
    """Run every job due, and those they queue, until none is left; returns how many ran."""
    worker = Worker(db, clock, settings, rng=random.Random(1))

    def run() -> int:
        total = 0
        while (done := worker.run_once()) > 0:
            total += done
        return total

    return run


@pytest.fixture
def app(settings: Settings, db: Database, clock: FixedClock):  # type: ignore[no-untyped-def]
    return create_app(settings, database=db, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Persona:
    role: str
    user_id: int | None
    email: str | None
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@functools.cache
def persona_password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def personas(db: Database, clock: FixedClock) -> dict[str, Persona]:
    """admin, manager, responder and viewer users with API tokens, an outsider
    (a responder on no incident), and anonymous."""
    found: dict[str, Persona] = {"anonymous": Persona("anonymous", None, None, None)}
    with db.transaction() as session:
        for role in Role:
            email = f"{role.value}@example.com"
            user = people.create_user(
                session,
                actor=Actor.system("tests"),
                now=clock.now(),
                email=email,
                name=role.value.title(),
                role=role.value,
            )
            # One argon2 hash for the whole run keeps each test's setup fast.
            user.password_hash = persona_password_hash()
            token = people.create_token(
                session, actor=Actor.system("tests"), now=clock.now(), user=user, name="tests"
            )
            found[role.value] = Persona(role.value, user.id, email, token.secret)
        # A responder with no part in anything: restricted incidents must stay invisible to them.
        outsider = people.create_user(
            session,
            actor=Actor.system("tests"),
            now=clock.now(),
            email="outsider@example.com",
            name="Outsider",
            role=Role.responder.value,
        )
        outsider.password_hash = persona_password_hash()
        token = people.create_token(
            session, actor=Actor.system("tests"), now=clock.now(), user=outsider, name="tests"
        )
        found["outsider"] = Persona("responder", outsider.id, outsider.email, token.secret)
    return found


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a free 127.0.0.1 port, in a thread of this process."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
