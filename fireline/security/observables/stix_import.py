"""Reading observables out of a STIX 2.1 bundle. Pure: a parsed JSON value in,
what to import and what was skipped (with the object's id and why) out.

Read: cyber-observable objects of the kinds fireline keeps (their markings,
or those of the ``observed-data`` holding them, and its first and last
seen), indicators whose pattern is a list of equality comparisons, notes
holding free-text observables (as fireline writes them), and
``attack-pattern`` objects naming a MITRE ATT&CK technique. A technique
linked by a relationship to an indicator, note or observable tags that
observable; the others tag the incident.

A bundle whose shape is wrong (not a bundle, objects without a type or an
id) is refused as a whole, naming the place; one object that cannot be
read is skipped and reported, and the rest are imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fireline.core.errors import AppError, InvalidInput
from fireline.security.observables import markings
from fireline.security.observables.normalise import Observable, match_key, normalise, technique
from fireline.security.observables.patterns import Comparison, UnsupportedPattern, read_pattern
from fireline.security.observables.stix import TEXT_LABEL

MAX_OBJECTS = 20_000
MAX_DESCRIPTION = 5_000
DEFAULT_TLP = "AMBER"  # what an unmarked observable gets: shared with care, not widely
_HASHES = {
    "MD5": "MD5",
    "SHA-1": "SHA-1",
    "SHA1": "SHA-1",
    "SHA-256": "SHA-256",
    "SHA256": "SHA-256",
}
_VALUE_TYPES = ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr")
_READ_TYPES = (*_VALUE_TYPES, "file", "user-account", "windows-registry-key")
# Objects that carry the bundle's structure rather than something to import.
_STRUCTURE = (
    "bundle",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "language-content",
    "marking-definition",
    "observed-data",
    "relationship",
    "report",
    "sighting",
)


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


@dataclass
class Candidate:
    """One observable the bundle holds, gathered from every object that names it."""

    observable: Observable
    tlp: str
    description: str = ""
    techniques: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def absorb(self, other: Candidate) -> None:
        self.tlp = markings.strictest([self.tlp, other.tlp]) or self.tlp
        self.description = self.description or other.description
        self.techniques |= other.techniques
        self.first_seen = _earliest(self.first_seen, other.first_seen)
        self.last_seen = _latest(self.last_seen, other.last_seen)


@dataclass(frozen=True)
class BundleContents:
    observables: list[Candidate]
    techniques: list[str]  # for the incident itself
    skipped: list[Skipped]


def read_bundle(data: Any) -> BundleContents:
    """What ``data`` (a parsed STIX 2.1 bundle) holds; InvalidInput when it is not one."""
    return _Reader(_objects_of(data)).read()


def _objects_of(data: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidInput('not a STIX bundle: expected {"type": "bundle", …}', field="type")
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidInput("a bundle's objects are a list", field="objects")
    if len(objects) > MAX_OBJECTS:
        raise InvalidInput(f"at most {MAX_OBJECTS} objects per bundle", field="objects")
    found: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(objects):
        where = f"objects[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput("each object is a JSON object", field=where)
        kind, object_id = item.get("type"), item.get("id")
        if not isinstance(kind, str) or not kind:
            raise InvalidInput("every object has a type", field=f"{where}.type")
        if not isinstance(object_id, str) or not object_id.startswith(f"{kind}--"):
            raise InvalidInput(f"every object has an id like {kind}--<uuid>", field=f"{where}.id")
        found[object_id] = item  # a later version of an object replaces the earlier
    return found


class _Reader:
    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = objects
        self.skipped: list[Skipped] = []
        self.candidates: dict[str, Candidate] = {}
        self.keys_of: dict[str, list[str]] = defaultdict(list)  # STIX id -> match keys
        self.levels = dict(markings.KNOWN_IDS)
        for object_id, item in objects.items():
            if item["type"] == "marking-definition":
                level = markings.level_defined_by(item)
                if level:
                    self.levels[object_id] = level

    def read(self) -> BundleContents:
        holders = self._observed_data()
        techniques: dict[str, str] = {}
        for object_id, item in self.objects.items():
            kind = item["type"]
            if kind in _READ_TYPES:
                self._cyber_observable(object_id, item, holders.get(object_id, []))
            elif kind == "indicator":
                self._indicator(object_id, item)
            elif kind == "note" and TEXT_LABEL in _strings(item.get("labels")):
                self._text_note(object_id, item)
            elif kind == "attack-pattern":
                found = self._attack_pattern(object_id, item)
                if found:
                    techniques[object_id] = found
            elif kind not in _STRUCTURE and kind != "note":
                reason = f"{kind} objects are not imported: only observables and ATT&CK techniques"
                self.skipped.append(Skipped(object_id, reason))
        for object_id, item in self.objects.items():
            if item["type"] == "observed-data":
                for ref in _strings(item.get("object_refs")):
                    self.keys_of[object_id] += self.keys_of.get(ref, [])
        return BundleContents(
            observables=list(self.candidates.values()),
            techniques=self._tag(techniques),
            skipped=self.skipped,
        )

    def _observed_data(self) -> dict[str, list[dict[str, Any]]]:
        """Each cyber-observable's observed-data objects, for their markings and times."""
        holders: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in self.objects.values():
            if item["type"] == "observed-data":
                for ref in _strings(item.get("object_refs")):
                    holders[ref].append(item)
        return holders

    def _marking(self, item: dict[str, Any], holders: list[dict[str, Any]] | None = None) -> str:
        """An object's own TLP marking, else that of the observed-data holding it."""
        levels = self._levels(item)
        if not levels:
            levels = [level for holder in holders or [] for level in self._levels(holder)]
        return markings.strictest(levels) or DEFAULT_TLP

    def _levels(self, item: dict[str, Any]) -> list[str]:
        refs = _strings(item.get("object_marking_refs"))
        return [self.levels[r] for r in refs if r in self.levels]

    def _add(
        self,
        object_id: str,
        comparison: Comparison,
        candidate_of: Callable[[Observable], Candidate],
    ) -> None:
        """Normalise one value; a value that is not valid is reported, not imported."""
        try:
            observable = normalise(comparison.type, comparison.value, comparison.hash_algorithm)
        except AppError as exc:
            shown = comparison.value[:80]
            self.skipped.append(Skipped(object_id, f"{comparison.type} {shown!r}: {exc.message}"))
            return
        candidate = candidate_of(observable)
        key = match_key(observable)
        if key in self.candidates:
            self.candidates[key].absorb(candidate)
        else:
            self.candidates[key] = candidate
        self.keys_of[object_id].append(key)

    def _cyber_observable(
        self, object_id: str, item: dict[str, Any], holders: list[dict[str, Any]]
    ) -> None:
        comparisons = list(_comparisons_of(item))
        if not comparisons:
            self.skipped.append(Skipped(object_id, _nothing_to_read(item["type"])))
            return
        tlp = self._marking(item, holders)
        first = _earliest(*(_time(h.get("first_observed")) for h in holders))
        last = _latest(*(_time(h.get("last_observed")) for h in holders))
        for comparison in comparisons:
            self._add(
                object_id,
                comparison,
                lambda o: Candidate(o, tlp, first_seen=first, last_seen=last),
            )

    def _indicator(self, object_id: str, item: dict[str, Any]) -> None:
        pattern_type = item.get("pattern_type", "stix")
        pattern = item.get("pattern")
        if pattern_type != "stix" or not isinstance(pattern, str):
            reason = f"only STIX patterns are read, not {str(pattern_type)[:40]!r}"
            self.skipped.append(Skipped(object_id, reason))
            return
        try:
            comparisons = read_pattern(pattern)
        except UnsupportedPattern as exc:
            self.skipped.append(Skipped(object_id, f"pattern not read: {exc}"))
            return
        tlp = self._marking(item)
        description = _text(item.get("description"))
        first = _time(item.get("valid_from"))
        for comparison in comparisons:
            self._add(
                object_id,
                comparison,
                lambda o: Candidate(o, tlp, description, first_seen=first, last_seen=first),
            )

    def _text_note(self, object_id: str, item: dict[str, Any]) -> None:
        content = item.get("content")
        if not isinstance(content, str):
            self.skipped.append(Skipped(object_id, "a text observable note without content"))
            return
        tlp = self._marking(item)
        description = _text(item.get("abstract"))
        self._add(
            object_id, Comparison("text", None, content), lambda o: Candidate(o, tlp, description)
        )

    def _attack_pattern(self, object_id: str, item: dict[str, Any]) -> str | None:
        references = item.get("external_references")
        for reference in references if isinstance(references, list) else []:
            if isinstance(reference, dict) and reference.get("source_name") == "mitre-attack":
                try:
                    return technique(str(reference.get("external_id", "")))
                except AppError as exc:
                    self.skipped.append(Skipped(object_id, exc.message))
                    return None
        reason = "no MITRE ATT&CK id (an external reference with source_name mitre-attack)"
        self.skipped.append(Skipped(object_id, reason))
        return None

    def _tag(self, techniques: dict[str, str]) -> list[str]:
        """Tag observables with the techniques related to them; the rest tag the incident."""
        on_incident: set[str] = set()
        used: set[str] = set()
        for item in self.objects.values():
            if item["type"] != "relationship":
                continue
            source, target = item.get("source_ref"), item.get("target_ref")
            if not isinstance(source, str) or not isinstance(target, str):
                continue
            for pattern_end, other_end in ((source, target), (target, source)):
                if pattern_end not in techniques:
                    continue
                found = techniques[pattern_end]
                if other_end.startswith("incident--"):
                    on_incident.add(found)
                for key in self.keys_of.get(other_end, []):
                    self.candidates[key].techniques.add(found)
                    used.add(found)
        loose = {t for t in techniques.values() if t not in used}
        return sorted(on_incident | loose)


def _comparisons_of(item: dict[str, Any]) -> Iterator[Comparison]:
    kind = item["type"]
    if kind in _VALUE_TYPES and isinstance(item.get("value"), str):
        yield Comparison(kind, None, item["value"])
    elif kind == "file":
        hashes = item.get("hashes")
        for name, digest in hashes.items() if isinstance(hashes, dict) else []:
            algorithm = _HASHES.get(str(name).upper())
            if algorithm and isinstance(digest, str):
                yield Comparison("file", algorithm, digest)
        if isinstance(item.get("name"), str):
            yield Comparison("file", None, item["name"])
    elif kind == "user-account":
        login = item.get("account_login") or item.get("user_id")
        if isinstance(login, str):
            yield Comparison("user-account", None, login)
    elif kind == "windows-registry-key" and isinstance(item.get("key"), str):
        yield Comparison("windows-registry-key", None, item["key"])


def _nothing_to_read(kind: str) -> str:
    if kind == "file":
        return "a file needs an MD5, SHA-1 or SHA-256 hash or a name"
    if kind == "user-account":
        return "a user account needs an account_login or a user_id"
    if kind == "windows-registry-key":
        return "a registry key needs its key"
    return f"an {kind} needs its value"


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip()[:MAX_DESCRIPTION] if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    """A STIX timestamp; one that cannot be read is left out, not guessed."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # not a time, or one beyond year 1 to 9999 in UTC
        return None


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None
