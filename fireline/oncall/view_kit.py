"""What every on-call page shares: rendering with the caller's permissions,
reading posted fields, and showing a failed form's error beside its field.

A failed form renders again with the input it was sent and the use case's
message; ``error_form`` says which form on the page the error belongs to,
``error_field`` which of its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fireline.core.deps import Principal
from fireline.core.errors import AppError, InvalidInput
from fireline.oncall import contacts
from fireline.oncall.wallclock import instant
from fireline.people.models import Role, Team, User
from fireline.people.service import find_user
from fireline.web.pages import PageError, page_require
from fireline.web.templating import render

page_responder = page_require(Role.responder)

MAX_INT = 2**31 - 1
LOCAL_FORMAT = "%a %d %b %H:%M"
_NUL = re.compile(r"\x00")


async def posted(request: Request) -> FormData:
    """The posted form (the page dependency already read it for its CSRF token;
    Starlette keeps it)."""
    return await request.form()


def page(
    request: Request,
    principal: Principal,
    now: datetime,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> Response:
    values = {
        "now": now,
        "can_respond": principal.can(Role.responder),
        "can_manage": principal.can(Role.manager),
        **context,
    }
    return render(request, template, values, principal=principal, status_code=status)


def see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def failed(
    exc: AppError,
    form: str,
    default: str | None = None,
    renamed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What a template needs to show ``exc`` beside its input in ``form``: the
    use case's field (or ``default`` when it names none), ``renamed`` to the
    name the input has on this form."""
    field = exc.field or default
    if field is not None and renamed:
        field = renamed.get(field, field)
    return {"error": exc.message, "error_field": field, "error_form": form}


def not_found(principal: Principal, exc: AppError) -> PageError:
    return PageError(404, "Not found", exc.message, principal)


def values_of(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The posted text of ``names``, to show the form again as it was sent."""
    return {name: text(form, name, 10_000, check=False) for name in names}


def text(form: FormData, name: str, limit: int, *, check: bool = True) -> str:
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if check and len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", field=name)
    if check and _NUL.search(value):
        # PostgreSQL refuses NUL in text; say so here rather than at commit.
        raise InvalidInput("must not contain NUL characters", field=name)
    return value


def whole_number(
    form: FormData,
    name: str,
    low: int = -MAX_INT,
    high: int = MAX_INT,
    default: int | None = None,
) -> int | None:
    """An optional whole number; without bounds, the use case says what is allowed."""
    value = text(form, name, 20)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput("expected a whole number", field=name) from None
    if not low <= number <= high:
        bounded = (low, high) != (-MAX_INT, MAX_INT)
        message = f"expected {low} to {high}" if bounded else "that number is too large"
        raise InvalidInput(message, field=name)
    return number


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_moment(form: FormData, name: str, zone: ZoneInfo) -> datetime | None:
    """A date and time typed as wall-clock time in ``zone`` (``datetime-local``),
    as the instant it stands for (DST gaps and folds as the schedules read them)."""
    value = text(form, name, 40)
    if not value:
        return None
    try:
        reading = datetime.fromisoformat(value)
        return reading if reading.tzinfo is not None else instant(reading, zone)
    except (ValueError, OverflowError):  # overflow: a year at the edge of the calendar
        raise InvalidInput("expected a date and time like 2026-03-02T14:30", field=name) from None


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    """The value of a ``datetime-local`` input showing ``moment`` in ``zone``."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(zone).strftime(f"{LOCAL_FORMAT} %Z")


def chosen_user(session: Session, form: FormData, name: str, *, required: bool = True) -> str:
    """The id of the person picked in ``name``, checked here so that a stale
    choice is reported on its field."""
    value = text(form, name, 320)
    if not value:
        if required:
            raise InvalidInput("choose a person", field=name)
        return ""
    return _user_id(session, value, name)


def chosen_users(session: Session, form: FormData, name: str) -> list[str]:
    """The ids of the people picked in the inputs called ``name``, in form order."""
    picked = [str(v).strip() for v in form.getlist(name) if isinstance(v, str)]
    for value in picked:
        if len(value) > 320 or _NUL.search(value):
            raise InvalidInput("choose people from the list", field=name)
    return [_user_id(session, value, name) for value in picked if value]


def _user_id(session: Session, value: str, field: str) -> str:
    try:
        return str(find_user(session, value).id)
    except AppError as exc:
        raise InvalidInput(exc.message, field=field) from None


def unreachable(session: Session, users: Iterable[User]) -> list[str]:
    """Why any of ``users`` could not be woken by a page, one line each, by name."""
    found = []
    for user in sorted(users, key=lambda u: u.name):
        problem = contacts.person_warning(session, user)
        if problem:
            found.append(problem)
    return found


def people(session: Session) -> list[User]:
    """Everyone who can be put on call, for the pickers."""
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))
