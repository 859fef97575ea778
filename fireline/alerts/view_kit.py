"""What every alert page shares: rendering with the caller's permissions,
reading posted fields, and showing a failed form's error beside its field.

A failed form renders again with its input and the use case's message;
``failed`` says which form on the page the error belongs to and which of its
inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.alerts.matchers import Matcher, MatcherError
from fireline.catalog.models import Service
from fireline.core.deps import Principal
from fireline.core.errors import AppError, InvalidInput
from fireline.people.models import Role
from fireline.web.pages import PageError, page_require
from fireline.web.templating import render

page_responder = page_require(Role.responder)

DURATION = re.compile(r"^(\d{1,5})\s*([mhdw])$")
DURATION_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_INT = 2**31 - 1


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields, trimmed (the page dependency already read
    the form for its CSRF token; Starlette keeps it)."""
    form = await request.form()
    return {key: value.strip() if isinstance(value, str) else "" for key, value in form.items()}


def see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def zone_of(principal: Principal) -> ZoneInfo:
    try:
        return ZoneInfo(principal.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, in the largest unit or two: ``45s``, ``12m``, ``3h 5m``, ``2d 4h``."""
    if moment is None:
        return "–"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def safe_href(value: Any) -> str | None:
    """Links come from monitoring payloads: only http(s) ones become links."""
    if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
        return value
    return None


def matchers_text(stored: Sequence[Any]) -> str:
    try:
        return ", ".join(str(Matcher.from_dict(m)) for m in stored)
    except (MatcherError, KeyError, TypeError):
        return json.dumps(list(stored))


def page(
    request: Request,
    principal: Principal,
    now: datetime,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    page = {
        "now": now,
        "ago": ago,
        "pretty": pretty,
        "safe_href": safe_href,
        "can_respond": principal.can(Role.responder),
        "can_manage": principal.can(Role.manager),
        **context,
    }
    return render(request, template, page, principal=principal, status_code=status)


def failed(exc: AppError, form: str, default_field: str | None = None) -> dict[str, Any]:
    """What a template needs to show ``exc`` beside its field in ``form``."""
    return {"error": exc.message, "error_field": exc.field or default_field, "error_form": form}


def field_text(form: dict[str, str], name: str, limit: int) -> str:
    value = form.get(name, "")
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", field=name)
    return value


def field_number(form: dict[str, str], name: str) -> int | None:
    value = form.get(name, "")
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput("expected a whole number", field=name) from None
    if abs(number) > MAX_INT:
        raise InvalidInput("that number is too large", field=name)
    return number


def duration(text: str, field: str) -> timedelta:
    found = DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise InvalidInput("expected a duration like 30m, 4h, 2d or 1w", field=field)
    return timedelta(seconds=int(found.group(1)) * DURATION_SECONDS[found.group(2)])


def typed_moment(text: str, principal: Principal, field: str) -> datetime | None:
    """A date and time typed in the viewer's zone (``datetime-local``), as UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("expected a date and time like 2026-03-02 14:30", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(principal))
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 east of UTC is in the year 0
        raise InvalidInput("expected a date between the years 1 and 9999", field=field) from None


def all_services(session: Session) -> Sequence[Service]:
    return session.scalars(select(Service).order_by(Service.name)).all()


def not_found(principal: Principal, exc: AppError) -> PageError:
    return PageError(404, "Not found", exc.message, principal)
