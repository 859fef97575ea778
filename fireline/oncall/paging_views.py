"""The pages in flight and lately settled, each with the notifications it
sent, and the buttons that acknowledge, resolve or escalate what it is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import case, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import RowId, as_row_id
from fireline.oncall import paging
from fireline.oncall.models import Notification, Page
from fireline.oncall.page_access import subject_path, visible_pages
from fireline.oncall.view_kit import failed, not_found, page, page_responder, see
from fireline.people.models import User
from fireline.web.pages import page_viewer

router = APIRouter(prefix="/pages", include_in_schema=False)

SHOWN = 100
OPEN = ("active", "acknowledged")


def subject_href(row: Page) -> str | None:
    return subject_path(row)


def recent_pages(
    session: Session, principal: Principal, limit: int = SHOWN, *, open_only: bool = False
) -> list[Page]:
    """Active first, then acknowledged, then the rest; newest first within each."""
    rank = case((Page.status == "active", 0), (Page.status == "acknowledged", 1), else_=2)
    query = select(Page).where(visible_pages(principal)).order_by(rank, Page.id.desc()).limit(limit)
    if open_only:
        query = query.where(Page.status.in_(OPEN))
    return list(session.scalars(query))


def describe(rows: Sequence[Page]) -> list[dict[str, Any]]:
    """Per page: where its subject is and how far the escalation got."""
    described = []
    for row in rows:
        steps = len(row.policy.get("steps") or [])
        described.append(
            {
                "page": row,
                "href": subject_href(row),
                "policy": row.policy.get("name") or row.policy.get("slug") or "–",
                "step": f"step {row.step + 1} of {steps}"
                + (f", round {row.loop + 1}" if row.loop else ""),
            }
        )
    return described


def _pages_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = recent_pages(session, principal)
    notes: dict[int, list[Notification]] = {}
    if rows:
        for note in session.scalars(
            select(Notification)
            .where(Notification.page_id.in_([r.id for r in rows]))
            .order_by(Notification.id)
        ):
            notes.setdefault(note.page_id or 0, []).append(note)
    ids = {n.user_id for found in notes.values() for n in found}
    ids |= {r.acknowledged_by_id for r in rows if r.acknowledged_by_id}
    users = (
        {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    )
    context = {
        "title": "Pages",
        "pages": describe(rows),
        "notifications": notes,
        "users": users,
        "people": session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.name)
        ).all(),
        **extra,
    }
    return page(request, principal, now, "oncall/pages.html", context, status=status)


@router.get("")
def page_list(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _pages_page(request, principal, session, now)


@router.post("/{page_id}/reassign")
async def reassign_page(
    request: Request,
    page_id: RowId,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """Hand the page to other people: they are paged now, and at every later
    step instead of the policy's."""
    row = session.scalar(select(Page).where(Page.id == page_id, visible_pages(principal)))
    if row is None:
        raise not_found(principal, NotFound(f"no page {page_id}"))
    chosen = [as_row_id(str(v)) for v in (await request.form()).getlist("users")][:20]
    try:
        people = [session.get(User, i) for i in chosen if i is not None]
        found = [u for u in people if u is not None and u.is_active]
        if not found or len(found) != len(chosen):
            raise InvalidInput("choose one or more people", field="users")
        paging.reassign(session, row, found, principal, now)
    except AppError as exc:
        session.rollback()
        return _pages_page(
            request, principal, session, now, status=exc.status, **failed(exc, f"page-{page_id}")
        )
    session.commit()
    return see(f"/oncall/pages#page-{page_id}")


@router.post("/{page_id}/{action}")
def act_on_page(
    request: Request,
    page_id: RowId,
    action: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = session.scalar(select(Page).where(Page.id == page_id, visible_pages(principal)))
    if row is None:
        raise not_found(principal, NotFound(f"no page {page_id}"))
    try:
        paging.act(session, row, action, principal, now)
    except AppError as exc:
        session.rollback()
        return _pages_page(
            request, principal, session, now, status=exc.status, **failed(exc, f"page-{page_id}")
        )
    session.commit()
    return see(f"/oncall/pages#page-{page_id}")
