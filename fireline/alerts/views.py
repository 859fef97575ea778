"""Alert pages: the live list of alert groups and each group, integrations
(with the shown-once key and the generic mapping editor), routing rules,
silences, maintenance windows and change events.

Pages read and write through the same service and query functions as the
JSON API in ``fireline.alerts.api``; a failed form renders again with its
input and the message beside the field it is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from starlette.responses import Response

from fireline.alerts import changes as change_events
from fireline.alerts import queries, routing, service
from fireline.alerts.api import base_url_of
from fireline.alerts.matchers import Matcher, MatcherError
from fireline.alerts.models import (
    Alert,
    AlertGroup,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from fireline.alerts.snippets import ingestion_url, setup_snippet
from fireline.alerts.sources import generic
from fireline.catalog.models import Service
from fireline.catalog.service import find_service
from fireline.core.deps import Principal, get_now, get_session
from fireline.core.errors import AppError, InvalidInput, NotFound
from fireline.core.ids import MAX_ID, RowId
from fireline.incidents.api import get_plan
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.web.pages import PageError, page_manager, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/alerts", include_in_schema=False)
page_responder = page_require(Role.responder)

PAGE_SIZE = 50
GROUP_STATUSES = ("open", *queries.STATUSES, "all")
SILENCE_DURATIONS = ("1h", "4h", "24h")
DURATION = re.compile(r"^(\d{1,5})\s*([mhdw])$")
DURATION_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
MAX_INT = 2**31 - 1
MAX_PAYLOAD = 256 * 1024


# --- helpers shared by the pages ---------------------------------------------------


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields, trimmed (the page dependency already read
    the form for its CSRF token; Starlette keeps it)."""
    form = await request.form()
    return {key: value.strip() if isinstance(value, str) else "" for key, value in form.items()}


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _zone(principal: Principal) -> ZoneInfo:
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


def _page(
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


def _failed(exc: AppError, form: str, default_field: str | None = None) -> dict[str, Any]:
    """What a template needs to show ``exc`` beside its field in ``form``."""
    return {"error": exc.message, "error_field": exc.field or default_field, "error_form": form}


def _text(form: dict[str, str], name: str, limit: int) -> str:
    value = form.get(name, "")
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", field=name)
    return value


def _number(form: dict[str, str], name: str) -> int | None:
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


def _duration(text: str, field: str) -> timedelta:
    found = DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise InvalidInput("expected a duration like 30m, 4h, 2d or 1w", field=field)
    return timedelta(seconds=int(found.group(1)) * DURATION_SECONDS[found.group(2)])


def _moment(text: str, principal: Principal, field: str) -> datetime | None:
    """A date and time typed in the viewer's zone (``datetime-local``), as UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("expected a date and time like 2026-03-02 14:30", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(principal))
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 east of UTC is in the year 0
        raise InvalidInput("expected a date between the years 1 and 9999", field=field) from None


def _local_input(moment: datetime | None, principal: Principal) -> str:
    """The value of a ``datetime-local`` input showing ``moment`` in the viewer's zone."""
    return moment.astimezone(_zone(principal)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _services(session: Session) -> Sequence[Service]:
    return session.scalars(select(Service).order_by(Service.name)).all()


def _not_found(principal: Principal, exc: AppError) -> PageError:
    return PageError(404, "Not found", exc.message, principal)


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
        extra = _failed(exc, "filter", "status")
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
    context.update(title="Alerts", services=_services(session), statuses=GROUP_STATUSES)
    return _page(request, principal, now, "alerts/list.html", context)


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
    return _page(request, principal, now, "alerts/_groups.html", context)


# --- integrations ---------------------------------------------------------------------


def _integrations_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(Integration)
        .options(joinedload(Integration.service))
        .join(Service, Service.id == Integration.service_id)
        .order_by(Service.name, Integration.id)
    ).all()
    context = {
        "title": "Integrations",
        "integrations": rows,
        "services": _services(session),
        "kinds": service.KINDS,
        "form": {"kind": "alertmanager"},
        **extra,
    }
    return _page(request, principal, now, "alerts/integrations.html", context, status=status)


@router.get("/integrations")
def integrations(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _integrations_page(request, principal, session, now)


def _shown_once(request: Request, row: Integration, key: str) -> dict[str, Any]:
    base = base_url_of(request)
    return {
        "integration": row,
        "key": key,
        "url": ingestion_url(base, row.kind, key),
        "snippet": setup_snippet(base, row.kind, key),
    }


@router.post("/integrations")
def create_integration(
    request: Request,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    values = {
        key: form.get(key, "")
        for key in (
            "service",
            "kind",
            "name",
            "group_by",
            "heartbeat_period_seconds",
            "heartbeat_grace_seconds",
        )
    }
    try:
        if not values["service"]:
            raise InvalidInput("choose a service", field="service")
        # The heartbeat fields are ignored for other kinds, as the form says.
        heartbeat = values["kind"] == "heartbeat"
        period = _number(form, "heartbeat_period_seconds") if heartbeat else None
        grace = _number(form, "heartbeat_grace_seconds") if heartbeat else None
        spec = service.IntegrationSpec(
            service=values["service"],
            kind=values["kind"],
            name=_text(form, "name", 200),
            group_by=_text(form, "group_by", 4000).split(","),
            heartbeat_period_seconds=period,
            heartbeat_grace_seconds=grace,
        )
        row, key = service.create_integration(session, actor=principal.actor, now=now, spec=spec)
    except AppError as exc:
        session.rollback()
        return _integrations_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=values,
            **_failed(exc, "integration", "service"),
        )
    session.commit()
    # The key is in this one response only: it is stored as a hash.
    return _integrations_page(
        request, principal, session, now, created=_shown_once(request, row, key)
    )


def _integration(session: Session, principal: Principal, integration_id: str) -> Integration:
    try:
        return service.find_integration(session, integration_id)
    except NotFound as exc:
        raise _not_found(principal, exc) from None


def _mapping_form(mapping: dict[str, Any]) -> dict[str, str]:
    values = {name: str(mapping.get(name) or "") for name in generic.EXPRESSIONS}
    for name in generic.LISTS:
        if isinstance(mapping.get(name), list):
            values[name] = ", ".join(str(v) for v in mapping[name])
    return values


def _mapping_from(form: dict[str, str]) -> dict[str, Any]:
    """The mapping the editor describes: blank fields keep the defaults."""
    mapping: dict[str, Any] = {}
    for name in generic.EXPRESSIONS:
        value = _text(form, f"mapping.{name}", 2000)
        if value:
            mapping[name] = value
    for name in generic.LISTS:
        value = _text(form, f"mapping.{name}", 2000)
        if value:
            mapping[name] = [v.strip() for v in value.split(",") if v.strip()]
    return mapping


def _integration_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    row: Integration,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    heartbeat = session.scalar(select(Heartbeat).where(Heartbeat.integration_id == row.id))
    context = {
        "title": f"Integration {row.name}",
        "integration": row,
        "heartbeat": heartbeat,
        "url": ingestion_url(base_url_of(request), row.kind, "<key>"),
        "mapping": _mapping_form(dict(row.mapping or {})),
        "defaults": generic.DEFAULTS,
        "expressions": generic.EXPRESSIONS,
        "lists": generic.LISTS,
        "mapping_fields": [f"mapping.{name}" for name in (*generic.EXPRESSIONS, *generic.LISTS)],
        "payload": "",
        **extra,
    }
    return _page(request, principal, now, "alerts/integration.html", context, status=status)


@router.get("/integrations/{integration_id}")
def integration_page(
    request: Request,
    integration_id: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    return _integration_page(request, principal, session, now, row)


@router.post("/integrations/{integration_id}/rotate")
def rotate_key(
    request: Request,
    integration_id: str,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    try:
        key = service.rotate_key(session, actor=principal.actor, now=now, integration=row)
    except AppError as exc:
        session.rollback()
        row = _integration(session, principal, integration_id)
        return _integration_page(
            request, principal, session, now, row, status=exc.status, **_failed(exc, "key")
        )
    session.commit()
    return _integration_page(
        request, principal, session, now, row, created=_shown_once(request, row, key)
    )


@router.post("/integrations/{integration_id}/revoke")
def revoke_integration(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    if form.get("confirm") != "yes":
        exc = InvalidInput("tick the box to confirm: senders using this key will be refused")
        return _integration_page(
            request, principal, session, now, row, status=422, **_failed(exc, "revoke", "confirm")
        )
    service.revoke(session, actor=principal.actor, now=now, integration=row)
    session.commit()
    return _see(f"/alerts/integrations/{row.id}")


@router.post("/integrations/{integration_id}/mapping")
def save_mapping(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    row = _integration(session, principal, integration_id)
    try:
        service.update_integration(
            session,
            actor=principal.actor,
            now=now,
            integration=row,
            changes={"mapping": _mapping_from(form)},
        )
    except AppError as exc:
        session.rollback()
        row = _integration(session, principal, integration_id)
        return _integration_page(
            request,
            principal,
            session,
            now,
            row,
            status=exc.status,
            mapping={k[len("mapping.") :]: v for k, v in form.items() if k.startswith("mapping.")},
            payload=form.get("payload", ""),
            **_failed(exc, "mapping", "mapping"),
        )
    session.commit()
    return _see(f"/alerts/integrations/{row.id}?saved=1")


def try_it(form: dict[str, str], now: datetime) -> dict[str, Any]:
    """What the editor's mapping makes of the pasted payload, or what is wrong."""
    text = form.get("payload", "")
    if not text:
        return {"ok": False, "error": "paste a sample payload first", "field": "payload"}
    if len(text) > MAX_PAYLOAD:
        return {"ok": False, "error": f"at most {MAX_PAYLOAD} characters", "field": "payload"}
    try:
        body = json.loads(text)
    except ValueError as exc:
        return {"ok": False, "error": f"not valid JSON: {exc}", "field": "payload"}
    try:
        mapping = _mapping_from(form)
    except AppError as exc:
        return {"ok": False, "error": exc.message, "field": exc.field}
    return generic.try_mapping(body, mapping, now)


@router.post("/integrations/{integration_id}/try")
def try_mapping(
    request: Request,
    integration_id: str,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """The "try it" box: a partial for htmx, the whole page without JavaScript."""
    row = _integration(session, principal, integration_id)
    result = try_it(form, now)
    if request.headers.get("hx-request"):
        return _page(request, principal, now, "alerts/_try.html", {"result": result})
    return _integration_page(
        request,
        principal,
        session,
        now,
        row,
        result=result,
        mapping={k[len("mapping.") :]: v for k, v in form.items() if k.startswith("mapping.")},
        payload=form.get("payload", ""),
    )


# --- routing rules --------------------------------------------------------------------


def _rules_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    plan: Plan,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rules = session.scalars(
        select(RoutingRule)
        .options(joinedload(RoutingRule.service))
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    integrations = session.scalars(
        select(Integration)
        .options(joinedload(Integration.service))
        .where(Integration.revoked_at.is_(None))
        .order_by(Integration.id)
    ).all()
    context = {
        "title": "Routing rules",
        "rules": [(rule, matchers_text(rule.matchers)) for rule in rules],
        "services": _services(session),
        "integrations": integrations,
        "plan": plan,
        "form": {"incident_action": "none"},
        **extra,
    }
    return _page(request, principal, now, "alerts/rules.html", context, status=status)


@router.get("/rules")
def rules(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    return _rules_page(request, principal, session, now, plan)


RULE_FIELDS = (
    "name",
    "matchers",
    "integration",
    "service",
    "urgency",
    "escalation_policy",
    "incident_action",
    "incident_severity",
    "incident_type",
    "position",
)


@router.post("/rules")
def create_rule(
    request: Request,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
    plan: Plan = Depends(get_plan),
) -> Response:
    values = {key: form.get(key, "") for key in RULE_FIELDS}
    try:
        spec = service.RuleSpec(
            name=_text(form, "name", 200),
            matchers=_text(form, "matchers", 4000),
            integration=_number(form, "integration"),
            service=values["service"] or None,
            urgency=values["urgency"] or None,
            escalation_policy=_text(form, "escalation_policy", 200) or None,
            incident_action=values["incident_action"] or "none",
            incident_severity=values["incident_severity"] or None,
            incident_type=values["incident_type"] or None,
            position=_number(form, "position"),
        )
        service.create_rule(session, actor=principal.actor, now=now, spec=spec, plan=plan)
    except AppError as exc:
        session.rollback()
        default = "integration" if "integration" in exc.message else "service"
        return _rules_page(
            request,
            principal,
            session,
            now,
            plan,
            status=exc.status,
            form=values,
            **_failed(exc, "rule", default),
        )
    session.commit()
    return _see("/alerts/rules")


@router.post("/rules/{rule_id}/delete")
def delete_rule(
    rule_id: RowId,
    principal: Principal = Depends(page_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        service.delete_rule(session, actor=principal.actor, now=now, rule_id=rule_id)
    except NotFound as exc:
        raise _not_found(principal, exc) from None
    session.commit()
    return _see("/alerts/rules")


# --- silences -------------------------------------------------------------------------


def _silences_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(Silence)
        .options(joinedload(Silence.created_by))
        .where(Silence.expired_at.is_(None), Silence.ends_at > now)
        .order_by(Silence.starts_at, Silence.id)
        .limit(500)
    ).all()
    context = {
        "title": "Silences",
        "silences": [
            (row, matchers_text(row.matchers), service.silence_state(row, now)) for row in rows
        ],
        "durations": SILENCE_DURATIONS,
        "form": {"ends_in": "1h"},
        **extra,
    }
    return _page(request, principal, now, "alerts/silences.html", context, status=status)


@router.get("/silences")
def silences(
    request: Request,
    matchers: str = Query(default="", max_length=4000),
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _silences_page(
        request, principal, session, now, form={"ends_in": "1h", "matchers": matchers}
    )


def _add_silence(
    session: Session,
    principal: Principal,
    now: datetime,
    form: dict[str, str],
    *,
    ends_in_field: str,
) -> Silence:
    starts_at = _moment(form.get("starts_at", ""), principal, "starts_at")
    ends_at = _moment(form.get("ends_at", ""), principal, "ends_at")
    if ends_at is None:
        if not form.get(ends_in_field):
            raise InvalidInput("say how long it lasts, or when it ends", field=ends_in_field)
        ends_at = (starts_at or now) + _duration(form[ends_in_field], ends_in_field)
    return service.add_silence(
        session,
        principal=principal,
        now=now,
        matchers=_text(form, "matchers", 4000),
        ends_at=ends_at,
        starts_at=starts_at,
        comment=_text(form, "comment", 2000),
    )


@router.post("/silences")
def create_silence(
    request: Request,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        _add_silence(session, principal, now, form, ends_in_field="ends_in")
    except AppError as exc:
        session.rollback()
        return _silences_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=form,
            **_failed(exc, "silence"),
        )
    session.commit()
    return _see("/alerts/silences")


@router.post("/silences/{silence_id}/expire")
def expire_silence(
    silence_id: RowId,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        service.expire_silence(session, principal=principal, now=now, silence_id=silence_id)
    except NotFound as exc:
        raise _not_found(principal, exc) from None
    session.commit()
    return _see("/alerts/silences")


# --- maintenance windows --------------------------------------------------------------


def _maintenance_page(
    request: Request,
    principal: Principal,
    session: Session,
    now: datetime,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    rows = session.scalars(
        select(MaintenanceWindow)
        .options(joinedload(MaintenanceWindow.service))
        .join(Service, Service.id == MaintenanceWindow.service_id)
        .order_by(Service.name, MaintenanceWindow.starts_at.desc())
        .limit(500)
    ).all()
    windows = []
    for row in rows:
        window = routing.Window(
            row.id,
            row.service_id,
            row.title,
            row.starts_at,
            row.ends_at,
            row.repeat,
            row.repeat_until,
        )
        if routing.window_active(window, now):
            state = "active"
        elif row.starts_at > now:
            state = "upcoming"
        elif row.repeat == "none" or (row.repeat_until is not None and row.repeat_until <= now):
            state = "over"
        else:
            state = "between occurrences"
        windows.append((row, state))
    context = {
        "title": "Maintenance windows",
        "windows": windows,
        "services": _services(session),
        "repeats": service.REPEATS,
        "form": {"repeat": "none"},
        **extra,
    }
    return _page(request, principal, now, "alerts/maintenance.html", context, status=status)


@router.get("/maintenance")
def maintenance(
    request: Request,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    return _maintenance_page(request, principal, session, now)


@router.post("/maintenance")
def create_window(
    request: Request,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        starts_at = _moment(form.get("starts_at", ""), principal, "starts_at")
        ends_at = _moment(form.get("ends_at", ""), principal, "ends_at")
        if starts_at is None:
            raise InvalidInput("say when it starts", field="starts_at")
        if ends_at is None:
            raise InvalidInput("say when it ends", field="ends_at")
        if not form.get("service"):
            raise InvalidInput("choose a service", field="service")
        service.add_maintenance(
            session,
            principal=principal,
            now=now,
            service=form["service"],
            title=_text(form, "title", 300),
            starts_at=starts_at,
            ends_at=ends_at,
            repeat=form.get("repeat") or "none",
            repeat_until=_moment(form.get("repeat_until", ""), principal, "repeat_until"),
        )
    except AppError as exc:
        session.rollback()
        return _maintenance_page(
            request,
            principal,
            session,
            now,
            status=exc.status,
            form=form,
            **_failed(exc, "window", "service"),
        )
    session.commit()
    return _see("/alerts/maintenance")


@router.post("/maintenance/{window_id}/delete")
def delete_window(
    window_id: RowId,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    try:
        service.delete_maintenance(session, principal=principal, now=now, window_id=window_id)
    except NotFound as exc:
        raise _not_found(principal, exc) from None
    session.commit()
    return _see("/alerts/maintenance")


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
            extra = _failed(exc, "filter", "service")
            ids = []
    rows = change_events.list_changes(session, service_ids=ids, limit=200)
    context = {
        "title": "Changes",
        "changes": rows,
        "services": _services(session),
        "filters": {"service": service_slug},
        **extra,
    }
    return _page(request, principal, now, "alerts/changes.html", context)


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
        raise _not_found(principal, exc) from None


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
        "durations": SILENCE_DURATIONS,
        "silence_form": {"matchers": silence_matchers(group, alerts), "duration": "1h"},
        **extra,
    }
    return _page(request, principal, now, "alerts/group.html", context, status=status)


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
    return _page(request, principal, now, "alerts/_group_timeline.html", context)


@router.post("/{ref}/silence")
def silence_group(
    request: Request,
    ref: str,
    form: dict[str, str] = Depends(form_fields),
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> Response:
    """A silence made from the group's page ("silence similar")."""
    group = _group(session, principal, ref)
    try:
        _add_silence(session, principal, now, form, ends_in_field="duration")
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
            **_failed(exc, "silence"),
        )
    session.commit()
    return _see("/alerts/silences")


def _group_action(what: str) -> Any:
    def endpoint(
        request: Request,
        ref: str,
        form: dict[str, str] = Depends(form_fields),
        principal: Principal = Depends(page_responder),
        session: Session = Depends(get_session),
        now: datetime = Depends(get_now),
    ) -> Response:
        group = _group(session, principal, ref)
        try:
            note = _text(form, "note", 2000)
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
                request, principal, session, now, group, status=exc.status, **_failed(exc, what)
            )
        session.commit()
        return _see(f"/alerts/{group.ref}")

    endpoint.__name__ = f"{what}_group_page"
    return endpoint


for _what in ("acknowledge", "resolve", "escalate"):
    router.add_api_route(f"/{{ref}}/{_what}", _group_action(_what), methods=["POST"])
