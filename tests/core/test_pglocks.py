"""Advisory locks are per schema: installations sharing a PostgreSQL database
in different schemas never wait for each other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, exc, text

from fireline.alerts.pipeline import ALERTS_LOCK
from fireline.core.pglocks import xact_lock
from tests.conftest import _postgres_schema


@pytest.fixture
def other_schema_url() -> Iterator[str]:
    yield from _postgres_schema()


@contextmanager
def lock_held(url: str) -> Iterator[None]:
    """The alerts' lock, held by a transaction of another connection."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(xact_lock(ALERTS_LOCK)))
            yield
    finally:
        engine.dispose()


def takes_the_lock_at_once(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '500ms'"))
            connection.execute(text(xact_lock(ALERTS_LOCK)))
        return True
    except exc.OperationalError as error:
        assert "lock timeout" in str(error)
        return False
    finally:
        engine.dispose()


def test_a_lock_excludes_its_own_schema_and_no_other(
    postgres_url: str, other_schema_url: str
) -> None:
    with lock_held(postgres_url):
        assert not takes_the_lock_at_once(postgres_url)
        assert takes_the_lock_at_once(other_schema_url)
    assert takes_the_lock_at_once(postgres_url)  # released with its transaction


def test_lock_names_fit_the_pair_form() -> None:
    assert xact_lock(ALERTS_LOCK).startswith(f"SELECT pg_advisory_xact_lock({ALERTS_LOCK}, ")
    with pytest.raises(ValueError, match="31-bit"):
        xact_lock(2**31)
