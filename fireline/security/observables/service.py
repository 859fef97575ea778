"""Use cases for observables and technique tags, each in the caller's
transaction, each change on the incident's timeline (and so in the audit chain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import Conflict, InvalidInput, NotFound
from fireline.incidents.models import Incident
from fireline.incidents.service import record_event
from fireline.security.observables import entry as entries
from fireline.security.observables.models import IncidentObservable, IncidentTechnique
from fireline.security.observables.normalise import match_key, technique
from fireline.security.observables.stix_import import BundleContents, Skipped

MAX_REASON = 2_000


@dataclass(frozen=True)
class Recorded:
    observable: IncidentObservable
    created: bool  # False: the incident had it already, and it was updated
    changed: tuple[str, ...]  # the fields a repeated add changed; empty for a new one


@dataclass
class ImportReport:
    added: list[IncidentObservable] = field(default_factory=list)
    updated: list[IncidentObservable] = field(default_factory=list)
    unchanged: list[IncidentObservable] = field(default_factory=list)
    techniques_added: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def observables_of(session: Session, incident: Incident) -> list[IncidentObservable]:
    query = (
        select(IncidentObservable)
        .where(IncidentObservable.incident_id == incident.id)
        .order_by(IncidentObservable.type, IncidentObservable.value, IncidentObservable.id)
    )
    return list(session.scalars(query))


def techniques_of(session: Session, incident: Incident) -> list[IncidentTechnique]:
    query = (
        select(IncidentTechnique)
        .where(IncidentTechnique.incident_id == incident.id)
        .order_by(IncidentTechnique.technique)
    )
    return list(session.scalars(query))


def get_observable(session: Session, incident: Incident, observable_id: int) -> IncidentObservable:
    row = session.get(IncidentObservable, observable_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound(f"{incident.ref} has no observable {observable_id}")
    return row


def record(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    given: entries.Entry,
    *,
    may_lower_tlp: bool = True,
    quiet: bool = False,
) -> Recorded:
    """Add the observable, or update the one the incident already has.
    ``quiet``: the caller puts one event on the timeline for many (an import)."""
    key = match_key(given.observable)
    row = session.scalar(
        select(IncidentObservable).where(
            IncidentObservable.incident_id == incident.id, IncidentObservable.match_key == key
        )
    )
    if row is None:
        return _create(session, principal, now, incident, given, key, quiet=quiet)
    changes = entries.merged(_current(row), given, may_lower_tlp=may_lower_tlp)
    if changes:
        before = {name: _plain(getattr(row, name)) for name in changes}
        for name, value in changes.items():
            setattr(row, name, list(value) if name == "techniques" else value)
        row.updated_at = now
        if not quiet:
            after = {name: _plain(getattr(row, name)) for name in changes}
            _event(
                session,
                principal,
                now,
                incident,
                "observable_updated",
                row,
                {"before": before, "after": after},
            )
    return Recorded(row, created=False, changed=tuple(changes))


def _create(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    given: entries.Entry,
    key: str,
    *,
    quiet: bool,
) -> Recorded:
    start = entries.initial(given)
    row = IncidentObservable(
        incident_id=incident.id,
        type=given.observable.type,
        value=given.observable.value,
        hash_algorithm=given.observable.hash_algorithm,
        match_key=key,
        tlp=start.tlp,
        description=start.description,
        techniques=list(start.techniques),
        first_seen=start.first_seen,
        last_seen=start.last_seen,
        added_by_id=principal.user_id,
        added_at=now,
        updated_at=now,
    )
    try:
        # A savepoint: on PostgreSQL two people may add the same observable at once.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{given.observable.value} was added to {incident.ref} at the same moment; "
            "try again to update it"
        ) from None
    if not quiet:
        _event(
            session,
            principal,
            now,
            incident,
            "observable_added",
            row,
            {"techniques": list(row.techniques)},
        )
    return Recorded(row, created=True, changed=())


def update(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    observable_id: int,
    *,
    marking: str | None = None,
    description: str | None = None,
    techniques: list[str] | None = None,
) -> IncidentObservable:
    """Change the marking, description or techniques (replacing them) of one observable."""
    row = get_observable(session, incident, observable_id)
    given = entries.check(
        row.type,
        row.value,
        now=now,
        hash_algorithm=row.hash_algorithm,
        marking=marking,
        description=description,
        techniques=techniques or [],
    )
    changes: dict[str, Any] = {}
    if given.tlp and given.tlp != row.tlp:
        changes["tlp"] = given.tlp
    if given.description is not None and given.description != row.description:
        changes["description"] = given.description
    if techniques is not None and list(given.techniques) != list(row.techniques):
        changes["techniques"] = list(given.techniques)
    if changes:
        before = {name: _plain(getattr(row, name)) for name in changes}
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = now
        _event(
            session,
            principal,
            now,
            incident,
            "observable_updated",
            row,
            {"before": before, "after": changes},
        )
    return row


def remove(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    observable_id: int,
    *,
    reason: str = "",
) -> None:
    """Removed from the incident; the timeline keeps what it was, who removed it and why."""
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"at most {MAX_REASON} characters", field="reason")
    row = get_observable(session, incident, observable_id)
    _event(session, principal, now, incident, "observable_removed", row, {"reason": reason.strip()})
    session.delete(row)
    session.flush()


def add_technique(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    value: str,
    *,
    quiet: bool = False,
) -> tuple[IncidentTechnique, bool]:
    """The tag, and whether it is new (tagging twice keeps one tag)."""
    found = technique(value)
    row = _technique_row(session, incident, found)
    if row is not None:
        return row, False
    row = IncidentTechnique(
        incident_id=incident.id, technique=found, added_by_id=principal.user_id, added_at=now
    )
    session.add(row)
    session.flush()
    if not quiet:
        record_event(
            session,
            incident,
            kind="technique_added",
            principal=principal,
            now=now,
            body=found,
            data={"technique": found},
        )
    return row, True


def remove_technique(
    session: Session, principal: Principal, now: datetime, incident: Incident, value: str
) -> None:
    found = technique(value)
    row = _technique_row(session, incident, found)
    if row is None:
        raise NotFound(f"{incident.ref} is not tagged {found}")
    session.delete(row)
    session.flush()
    record_event(
        session,
        incident,
        kind="technique_removed",
        principal=principal,
        now=now,
        body=found,
        data={"technique": found},
    )


def _technique_row(session: Session, incident: Incident, found: str) -> IncidentTechnique | None:
    return session.scalar(
        select(IncidentTechnique).where(
            IncidentTechnique.incident_id == incident.id, IncidentTechnique.technique == found
        )
    )


def import_contents(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    contents: BundleContents,
) -> ImportReport:
    """Record what a bundle holds, with one timeline event listing all of it."""
    report = ImportReport(skipped=list(contents.skipped))
    for candidate in contents.observables:
        given = entries.Entry(
            observable=candidate.observable,
            tlp=candidate.tlp,
            description=candidate.description or None,
            techniques=tuple(sorted(candidate.techniques)),
            first_seen=candidate.first_seen,
            last_seen=candidate.last_seen,
        )
        done = record(session, principal, now, incident, given, may_lower_tlp=False, quiet=True)
        if done.created:
            report.added.append(done.observable)
        elif done.changed:
            report.updated.append(done.observable)
        else:
            report.unchanged.append(done.observable)
    for value in contents.techniques:
        if add_technique(session, principal, now, incident, value, quiet=True)[1]:
            report.techniques_added.append(value)
    if report.added or report.updated or report.techniques_added:
        record_event(
            session,
            incident,
            kind="stix_imported",
            principal=principal,
            now=now,
            body=(
                f"{len(report.added)} added, {len(report.updated)} updated, "
                f"{len(report.techniques_added)} techniques tagged, "
                f"{len(report.skipped)} skipped"
            ),
            data={
                "added": [_summary(o) for o in report.added],
                "updated": [_summary(o) for o in report.updated],
                "techniques": report.techniques_added,
                "skipped": len(report.skipped),
            },
        )
    return report


def _current(row: IncidentObservable) -> entries.Current:
    return entries.Current(
        tlp=row.tlp,
        description=row.description,
        techniques=tuple(row.techniques),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
    )


def _summary(row: IncidentObservable) -> dict[str, Any]:
    return {
        "observable_id": row.id,
        "type": row.type,
        "value": row.value,
        "hash_algorithm": row.hash_algorithm,
        "tlp": row.tlp,
    }


def describe(row: IncidentObservable) -> str:
    """``file SHA-256 e3b0…`` as the timeline and messages show it."""
    kind = f"{row.type} {row.hash_algorithm}" if row.hash_algorithm else row.type
    return f"{kind} {row.value} (TLP:{row.tlp})"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


def _event(
    session: Session,
    principal: Principal,
    now: datetime,
    incident: Incident,
    kind: str,
    row: IncidentObservable,
    extra: dict[str, Any],
) -> None:
    data = {**_summary(row), **{k: _plain(v) for k, v in extra.items()}}
    record_event(
        session, incident, kind=kind, principal=principal, now=now, body=describe(row), data=data
    )
