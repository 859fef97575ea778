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


class InstanceKey(Base):
    __tablename__ = "instance_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


def signing_key(session: Session, settings: Settings, name: str = LINK_KEY) -> bytes:
    configured = settings.secret_key.get_secret_value()
    if configured:
        return f"{name}:{configured}".encode()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two processes making the key at once keep the first one written.
    session.execute(
        insert(InstanceKey)
        .values(name=name, value=secrets.token_hex(32))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return session.scalars(select(InstanceKey.value).where(InstanceKey.name == name)).one().encode()
