"""Which playbooks exist: the built-in ones that fit the plan, the plan's own
(``playbooks:``), and those kept in the database (edited in the web UI or
imported), each replacing an earlier one with the same key. Also reading a
playbook from YAML, with every problem at its line and column."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, NamedTuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.errors import NotFound
from fireline.plan.checks import Location
from fireline.plan.loader import PlanError, load_yaml_model
from fireline.plan.schema import Plan
from fireline.playbooks.checks import playbook_problems
from fireline.playbooks.models import StoredPlaybook
from fireline.playbooks.schema import Playbook

BUILTIN, PLAN, STORED = "built-in", "plan", "stored"


@dataclass(frozen=True)
class Entry:
    playbook: Playbook
    origin: str  # built-in, plan or stored


@cache
def builtin_playbooks() -> tuple[Playbook, ...]:
    folder = resources.files("fireline.playbooks").joinpath("builtin")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.append(Playbook.model_validate(yaml.safe_load(entry.read_text("utf-8"))))
    return tuple(found)


class Vocabulary(NamedTuple):
    """What of the plan a playbook may name: all a check of it depends on."""

    roles: tuple[str, ...]
    types: tuple[str, ...]
    severities: tuple[str, ...]

    @classmethod
    def of(cls, plan: Plan) -> Vocabulary:
        return cls(
            tuple(r.key for r in plan.roles),
            tuple(t.key for t in plan.incident_types),
            tuple(s.key for s in plan.severities),
        )

    def problems(self, playbook: Playbook, at: Location = ()) -> list[Any]:
        return playbook_problems(
            playbook,
            at,
            roles=list(self.roles),
            types=list(self.types),
            severities=list(self.severities),
        )


def problems_in(plan: Plan, playbook: Playbook, at: Location = ()) -> list[Any]:
    return Vocabulary.of(plan).problems(playbook, at)


def available(session: Session, plan: Plan) -> dict[str, Entry]:
    """Every playbook in effect, by key, sorted by name. A built-in one that
    names a role, type or severity the plan lacks is left out: a plan with
    its own vocabulary should not inherit steps for roles it does not have."""
    found: dict[str, Entry] = {
        p.key: Entry(p, BUILTIN) for p in builtin_playbooks() if not problems_in(plan, p)
    }
    found.update({p.key: Entry(p, PLAN) for p in plan.playbooks})
    vocabulary = Vocabulary.of(plan)
    for stored in session.scalars(select(StoredPlaybook)):
        try:
            found[stored.key] = Entry(_stored(stored.source, vocabulary), STORED)
        except PlanError:
            continue  # the plan changed under it; the editor shows why
    return dict(sorted(found.items(), key=lambda item: item[1].playbook.name.lower()))


def get(session: Session, plan: Plan, key: str) -> Entry:
    entries = available(session, plan)
    if key not in entries:
        raise NotFound(f"no playbook {key!r}; there are {', '.join(entries) or 'none'}")
    return entries[key]


def load_playbook_text(text: str, plan: Plan, source: str = "playbook.yaml") -> Playbook:
    """A playbook from YAML, checked against the plan's roles, types and
    severities; PlanError lists every problem with its line and column."""
    return load_yaml_model(text, Playbook, source, lambda playbook: problems_in(plan, playbook))


@lru_cache(maxsize=512)
def _stored(text: str, vocabulary: Vocabulary) -> Playbook:
    """A stored playbook, read once for each text and plan vocabulary: every
    incident page and declaration lists the playbooks, and reading one from
    YAML takes about 3 ms. Like the built-in ones, the result is shared."""
    return load_yaml_model(text, Playbook, "playbook.yaml", vocabulary.problems)


def to_yaml(playbook: Playbook) -> str:
    """The playbook as a file would say it, without the defaults."""
    data = playbook.model_dump(mode="json", exclude_defaults=True)
    data = {"key": playbook.key, "name": playbook.name, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
