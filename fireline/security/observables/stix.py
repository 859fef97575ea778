"""A STIX 2.1 bundle for an incident's observables. Pure: plain data in, a dict out.

What goes in, for an incident exported with a TLP ceiling:

- an ``incident`` object, marked at the ceiling, whose description says
  which ceiling applied, and a ``note`` saying the same and how many
  observables were left out;
- for each observable marked at or below the ceiling: its cyber-observable
  object (``ipv4-addr``, ``file``, …), an ``observed-data`` holding it with
  first and last seen, an ``indicator`` with its pattern, and relationships
  (indicator ``based-on`` observed-data, both ``related-to`` the incident),
  each marked with the observable's TLP; free text goes out as a ``note``;
- an ``attack-pattern`` per ATT&CK technique, referring to MITRE ATT&CK,
  which the observables' indicators ``indicate`` and the incident is
  ``related-to``;
- the TLP 2.0 marking definitions that are used.

Ids are UUIDv5, so exporting the same incident again gives the same ids
(a newer ``modified`` marks a changed object); cyber-observable ids follow
the STIX rule for deterministic ids, so the same address has the same id
in every bundle from anyone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fireline.security.observables import attack, markings
from fireline.security.observables.normalise import Observable, may_leave, tlp
from fireline.security.observables.patterns import pattern_of

# fireline's own namespace for the ids of what it describes.
NAMESPACE = uuid.UUID("5b0e4ad0-6f4e-4c55-9a0e-2d9d3c4f1e7a")
# The namespace STIX 2.1 fixes for cyber-observable ids (section 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# attack-pattern objects describe ATT&CK, not the incident: one fixed version.
ATTACK_PATTERN_CREATED = "2020-01-01T00:00:00.000Z"
TEXT_LABEL = "text-observable"  # marks the notes that hold free-text observables
DEFAULT_CEILING = "AMBER"


@dataclass(frozen=True)
class IncidentFacts:
    ref: str
    title: str
    summary: str
    declared_at: datetime
    updated_at: datetime
    techniques: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObservableFacts:
    type: str
    value: str
    hash_algorithm: str | None
    tlp: str
    description: str
    techniques: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    added_at: datetime
    updated_at: datetime


def timestamp(moment: datetime) -> str:
    """STIX timestamps: UTC, millisecond precision, ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ceiling_rule(ceiling: str) -> str:
    return (
        f"Exported from fireline with a TLP:{ceiling} ceiling: "
        "observables marked above it are left out."
    )


def build_bundle(
    incident: IncidentFacts,
    observables: Sequence[ObservableFacts],
    *,
    ceiling: str = DEFAULT_CEILING,
    now: datetime,
) -> dict[str, Any]:
    ceiling = tlp(ceiling)
    kept = [o for o in observables if may_leave(o.tlp, ceiling)]
    writer = _Writer(incident, ceiling)
    for observable in kept:
        writer.add_observable(observable)
    writer.add_incident_techniques()
    writer.add_ceiling_note(len(observables) - len(kept), now)
    return writer.bundle()


class _Writer:
    def __init__(self, incident: IncidentFacts, ceiling: str) -> None:
        self.incident = incident
        self.ceiling = ceiling
        # What makes this incident's ids its own: its ref and when it was declared.
        self.seed = f"{incident.ref}@{timestamp(incident.declared_at)}"
        self.levels: set[str] = {ceiling}
        self.techniques: set[str] = set(incident.techniques)
        self.incident_id = self.id_for("incident")
        self.objects: list[dict[str, Any]] = [self._incident()]

    def id_for(self, kind: str, *parts: str) -> str:
        return f"{kind}--{uuid.uuid5(NAMESPACE, chr(31).join((self.seed, kind, *parts)))}"

    def _incident(self) -> dict[str, Any]:
        facts = self.incident
        summary = facts.summary.strip()
        sentence = ceiling_rule(self.ceiling)
        return {
            **_common("incident", self.incident_id, facts.declared_at, facts.updated_at),
            "name": f"{facts.ref}: {facts.title}",
            "description": f"{summary}\n\n{sentence}" if summary else sentence,
            "external_references": [{"source_name": "fireline", "external_id": facts.ref}],
            "object_marking_refs": [markings.marking_id(self.ceiling)],
        }

    def add_observable(self, facts: ObservableFacts) -> None:
        self.levels.add(facts.tlp)
        self.techniques.update(facts.techniques)
        key = (facts.type, facts.hash_algorithm or "", facts.value)
        marked = {"object_marking_refs": [markings.marking_id(facts.tlp)]}
        if facts.type == "text":
            source = self.id_for("note", *key)
            self.objects.append(
                {
                    **_common("note", source, facts.added_at, facts.updated_at),
                    **({"abstract": facts.description} if facts.description else {}),
                    "content": facts.value,
                    "labels": [TEXT_LABEL],
                    "object_refs": [self.incident_id],
                    **marked,
                }
            )
            link = "related-to"
        else:
            source = self._observed(facts, key, marked)
            link = "indicates"
        for technique in facts.techniques:
            self._relate(source, link, _attack_pattern_id(technique), facts, marked)

    def _observed(
        self, facts: ObservableFacts, key: tuple[str, str, str], marked: dict[str, Any]
    ) -> str:
        """The SCO, its observed-data and its indicator; returns the indicator's id."""
        sco = _cyber_observable(facts)
        first = facts.first_seen or facts.added_at
        last = max(facts.last_seen or first, first)
        observed_id = self.id_for("observed-data", *key)
        indicator_id = self.id_for("indicator", *key)
        self.objects += [
            {**sco, **marked},
            {
                **_common("observed-data", observed_id, facts.added_at, facts.updated_at),
                "first_observed": timestamp(first),
                "last_observed": timestamp(last),
                "number_observed": 1,
                "object_refs": [sco["id"]],
                **marked,
            },
            {
                **_common("indicator", indicator_id, facts.added_at, facts.updated_at),
                "name": f"{facts.hash_algorithm or facts.type} {facts.value}"[:250],
                "description": facts.description or f"Observed in {self.incident.ref}.",
                "pattern": pattern_of(Observable(facts.type, facts.value, facts.hash_algorithm)),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": timestamp(first),
                **marked,
            },
        ]
        self._relate(indicator_id, "based-on", observed_id, facts, marked)
        self._relate(indicator_id, "related-to", self.incident_id, facts, marked)
        self._relate(observed_id, "related-to", self.incident_id, facts, marked)
        return indicator_id

    def _relate(
        self, source: str, kind: str, target: str, facts: ObservableFacts, marked: dict[str, Any]
    ) -> None:
        self._relationship(source, kind, target, facts.added_at, facts.updated_at, marked)

    def _relationship(
        self,
        source: str,
        kind: str,
        target: str,
        created: datetime,
        modified: datetime,
        marked: dict[str, Any],
    ) -> None:
        relationship_id = self.id_for("relationship", source, kind, target)
        self.objects.append(
            {
                **_common("relationship", relationship_id, created, modified),
                "relationship_type": kind,
                "source_ref": source,
                "target_ref": target,
                **marked,
            }
        )

    def add_incident_techniques(self) -> None:
        marked = {"object_marking_refs": [markings.marking_id(self.ceiling)]}
        for technique in sorted(self.incident.techniques):
            self._relationship(
                self.incident_id,
                "related-to",
                _attack_pattern_id(technique),
                self.incident.declared_at,
                self.incident.updated_at,
                marked,
            )

    def add_ceiling_note(self, left_out: int, now: datetime) -> None:
        declared = self.incident.declared_at
        self.objects.append(
            {
                **_common("note", self.id_for("note", "ceiling", self.ceiling), declared, now),
                "abstract": f"TLP:{self.ceiling} ceiling",
                "content": f"{ceiling_rule(self.ceiling)} Left out: {left_out}.",
                "object_refs": [self.incident_id],
                "object_marking_refs": [markings.marking_id(self.ceiling)],
            }
        )

    def bundle(self) -> dict[str, Any]:
        patterns = [_attack_pattern(t) for t in sorted(self.techniques)]
        if patterns:
            self.levels.add("CLEAR")  # ATT&CK itself is public
        definitions = [
            markings.marking_definition(level)
            for level in markings.TLP2_IDS
            if level in self.levels
        ]
        return {
            "type": "bundle",
            "id": f"bundle--{uuid.uuid5(NAMESPACE, self.seed + chr(31) + self.ceiling)}",
            "objects": [*definitions, *self.objects, *patterns],
        }


def _common(kind: str, object_id: str, created: datetime, modified: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": object_id,
        "created": timestamp(created),
        "modified": timestamp(max(modified, created)),
    }


def _cyber_observable(facts: ObservableFacts) -> dict[str, Any]:
    """The SCO; its id is derived from its id-contributing properties, as STIX says."""
    if facts.type == "file":
        properties: dict[str, Any] = (
            {"hashes": {facts.hash_algorithm: facts.value}}
            if facts.hash_algorithm
            else {"name": facts.value}
        )
    elif facts.type == "user-account":
        properties = {"account_login": facts.value}
    elif facts.type == "windows-registry-key":
        properties = {"key": facts.value}
    else:
        properties = {"value": facts.value}
    canonical = json.dumps(properties, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sco_id = f"{facts.type}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"
    return {"type": facts.type, "spec_version": "2.1", "id": sco_id, **properties}


def _attack_pattern_id(technique: str) -> str:
    return f"attack-pattern--{uuid.uuid5(NAMESPACE, 'mitre-attack' + chr(31) + technique)}"


def _attack_pattern(technique: str) -> dict[str, Any]:
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": _attack_pattern_id(technique),
        "created": ATTACK_PATTERN_CREATED,
        "modified": ATTACK_PATTERN_CREATED,
        "name": attack.NAMES.get(technique, technique),
        "external_references": [{"source_name": "mitre-attack", "external_id": technique}],
        "object_marking_refs": [markings.marking_id("CLEAR")],
    }
