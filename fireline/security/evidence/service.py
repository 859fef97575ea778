"""Use cases for evidence: register an item, add to its custody trail, and
record who looked at it (reading is in queries.py). Each writes its rows and
its audit records in the caller's transaction; a custody event also leaves a
short line on the incident's timeline (what happened to which item, never
where or why).

Hashing a stored file takes as long as reading it, so it happens outside any
transaction (:mod:`fireline.security.evidence.checks`); these functions get
its result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.incidents import service as incidents
from fireline.incidents.models import Incident
from fireline.security.evidence import custody
from fireline.security.evidence.metadata import (
    Details,
    check_hash,
    checked,
    next_label,
)
from fireline.security.evidence.models import CustodyRecord, EvidenceItem
from fireline.security.evidence.queries import describe_item, state_of
from fireline.security.evidence.store import Stored, describe

KIND_WORDS = {
    "collected": "collected",
    "transferred": "handed to a new custodian",
    "checked_out": "checked out",
    "checked_in": "checked in",
    "copied": "copied",
    "analysed": "analysed",
    "returned": "returned",
    "destroyed": "destroyed",
}
CUSTODY_LIMITS = {"by": 200, "to": 200, "location": 500, "purpose": 5000}


# --- registering ---------------------------------------------------------------


def precheck(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    details: Details,
    *,
    origin: str,
) -> None:
    """Refuse what :func:`register` would refuse, before an upload's bytes arrive."""
    clean = checked(details, origin=origin, collector=principal.name, now=now)
    if clean.label:
        _check_label_free(session, incident, clean.label)


def _check_label_free(session: Session, incident: Incident, label: str) -> set[str]:
    taken = set(
        session.scalars(select(EvidenceItem.label).where(EvidenceItem.incident_id == incident.id))
    )
    if label.lower() in {t.lower() for t in taken}:
        raise InvalidInput(f"{incident.ref} has an item labelled {label} already", field="label")
    return taken


def register(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    details: Details,
    *,
    stored: Stored | None = None,
    extra: tuple[str, ...] = (),
) -> EvidenceItem:
    """Register an item: an upload when ``stored`` (its bytes are in the
    store already), else an external item. Writes its ``collected`` event."""
    origin = "upload" if stored is not None else "external"
    clean = checked(details, origin=origin, collector=principal.name, now=now)
    assert clean.collected_at is not None
    # One registration per incident at a time (PostgreSQL; SQLite has one
    # writer): two default labels must not both be the next E<n>.
    session.execute(select(Incident.id).where(Incident.id == incident.id).with_for_update())
    taken = (
        _check_label_free(session, incident, clean.label)
        if clean.label
        else set(
            session.scalars(
                select(EvidenceItem.label).where(EvidenceItem.incident_id == incident.id)
            )
        )
    )
    label = clean.label or next_label(taken)
    item = EvidenceItem(
        incident_id=incident.id,
        label=label,
        origin=origin,
        item_type=clean.item_type,
        description=clean.description,
        source_host=clean.source_host,
        source_serial=clean.source_serial,
        source_account=clean.source_account,
        source_cloud=clean.source_cloud,
        collected_by=clean.collected_by,
        collected_at=clean.collected_at,
        collected_tz=clean.collected_tz,
        tool=clean.tool,
        tool_version=clean.tool_version,
        storage_location=clean.storage_location,
        legal_hold=clean.legal_hold,
        retain_until=clean.retain_until,
        file_name=clean.file_name if stored else "",
        content_type=clean.content_type if stored else "",
        size=stored.size if stored else None,
        sha256=stored.sha256 if stored else clean.sha256,
        sha1=stored.sha1 if stored else clean.sha1,
        md5=stored.md5 if stored else clean.md5,
        registered_by_id=principal.user_id,
        registered_at=now,
        verified_at=now if stored else None,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.registered",
        object_type="evidence",
        object_id=item.id,
        changes={"incident": incident.ref, **describe_item(item)},
        now=now,
    )
    _append(
        session,
        principal,
        now,
        incident,
        item,
        kind="collected",
        by=item.collected_by,
        to=item.collected_by,
        location=item.storage_location,
        occurred_at=item.collected_at,
        sha256=item.sha256,
        hash_source=("computed" if stored else "entered") if item.sha256 else "",
        hash_matches=None,
    )
    return item


# --- custody -------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyInput:
    kind: str
    by: str = ""
    to: str = ""
    location: str = ""
    purpose: str = ""
    occurred_at: datetime | None = None
    # External items: the SHA-256 the person measured at the event.
    sha256: str | None = None


@dataclass(frozen=True)
class Measured:
    """An upload's stored bytes hashed again just before the event."""

    sha256: str | None  # None: the file is gone


def add_custody(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    item: EvidenceItem,
    entry: CustodyInput,
    measured: Measured | None = None,
) -> CustodyRecord:
    """Append a custody event when it may follow the trail so far.

    An upload's bytes are hashed again for every event (``measured``); for an
    external item the person may give the hash they took. Either is recorded
    with whether it matched, and a mismatch is also recorded as an integrity
    failure: the event happened, so it is kept, and the change is on record."""
    texts = {}
    for name, limit in CUSTODY_LIMITS.items():
        value = str(getattr(entry, name)).strip()
        if len(value) > limit:
            raise InvalidInput(f"at most {limit} characters", field=name)
        texts[name] = value
    by = texts["by"] or principal.name
    occurred_at = entry.occurred_at or now
    if occurred_at.tzinfo is None:
        raise InvalidInput("give the time with its offset, e.g. +01:00", field="occurred_at")
    if occurred_at > now:
        raise InvalidInput("a custody event cannot be in the future", field="occurred_at")
    last = item.custody[-1] if item.custody else None
    if last is not None and occurred_at < last.occurred_at:
        raise InvalidInput(
            f"{item.ref}'s last event ({last.kind.replace('_', ' ')}) was at "
            f"{last.occurred_at.isoformat()}; a later one cannot come before it",
            field="occurred_at",
        )
    state = state_of(item)
    event = custody.CustodyEvent(
        kind=entry.kind.strip(),
        by=by,
        to=texts["to"],
        location=texts["location"],
        purpose=texts["purpose"],
    )
    custody.apply(state, event)  # InvalidInput when it cannot follow
    assert state is not None  # a registered item always has its collected event
    from_party, to_party = _parties(state, event)
    sha256, source, matches = _event_hash(item, entry, measured)
    record = _append(
        session,
        principal,
        now,
        incident,
        item,
        kind=event.kind,
        by=by,
        from_party=from_party,
        to=to_party,
        location=event.location,
        purpose=event.purpose,
        occurred_at=occurred_at,
        sha256=sha256,
        hash_source=source,
        hash_matches=matches,
    )
    if source == "computed":
        problem = describe(item.sha256 or "", sha256)
        record_check(session, principal, now, item, problem, during=f"custody {event.kind}")
    elif matches is False:
        record_check(
            session,
            principal,
            now,
            item,
            f"the SHA-256 measured at this event is {sha256}, not the one recorded at collection",
            during=f"custody {event.kind}",
            update_item=False,
        )
    return record


def _parties(state: custody.Custody, event: custody.CustodyEvent) -> tuple[str, str]:
    """Whom the item came from and went to, as far as the trail says."""
    if event.kind == "transferred":
        return state.custodian, event.to
    if event.kind == "checked_out":
        return state.custodian, event.to or event.by
    if event.kind == "checked_in":
        return state.checked_out_by, event.to or state.custodian
    if event.kind in ("returned", "destroyed"):
        return state.custodian, event.to
    return "", event.to


def _event_hash(
    item: EvidenceItem, entry: CustodyInput, measured: Measured | None
) -> tuple[str | None, str, bool | None]:
    if item.is_upload:
        if entry.sha256:
            raise InvalidInput(
                "fireline hashes an upload's stored bytes itself at every event", field="sha256"
            )
        if measured is None:
            raise AssertionError("an upload's custody event needs its bytes hashed first")
        return measured.sha256, "computed", measured.sha256 == item.sha256
    entered = check_hash("sha256", entry.sha256)
    if entered is None:
        return None, "", None
    return entered, "entered", (entered == item.sha256) if item.sha256 else None


def _append(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    item: EvidenceItem,
    *,
    kind: str,
    by: str,
    occurred_at: datetime,
    from_party: str = "",
    to: str = "",
    location: str = "",
    purpose: str = "",
    sha256: str | None = None,
    hash_source: str = "",
    hash_matches: bool | None = None,
) -> CustodyRecord:
    seq = len(item.custody) + 1
    chained = audit.record(
        session,
        actor=principal.actor,
        action="evidence.custody",
        object_type="evidence",
        object_id=item.id,
        changes={
            "incident": incident.ref,
            "item": item.ref,
            "seq": seq,
            "kind": kind,
            "by": by,
            "from": from_party,
            "to": to,
            "location": location,
            "purpose": purpose,
            "occurred_at": occurred_at,
            "sha256": sha256,
            "hash_source": hash_source,
            "hash_matches": hash_matches,
        },
        now=now,
    )
    record = CustodyRecord(
        seq=seq,
        kind=kind,
        by=by,
        from_party=from_party,
        to_party=to,
        location=location,
        purpose=purpose,
        occurred_at=occurred_at,
        recorded_at=now,
        recorded_by_id=principal.user_id,
        sha256=sha256,
        hash_source=hash_source,
        hash_matches=hash_matches,
        audit_seq=chained.seq,
    )
    item.custody.append(record)
    session.flush()
    what = (
        f"{item.ref} ({item.item_type}) collected"
        if kind == "collected"
        else (f"{item.ref} {KIND_WORDS[kind]}")
    )
    incidents.record_event(
        session,
        incident,
        kind="evidence",
        principal=principal,
        now=now,
        body=what,
        data={"item": item.ref, "custody": kind},
        occurred_at=occurred_at,
    )
    return record


# --- looking, downloading, checking ----------------------------------------------


def record_view(
    session: Session, principal: Principal, now: datetime, item: EvidenceItem, *, via: str
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.viewed",
        object_type="evidence",
        object_id=item.id,
        changes={"item": item.ref, "via": via},
        now=now,
    )


def record_list(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    count: int,
    *,
    via: str,
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.listed",
        object_type="incident",
        object_id=incident.id,
        changes={"incident": incident.ref, "items": count, "via": via},
        now=now,
    )


def record_download(
    session: Session, principal: Principal, now: datetime, item: EvidenceItem, *, via: str
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action="evidence.downloaded",
        object_type="evidence",
        object_id=item.id,
        changes={"item": item.ref, "sha256": item.sha256, "size": item.size, "via": via},
        now=now,
    )


def record_check(
    session: Session,
    principal: Principal | None,
    now: datetime,
    item: EvidenceItem,
    problem: str | None,
    *,
    during: str,
    update_item: bool = True,
) -> None:
    """Note the result of hashing an item's bytes again; a failure goes to the audit chain."""
    if update_item:
        item.verified_at, item.verify_problem = now, problem
    if problem is None:
        return
    audit.record(
        session,
        actor=principal.actor if principal else audit.Actor.system(),
        action="evidence.integrity_failed",
        object_type="evidence",
        object_id=item.id,
        changes={
            "item": item.ref,
            "label": item.label,
            "expected_sha256": item.sha256,
            "problem": problem,
            "during": during,
        },
        now=now,
    )


def label_of(item: EvidenceItem) -> str:
    """How an error names an item: its ref, label and file."""
    name = f"{item.ref} ({item.label}"
    name += f", {item.file_name})" if item.file_name else ")"
    return name
