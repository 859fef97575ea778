"""Hashing stored evidence again: before every download, for `fireline evidence
verify`, and for a report.

Reading a multi-gigabyte file takes seconds to minutes, and on SQLite every
transaction holds the one write lock, so these flows end the request's
transaction before they hash and record the result in a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from fireline.core import audit
from fireline.core.clock import Clock
from fireline.core.deps import Principal
from fireline.core.errors import AppError, Conflict
from fireline.incidents.models import Incident, RoleAssignment
from fireline.incidents.queries import visible_to
from fireline.people.models import Role
from fireline.plan.schema import Plan
from fireline.security.access import security_roles
from fireline.security.evidence import service
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.store import EvidenceStore, EvidenceTampered, describe


class EvidenceChanged(AppError):
    """The stored bytes no longer match their recorded hash: not served."""

    status = 409
    code = "evidence_changed"


@dataclass(frozen=True)
class Check:
    item_id: int
    ref: str
    label: str
    incident: str
    origin: str
    expected: str | None  # the SHA-256 recorded at collection
    found: str | None  # what the stored bytes hash to now (uploads)
    status: str  # "ok", "changed", "missing" or "not_held" (an external item)

    @property
    def problem(self) -> str | None:
        if self.status in ("ok", "not_held"):
            return None
        return describe(self.expected or "", self.found)

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.ref,
            "label": self.label,
            "incident": self.incident,
            "origin": self.origin,
            "status": self.status,
            "sha256": self.expected,
            "found": self.found,
            "problem": self.problem,
        }


def measure(store: EvidenceStore, item: EvidenceItem, incident_ref: str) -> Check:
    """Hash ``item``'s stored bytes again (no database)."""
    if not item.is_upload or item.sha256 is None:
        return Check(
            item.id, item.ref, item.label, incident_ref, item.origin, item.sha256, None, "not_held"
        )
    found = store.hash_now(item.sha256)
    status = "missing" if found is None else ("ok" if found == item.sha256 else "changed")
    return Check(
        item.id, item.ref, item.label, incident_ref, item.origin, item.sha256, found, status
    )


def visible_items(
    session: Session, plan: Plan, principal: Principal, incident: Incident | None = None
) -> list[tuple[EvidenceItem, str]]:
    """The items the caller may handle (admins: all), with their incident's ref."""
    query = (
        select(EvidenceItem, Incident.id)
        .join(Incident, Incident.id == EvidenceItem.incident_id)
        .where(visible_to(principal))
        .options(selectinload(EvidenceItem.custody))
        .order_by(EvidenceItem.incident_id, EvidenceItem.id)
    )
    if incident is not None:
        query = query.where(EvidenceItem.incident_id == incident.id)
    if not principal.can(Role.admin):
        query = query.where(
            exists().where(
                RoleAssignment.incident_id == Incident.id,
                RoleAssignment.user_id == principal.user_id,
                RoleAssignment.ended_at.is_(None),
                RoleAssignment.role_key.in_(sorted(security_roles(plan))),
            )
        )
    return [(item, f"INC-{incident_id}") for item, incident_id in session.execute(query)]


def verify(
    session: Session,
    store: EvidenceStore,
    plan: Plan,
    principal: Principal,
    clock: Clock,
    incident: Incident | None = None,
) -> list[Check]:
    """Hash every visible item's bytes again; record each result, and each
    failure in the audit chain."""
    found = visible_items(session, plan, principal, incident)
    session.commit()
    checks = [measure(store, item, ref) for item, ref in found]
    now = clock.now()
    for (item, _ref), check in zip(found, checks, strict=True):
        if check.status != "not_held":
            service.record_check(session, principal, now, item, check.problem, during="verify")
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.verified",
        object_type="incident" if incident else "evidence",
        object_id=incident.id if incident else "*",
        changes={
            "incident": incident.ref if incident else None,
            "checked": sum(1 for c in checks if c.status != "not_held"),
            "external": sum(1 for c in checks if c.status == "not_held"),
            "failed": [c.ref for c in checks if c.problem],
        },
        now=now,
    )
    session.commit()
    return checks


def measured_for_custody(
    session: Session, store: EvidenceStore, item: EvidenceItem
) -> service.Measured | None:
    """An upload's bytes hashed again for a custody event (outside the transaction)."""
    if not item.is_upload or item.sha256 is None:
        return None
    session.commit()
    return service.Measured(store.hash_now(item.sha256))


def open_download(
    session: Session,
    store: EvidenceStore,
    principal: Principal,
    clock: Clock,
    item: EvidenceItem,
    *,
    via: str,
    on_tampered: Callable[[EvidenceItem, str], None],
) -> Iterator[bytes]:
    """The item's bytes, checked in full before the first byte is sent and
    again as they stream; a changed file is refused, naming the item, and
    the refusal is in the audit chain."""
    if not item.is_upload or item.sha256 is None:
        raise Conflict(
            f"{service.label_of(item)} is an external item ({item.item_type}); "
            "fireline holds no file for it",
            code="not_a_file",
        )
    sha256 = item.sha256
    session.commit()
    problem = describe(sha256, store.hash_now(sha256))
    now = clock.now()
    service.record_check(session, principal, now, item, problem, during="download")
    if problem:
        session.commit()
        raise EvidenceChanged(
            f"{service.label_of(item)} is not served: its stored bytes no longer match the "
            f"SHA-256 recorded when it was collected ({problem}). The refusal is in the audit log."
        )
    service.record_download(session, principal, now, item, via=via)
    session.commit()
    return _guarded(store.read(sha256), item, on_tampered)


def _guarded(
    chunks: Iterator[bytes], item: EvidenceItem, on_tampered: Callable[[EvidenceItem, str], None]
) -> Iterator[bytes]:
    """Pass the chunks on; if the bytes changed while they were sent, record
    it and break the download off (the client sees a cut connection)."""
    try:
        yield from chunks
    except EvidenceTampered as exc:
        on_tampered(item, describe(exc.sha256, exc.found) or "changed")
        raise


def record_tampered_in(
    db_session: Callable[[], Any], principal: Principal, clock: Clock
) -> Callable[[EvidenceItem, str], None]:
    """An ``on_tampered`` for :func:`open_download` writing in a transaction of its own."""

    def record(item: EvidenceItem, problem: str) -> None:
        with db_session() as session:
            fresh = session.get(EvidenceItem, item.id)
            if fresh is not None:
                service.record_check(
                    session,
                    principal,
                    clock.now(),
                    fresh,
                    problem,
                    during="download (while sending)",
                )
                session.commit()

    return record
