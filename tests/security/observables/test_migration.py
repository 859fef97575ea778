"""The hand-written migration creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import fireline.models  # noqa: F401  (every table on the metadata)
from fireline.core.db import Base, Database

TABLES = {"incident_observables", "incident_techniques"}


def test_the_migration_matches_the_models(db: Database) -> None:
    def ours(item: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        table = getattr(item, "table", item) if kind != "table" else item
        return getattr(table, "name", name) in TABLES

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": ours, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    with db.engine.connect() as connection:
        names = set(connection.dialect.get_table_names(connection))
    assert names >= TABLES
