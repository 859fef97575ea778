"""Alert pages: the live list of alert groups and each group, with the pages
of integrations, routing rules, silences and maintenance windows
(``integration_views``, ``rule_views``, ``quiet_views``) and change events.

Pages read and write through the same service and query functions as the
JSON API in ``fireline.alerts.api``; a failed form renders again with its
input and the message beside the field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fireline.alerts import changes as change_events
from fireline.alerts import integration_views, queries, quiet_views, rule_views, service
from fireline.alerts import view_kit as kit
from fireline.alerts.matchers import Matcher
from fireline.alerts.models import Alert, AlertGroup
from fireline.catalog.service import find_service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import MAX_ID
from fireline.web.pages import page_viewer

router = APIRouter(prefix="/alerts", include_in_schema=False)
# Before this module's own routes: /alerts/{ref} takes any name under /alerts.
router.include_router(integration_views.router)
router.include_router(rule_views.router)
router.include_router(quiet_views.router)

PAGE_SIZE = 50
GROUP_STATUSES = ("open", *queries.STATUSES, "all")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


# --- alert groups: the live list ------------------------------------------------------


def _groups_context(
    session: Session, status: str, service_slug: str, before: int | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    try:
        flt = queries.GroupFilter(
            status=None if status == "all" else (status or None),
            service=service_slug or None,
            limit=PAGE_SIZE,
            before_id=before,
        )
    except InvalidInput as exc:
        extra = kit.failed(exc, "filter", "status")
        status = "open"
        flt = queries.GroupFilter(status="open", service=service_slug or None, limit=PAGE_SIZE)
    groups = queries.list_groups(session, flt)
    return {
        "groups": groups,
        "filters": {"status": status, "service": service_slug},
        "before": before,
        "older": groups[-1].id if len(groups) == PAGE_SIZE else None,
        **extra,
    }


@router.get("")
def group_list(
    request: Request,
    status: str = Query(default="open", max_length=32),
    service_slug: str = Query(default="", alias="service", max_length=64),
    before: int | None = Query(default=None, ge=1, le=MAX_ID),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    context = _groups_context(session, status, service_slug, before)
    context.update(title="Alerts", services=kit.all_services(session), statuses=GROUP_STATUSES)
    return kit.page(request, principal, now, "alerts/list.html", context)


@router.get("/groups")
def group_rows(
    request: Request,
    status: str = Query(default="open", max_length=32),
    service_slug: str = Query(default="", alias="service", max_length=64),
    before: int | None = Query(default=None, ge=1, le=MAX_ID),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The list alone, polled by htmx so new alerts show up without a reload."""
    context = _groups_context(session, status, service_slug, before)
    return kit.page(request, principal, now, "alerts/_groups.html", context)


# --- change events ----------------------------------------------------------------------


@router.get("/changes")
def changes(
    request: Request,
    service_slug: str = Query(default="", alias="service", max_length=64),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    extra: dict[str, Any] = {}
    ids: list[int] | None = None
    if service_slug:
        try:
            ids = [find_service(session, service_slug).id]
        except NotFound as exc:
            extra = kit.failed(exc, "filter", "service")
            ids = []
    rows = change_events.list_changes(session, service_ids=ids, limit=200)
    context = {
        "title": "Changes",
        "changes": rows,
        "services": kit.all_services(session),
        "filters": {"service": service_slug},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/changes.html", context)


# --- one alert group (last: its path takes any name under /alerts) -------------------------


def common_labels(alerts: Sequence[Alert]) -> dict[str, str]:
    """The labels every alert of the group shares, with the same value."""
    if not alerts:
        return {}
    shared = {str(k): str(v) for k, v in alerts[0].labels.items()}
    for alert in alerts[1:]:
        shared = {k: v for k, v in shared.items() if str(alert.labels.get(k)) == v}
    return shared


def silence_matchers(group: AlertGroup, alerts: Sequence[Alert]) -> str:
    """Matchers for "silence similar": the service, then the labels in common."""
    labels = {k: v for k, v in common_labels(alerts).items() if LABEL_NAME.match(k)}
    service_label = labels.pop("service", group.service.slug)
    found = [Matcher.make("service", "=", service_label)]
    found += [Matcher.make(name, "=", value) for name, value in sorted(labels.items())]
    return ", ".join(str(m) for m in found)


def _group(session: Session, principal: Principal, ref: str) -> AlertGroup:
    try:
        return service.find_group(session, ref)
    except NotFound as exc:
        raise kit.not_found(principal, exc) from None


def _group_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    group: AlertGroup,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    alerts = queries.group_alerts(session, group.id)
    context = {
        "title": f"{group.ref} {group.title}",
        "group": group,
        "alerts": alerts,
        "events": queries.group_events(session, group.id),
        "changes": change_events.recent_changes(session, [group.service_id], group.created_at),
        "durations": quiet_views.SILENCE_DURATIONS,
        "silence_form": {"matchers": silence_matchers(group, alerts), "duration": "1h"},
        **extra,
    }
    return kit.page(request, principal, now, "alerts/group.html", context, status=status)


@router.get("/{ref}")
def group_page(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _group_page(request, principal, session, now, _group(session, principal, ref))


@router.get("/{ref}/timeline")
def group_timeline(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The group's timeline alone, polled by htmx."""
    group = _group(session, principal, ref)
    context = {"group": group, "events": queries.group_events(session, group.id)}
    return kit.page(request, principal, now, "alerts/_group_timeline.html", context)


@router.post("/{ref}/silence")
def silence_group(
    request: Request,
    ref: str,
    form: dict[str, str] = Depends(kit.form_fields),
    principal: Principal = Depends(kit.page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """A silence made from the group's page ("silence similar")."""
    group = _group(session, principal, ref)
    try:
        quiet_views.add_silence(session, principal, now, form, ends_in_field="duration")
    except AppError as exc:
        session.rollback()
        group = _group(session, principal, ref)
        return _group_page(
            request,
            principal,
            session,
            now,
            group,
            status=exc.status,
            silence_form=form,
            **kit.failed(exc, "silence"),
        )
    session.commit()
    return kit.see("/alerts/silences")


def _group_action(what: str) -> Any:
    def endpoint(
        request: Request,
        ref: str,
        form: dict[str, str] = Depends(kit.form_fields),
        principal: Principal = Depends(kit.page_responder),
        session: Session = Depends(get_session),
        now: datetime = Depends(get_now),
    ) -> Response:
        group = _group(session, principal, ref)
        try:
            note = kit.field_text(form, "note", 2000)
            if what == "acknowledge":
                service.acknowledge(session, principal, now, group)
            elif what == "resolve":
                service.resolve(session, principal, now, group, note)
            else:
                service.escalate(session, principal, now, group, note)
        except AppError as exc:
            session.rollback()
            group = _group(session, principal, ref)
            return _group_page(
                request, principal, session, now, group, status=exc.status, **kit.failed(exc, what)
            )
        session.commit()
        return kit.see(f"/alerts/{group.ref}")

    endpoint.__name__ = f"{what}_group_page"
    return endpoint


for _what in ("acknowledge", "resolve", "escalate"):
    router.add_api_route(f"/{{ref}}/{_what}", _group_action(_what), methods=["POST"])
