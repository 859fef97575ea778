"""Full-text search over incidents and timeline notes.

SQLite: an FTS5 table kept current by triggers. PostgreSQL: generated tsvector
columns with GIN indexes. Either way the index follows the rows by itself, so
every path that writes them (use cases, archive import) keeps search current.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    # source: 'incident' (title and summary) or 'note' (a timeline note); row_id is the source row.
    "CREATE VIRTUAL TABLE incident_search USING fts5("
    "body, incident_id UNINDEXED, source UNINDEXED, row_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER incident_search_ai AFTER INSERT ON incidents BEGIN "
    "INSERT INTO incident_search (body, incident_id, source, row_id) "
    "VALUES (new.title || ' ' || new.summary, new.id, 'incident', new.id); END",
    "CREATE TRIGGER incident_search_au AFTER UPDATE OF title, summary ON incidents BEGIN "
    "DELETE FROM incident_search WHERE source = 'incident' AND row_id = old.id; "
    "INSERT INTO incident_search (body, incident_id, source, row_id) "
    "VALUES (new.title || ' ' || new.summary, new.id, 'incident', new.id); END",
    "CREATE TRIGGER incident_search_ad AFTER DELETE ON incidents BEGIN "
    "DELETE FROM incident_search WHERE incident_id = old.id; END",
    "CREATE TRIGGER incident_search_note_ai AFTER INSERT ON timeline_events WHEN new.kind = 'note' BEGIN "
    "INSERT INTO incident_search (body, incident_id, source, row_id) "
    "VALUES (new.body, new.incident_id, 'note', new.id); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER incident_search_note_ai",
    "DROP TRIGGER incident_search_ad",
    "DROP TRIGGER incident_search_au",
    "DROP TRIGGER incident_search_ai",
    "DROP TABLE incident_search",
]
POSTGRES_UP = [
    "ALTER TABLE incidents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, ''))) STORED",
    "CREATE INDEX ix_incidents_search ON incidents USING gin (search_vector)",
    "ALTER TABLE timeline_events ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(body, ''))) STORED",
    "CREATE INDEX ix_timeline_events_search ON timeline_events USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX ix_timeline_events_search",
    "ALTER TABLE timeline_events DROP COLUMN search_vector",
    "DROP INDEX ix_incidents_search",
    "ALTER TABLE incidents DROP COLUMN search_vector",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN)
