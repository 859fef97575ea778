"""Alembic environment: runs against the connection fireline hands it."""

from alembic import context

from fireline.models import Base

# Search structures live only in migrations (FTS5 tables, generated tsvector
# columns); autogenerate must not offer to drop them.
SEARCH_ONLY = {"incident_search", "search_vector"}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (
        reflected
        and name is not None
        and (name in SEARCH_ONLY or name.startswith("incident_search"))
    )


config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
