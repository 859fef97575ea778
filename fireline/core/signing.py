"""The instance's signing key, for links that act without a login (a page's
one-click acknowledge). FIRELINE_SECRET_KEY when set; otherwise a random key
made once and kept in the database, so every process of one installation
signs and checks with the same key."""

from __future__ import annotations

import secrets

from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from fireline.core.config import Settings
from fireline.core.db import Base

LINK_KEY = "links"
# Keys already stored, by database and name: they never change once written,
# and a page's messages need one each.
_stored: dict[tuple[str, str], bytes] = {}


class InstanceKey(Base):
    __tablename__ = "instance_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


def signing_key(session: Session, settings: Settings, name: str = LINK_KEY) -> bytes:
    configured = settings.secret_key.get_secret_value()
    if configured:
        return f"{name}:{configured}".encode()
    bind = session.get_bind()
    where = (bind.engine.url.render_as_string(hide_password=True), name)
    if where in _stored:
        return _stored[where]
    found = session.scalar(select(InstanceKey.value).where(InstanceKey.name == name))
    if found is not None:
        # Only a key that was there before this transaction is kept: one made
        # here is not the key until the transaction commits.
        _stored[where] = found.encode()
        return _stored[where]
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    # Two processes making the key at once keep the first one written.
    session.execute(
        insert(InstanceKey)
        .values(name=name, value=secrets.token_hex(32))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return session.scalars(select(InstanceKey.value).where(InstanceKey.name == name)).one().encode()
