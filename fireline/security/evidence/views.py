"""Pages for evidence: an incident's items with the forms to register more,
one item with its custody trail and the form to add to it, downloads and
the report. Who may see them is decided as in the API; errors are pages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.deps import Principal, get_clock, get_session, get_settings_dep
from fireline.core.errors import AppError, InvalidInput
from fireline.core.strict import keepable_input
from fireline.incidents.api import get_plan
from fireline.incidents.models import Incident
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.security import access
from fireline.security.evidence import checks, custody, queries, report, service
from fireline.security.evidence.api import get_store
from fireline.security.evidence.metadata import TYPES, Details, local_collected, safe_file_name
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.store import EvidenceStore, chunks_of
from fireline.security.evidence.streaming import check_room, download_response, human_size
from fireline.web.pages import PageError, page_require, page_viewer
from fireline.web.templating import render

router = APIRouter(prefix="/incidents/{ref}/evidence", include_in_schema=False)
page_responder = page_require(Role.responder)
CUSTODY_KINDS = [k for k in custody.KINDS if k != "collected"]


def _incident(session: Session, plan: Plan, principal: Principal, ref: str) -> Incident:
    try:
        return access.get_for_security(session, plan, principal, ref)
    except AppError as exc:
        title = "Not found" if exc.status == 404 else "Not allowed"
        raise PageError(exc.status, title, exc.message, principal) from None


def _item(session: Session, incident: Incident, principal: Principal, ref: str) -> EvidenceItem:
    try:
        return queries.find_item(session, incident, ref)
    except AppError as exc:
        raise PageError(404, "Not found", exc.message, principal) from None


def _page_error(principal: Principal, exc: AppError) -> PageError:
    titles = {404: "Not found", 409: "Refused", 413: "Too large"}
    return PageError(exc.status, titles.get(exc.status, "Not allowed"), exc.message, principal)


# --- the list and the registration forms -----------------------------------------------


@router.get("")
def evidence_list(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    return _render_list(request, session, plan, principal, clock.now(), incident, settings)


def _render_list(
    request: Request,
    session: Session,
    plan: Plan,
    principal: Principal,
    now: datetime,
    incident: Incident,
    settings: Settings,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    items = queries.items_of(session, incident)
    service.record_list(session, principal, now, incident, len(items), via="page")
    session.commit()
    context = {
        "title": f"Evidence · {incident.ref}",
        "incident": incident,
        "rows": [(item, queries.state_of(item)) for item in items],
        "types": TYPES,
        "can_act": principal.can(Role.responder),
        "who_may_see": queries.who_may_see(plan, incident),
        "max_size": human_size(settings.evidence_max_bytes) if settings.evidence_max_bytes else "",
        "human_size": human_size,
        "form": {},
        **extra,
    }
    return render(
        request, "security/evidence/list.html", context, principal=principal, status_code=status
    )


def _details(form: FormData, *, upload: UploadFile | None = None) -> Details:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    return Details(
        item_type=text("type"),
        description=text("description"),
        label=text("label"),
        source_host=text("source_host"),
        source_serial=text("source_serial"),
        source_account=text("source_account"),
        source_cloud=text("source_cloud"),
        collected_by=text("collected_by"),
        collected_at=_local_input(text("collected_at"), "collected_at"),
        collected_tz=text("collected_tz"),
        tool=text("tool"),
        tool_version=text("tool_version"),
        storage_location=text("storage_location"),
        legal_hold=form.get("legal_hold") == "on",
        retain_until=_date_input(text("retain_until")),
        file_name=safe_file_name(upload.filename or "") if upload else "",
        content_type=(upload.content_type or "")[:255] if upload else "",
        # Measured hashes are for external items; an upload's are computed.
        sha256=None if upload else text("sha256") or None,
        sha1=None if upload else text("sha1") or None,
        md5=None if upload else text("md5") or None,
    )


def _local_input(value: str, field: str) -> datetime | None:
    """A datetime-local field: no offset, read in the zone the form names."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"expected a time like 2026-03-02T09:30, not {value!r}", field=field
        ) from None
    return keepable_input(moment, field)


def _date_input(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"expected a date like 2027-03-31, not {value!r}", field="retain_until"
        ) from None


def _form_values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/external")
async def register_external(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    form = await request.form()
    try:
        item = service.register(session, principal, clock.now(), incident, _details(form))
    except AppError as exc:
        session.rollback()
        return _render_list(
            request, session, plan, principal, clock.now(), incident, settings,
            status=exc.status, error=exc.message, error_field=exc.field,
            error_form="external", form=_form_values(form),
        )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}/evidence/{item.ref}", status_code=303)


@router.post("/upload")
async def register_upload(
    request: Request,
    ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    settings: Settings = Depends(get_settings_dep),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    """The browser's multipart form (the API streams a raw body instead)."""
    incident = _incident(session, plan, principal, ref)
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose the file to upload", field="file")
        details = _details(form, upload=upload)
        service.precheck(session, principal, clock.now(), incident, details, origin="upload")
        check_room(settings.evidence_dir, upload.size, settings.evidence_max_bytes)
    except AppError as exc:
        session.rollback()
        return _render_list(
            request, session, plan, principal, clock.now(), incident, settings,
            status=exc.status, error=exc.message, error_field=exc.field,
            error_form="upload", form=_form_values(form),
        )  # fmt: skip
    session.commit()  # no transaction while the file is copied and hashed
    extra = tuple(a for a in ("sha1", "md5") if form.get(a) == "on")
    stored = await run_in_threadpool(store.put, chunks_of(upload.file), extra=extra)
    incident = _incident(session, plan, principal, ref)
    item = service.register(session, principal, clock.now(), incident, details, stored=stored)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.ref}/evidence/{item.ref}", status_code=303)


# --- the report ----------------------------------------------------------------------------


@router.get("/report.pdf")
def report_pdf(
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    content = report.generate(session, store, plan, principal, clock, incident, "pdf", via="page")
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{incident.ref}-evidence.pdf"'},
    )


@router.get("/report.json")
def report_json(
    ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    content = report.generate(session, store, plan, principal, clock, incident, "json", via="page")
    return Response(
        content,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{incident.ref}-evidence.json"'},
    )


# --- one item ----------------------------------------------------------------------------------


@router.get("/{item_ref}")
def item_page(
    request: Request,
    ref: str,
    item_ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    item = _item(session, incident, principal, item_ref)
    return _render_item(request, session, principal, clock.now(), incident, item)


def _render_item(
    request: Request,
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    item: EvidenceItem,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    service.record_view(session, principal, now, item, via="page")
    session.commit()
    state = queries.state_of(item)
    context = {
        "title": f"{item.ref} {item.label} · {incident.ref}",
        "incident": incident,
        "item": item,
        "state": state,
        "collected_local": local_collected(item.collected_at, item.collected_tz),
        "kinds": CUSTODY_KINDS,
        "can_act": principal.can(Role.responder) and not (state and state.gone),
        "human_size": human_size,
        "form": {},
        **extra,
    }
    return render(
        request, "security/evidence/item.html", context, principal=principal, status_code=status
    )


@router.get("/{item_ref}/download")
def download(
    request: Request,
    ref: str,
    item_ref: str,
    principal: Principal = Depends(page_viewer),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    item = _item(session, incident, principal, item_ref)
    on_tampered = checks.record_tampered_in(request.app.state.db.session, principal, clock)
    try:
        chunks = checks.open_download(
            session, store, principal, clock, item, via="page", on_tampered=on_tampered
        )
    except AppError as exc:
        raise _page_error(principal, exc) from None
    return download_response(item, chunks)


@router.post("/{item_ref}/custody")
async def add_custody(
    request: Request,
    ref: str,
    item_ref: str,
    principal: Principal = Depends(page_responder),
    session: Session = Depends(get_session),
    clock: Clock = Depends(get_clock),
    plan: Plan = Depends(get_plan),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    incident = _incident(session, plan, principal, ref)
    item = _item(session, incident, principal, item_ref)
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    try:
        occurred = _local_input(text("occurred_at"), "occurred_at")
        if occurred is not None:
            occurred = occurred.replace(tzinfo=ZoneInfo(_zone(principal)))
        entry = service.CustodyInput(
            kind=text("kind"),
            by=text("by"),
            to=text("to"),
            location=text("location"),
            purpose=text("purpose"),
            occurred_at=occurred,
            sha256=text("sha256") or None,
        )
        measured = await run_in_threadpool(checks.measured_for_custody, session, store, item)
        incident = _incident(session, plan, principal, ref)
        item = queries.find_item(session, incident, item_ref, for_update=True)
        service.add_custody(session, principal, clock.now(), incident, item, entry, measured)
    except AppError as exc:
        session.rollback()
        item = _item(session, incident, principal, item_ref)
        return _render_item(
            request, session, principal, clock.now(), incident, item,
            status=exc.status, error=exc.message, error_field=exc.field,
            error_form="custody", form=_form_values(form),
        )  # fmt: skip
    session.commit()
    return RedirectResponse(
        f"/incidents/{incident.ref}/evidence/{item.ref}#custody", status_code=303
    )


def _zone(principal: Principal) -> str:
    try:
        ZoneInfo(principal.time_zone)
    except (KeyError, ValueError):
        return "UTC"
    return principal.time_zone
