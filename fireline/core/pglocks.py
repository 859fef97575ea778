"""PostgreSQL advisory locks, each in its own schema's space.

An advisory lock belongs to the database, not to a schema: two fireline
installations sharing one database in different schemas would otherwise wait
for each other's locks, and one's stuck transaction would stall the other's
ingestion. So a lock here is the pair (what it guards, a hash of the schema
the session works in).

Every process must take a lock in this form: the same constant taken as one
64-bit key does not exclude it.
"""

from __future__ import annotations


def xact_lock(name: int) -> str:
    """The statement that takes lock ``name`` (a constant below 2**31) until
    the transaction ends."""
    if not 0 <= name < 2**31:
        raise ValueError(f"advisory lock names are 31-bit constants, not {name}")
    return f"SELECT pg_advisory_xact_lock({name}, hashtext(current_schema()))"
