"""Reading evidence: an incident's items, one item by ref or label, where an
item stands in its custody, and the documents the API and the report show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from fireline.core.errors import NotFound
from fireline.incidents.models import Incident
from fireline.plan.schema import Plan
from fireline.security.access import security_roles
from fireline.security.evidence import custody
from fireline.security.evidence.metadata import parse_item_ref
from fireline.security.evidence.models import CustodyRecord, EvidenceItem


def items_of(session: Session, incident: Incident) -> list[EvidenceItem]:
    return list(
        session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.incident_id == incident.id)
            .options(selectinload(EvidenceItem.custody))
            .order_by(EvidenceItem.id)
        )
    )


def count_of(session: Session, incident: Incident) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(EvidenceItem)
            .where(EvidenceItem.incident_id == incident.id)
        )
        or 0
    )


def who_may_see(plan: Plan, incident: Incident) -> list[str]:
    """Admins, and the people holding a security role on the incident now."""
    keys = security_roles(plan)
    holders = [
        f"{r.user.name} ({plan.role(r.role_key).name})"
        for r in incident.roles
        if r.ended_at is None and r.role_key in keys
    ]
    return ["admins", *holders]


def find_item(
    session: Session, incident: Incident, ref: str, *, for_update: bool = False
) -> EvidenceItem:
    """An item of ``incident`` by its global ref (EV-12, 12) or its label,
    read afresh. ``for_update`` locks it (PostgreSQL) so that two custody
    events cannot both take the next place in its trail."""
    item_id = parse_item_ref(ref)
    query = select(EvidenceItem).where(EvidenceItem.incident_id == incident.id)
    if item_id is not None:
        query = query.where(EvidenceItem.id == item_id)
    else:
        query = query.where(func.lower(EvidenceItem.label) == ref.strip().lower())
    if for_update:
        query = query.with_for_update()
    query = query.options(selectinload(EvidenceItem.custody)).execution_options(
        populate_existing=True
    )
    item = session.scalar(query)
    if item is None:
        raise NotFound(f"no evidence item {ref} on {incident.ref}")
    return item


def find_by_ref(session: Session, ref: str) -> EvidenceItem:
    """An item by its global ref alone; the caller checks who may see it."""
    item_id = parse_item_ref(ref)
    item = session.get(EvidenceItem, item_id) if item_id is not None else None
    if item is None:
        raise NotFound(f"no evidence item {ref}")
    return item


def state_of(item: EvidenceItem) -> custody.Custody | None:
    return custody.replay(_pure(record) for record in item.custody)


def _pure(record: CustodyRecord) -> custody.CustodyEvent:
    return custody.CustodyEvent(
        kind=record.kind,
        by=record.by,
        to=record.to_party,
        location=record.location,
        purpose=record.purpose,
    )


def describe_item(item: EvidenceItem) -> dict[str, Any]:
    """The item as the audit chain, the API and the report show it."""
    return {
        "ref": item.ref,
        "label": item.label,
        "origin": item.origin,
        "type": item.item_type,
        "description": item.description,
        "source": {
            "host": item.source_host,
            "serial": item.source_serial,
            "account": item.source_account,
            "cloud": item.source_cloud,
        },
        "collected_by": item.collected_by,
        "collected_at": item.collected_at,
        "collected_tz": item.collected_tz,
        "tool": item.tool,
        "tool_version": item.tool_version,
        "storage_location": item.storage_location,
        "legal_hold": item.legal_hold,
        "retain_until": item.retain_until,
        "file_name": item.file_name,
        "content_type": item.content_type,
        "size": item.size,
        "hashes": {"sha256": item.sha256, "sha1": item.sha1, "md5": item.md5},
    }


def describe_custody(record: CustodyRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "kind": record.kind,
        "by": record.by,
        "from": record.from_party,
        "to": record.to_party,
        "location": record.location,
        "purpose": record.purpose,
        "occurred_at": record.occurred_at,
        "recorded_at": record.recorded_at,
        "recorded_by": record.recorded_by.name if record.recorded_by else None,
        "sha256": record.sha256,
        "hash_source": record.hash_source,
        "hash_matches": record.hash_matches,
        "audit_seq": record.audit_seq,
    }


def item_document(item: EvidenceItem, incident_ref: str) -> dict[str, Any]:
    """Everything about an item and its trail (the API's and the report's shape)."""
    state = state_of(item)
    return {
        "id": item.id,
        "incident": incident_ref,
        **describe_item(item),
        "registered_by": item.registered_by.name if item.registered_by else None,
        "registered_at": item.registered_at,
        "verified_at": item.verified_at,
        "verify_problem": item.verify_problem,
        "custody_state": {
            "custodian": state.custodian if state else "",
            "location": state.location if state else "",
            "checked_out_by": state.checked_out_by if state else "",
            "ended": state.gone if state else "",
        },
        "custody": [describe_custody(r) for r in item.custody],
    }
