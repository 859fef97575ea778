"""What the status page's use cases share: public ids, checked text and
choices, and the audit record of a change."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput


def new_code() -> str:
    """An opaque public id, as Statuspage's ids look (12 lowercase characters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def checked_text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if "\x00" in text:  # PostgreSQL cannot store it, and no one means it
        raise InvalidInput("NUL characters cannot be stored", field=field)
    if required and not text:
        raise InvalidInput(f"{field} is required", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"at most {max_length} characters", field=field)
    return text


def one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"expected one of {', '.join(allowed)}", field=field)
    return value


def record_change(
    session: Session,
    principal: Principal | None,
    now: datetime,
    action: str,
    obj: Any,
    **changes: Any,
) -> None:
    audit.record(
        session,
        actor=principal.actor if principal else audit.Actor.system(),
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes=changes,
        now=now,
    )
