"""Reading a playbook someone hands us: fireline YAML as it is, or an OASIS
CACAO 2.0 playbook (JSON) turned into fireline YAML, with notes on what
could not be carried over exactly."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from fireline.core.errors import InvalidInput
from fireline.plan.schema import Plan
from fireline.playbooks import library
from fireline.playbooks.cacao_import import from_cacao


@dataclass(frozen=True)
class Imported:
    format: str  # yaml or cacao
    source: str  # fireline YAML, ready to store
    notes: list[str] = field(default_factory=list)


def read(content: str, plan: Plan, *, types: Sequence[str] = ()) -> Imported:
    if not content.lstrip().startswith("{"):
        return Imported("yaml", content)
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", field="content"
        ) from None
    known = [t.key for t in plan.incident_types]
    unknown = [t for t in types if t not in known]
    if unknown:
        raise InvalidInput(
            f"unknown incident type {unknown[0]!r}; the plan has {', '.join(known)}", field="types"
        )
    result = from_cacao(document, default_types=list(types) or None)
    missing = [t for t in result.playbook.types if t not in known]
    if missing:
        raise InvalidInput(
            f"this CACAO playbook does not say which incident types it is for; "
            f"name them (the plan has {', '.join(known)})",
            field="types",
        )
    return Imported("cacao", library.to_yaml(result.playbook), [str(n) for n in result.notes])
