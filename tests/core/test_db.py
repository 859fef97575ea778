"""The database layer: SQLite settings, UTC timestamps on both databases, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from fireline.core.audit import Actor
from fireline.core.clock import FixedClock, SystemClock
from fireline.core.db import Database, normalise_url
from fireline.people import service
from fireline.people.models import User


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000


def test_timestamps_come_back_tz_aware_utc(db: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    with db.transaction() as session:
        user = service.create_user(
            session,
            actor=Actor.system(),
            now=datetime(2026, 1, 5, 10, 30, 15, 123456, tzinfo=berlin),
            email="tz@example.com",
            name="TZ",
        )
        user_id = user.id
    with db.session() as session:
        loaded = session.get(User, user_id)
        assert loaded is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at == datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def test_naive_timestamps_are_refused(db: Database) -> None:
    with db.session() as session, pytest.raises(StatementError, match="naive datetime"):
        service.create_user(
            session, actor=Actor.system(), now=datetime(2026, 1, 5), email="n@example.com", name="N"
        )


def test_foreign_keys_are_enforced(db: Database) -> None:
    with db.session() as session, pytest.raises(Exception, match=r"(?i)foreign key"):
        session.execute(
            text(
                "INSERT INTO team_memberships (team_id, user_id, is_lead) VALUES (999, 999, false)"
            )
        )
        session.flush()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_clocks() -> None:
    assert SystemClock().now().tzinfo is UTC
    clock = FixedClock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert clock.advance(hours=2) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
