"""The hand-written migration makes exactly the tables the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import fireline.models  # noqa: F401  (every table on the metadata)
from fireline.core.db import Base, Database

TABLES = {
    "incident_obligations",
    "obligation_moments",
    "obligation_documents",
    "obligation_submissions",
}


def _table_of(difference: Any) -> str | None:
    # A difference is a tuple (kind, object, ...) or a list of column changes.
    if isinstance(difference, list):
        return _table_of(difference[0])
    for item in difference[1:]:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(item, str) and item in TABLES:
            return item
        if name in TABLES:
            return str(name)
    return None


def test_the_migration_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            d for d in compare_metadata(context, Base.metadata) if _table_of(d) in TABLES
        ]
    assert differences == []
