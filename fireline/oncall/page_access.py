"""Where a page's subject lives, and who may see a page at all.

A page shares its subject's visibility: pages for a restricted incident are
shown only to those who may see the incident."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from fireline.alerts.models import GROUP_REF_PREFIX
from fireline.core.deps import Principal
from fireline.incidents.models import REF_PREFIX, Incident
from fireline.incidents.queries import visible_to
from fireline.oncall.models import Page

SUBJECT_PATHS = {
    "alert_group": f"/alerts/{GROUP_REF_PREFIX}{{id}}",
    "incident": f"/incidents/{REF_PREFIX}{{id}}",
}


def subject_path(page: Page) -> str | None:
    path = SUBJECT_PATHS.get(page.subject_type)
    return path.format(id=page.subject_id) if path else None


def visible_pages(principal: Principal) -> ColumnElement[bool]:
    visible_incidents = select(Incident.id).where(visible_to(principal))
    return or_(Page.subject_type != "incident", Page.subject_id.in_(visible_incidents))
