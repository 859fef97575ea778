"""An OASIS CACAO 2.0 playbook (JSON) as a fireline playbook, with a note for
everything that could not be carried over exactly. Pure.

A playbook fireline exported carries the fireline extension, and comes back
exactly as it was. Any other CACAO playbook is read for what a team can do
with it: its workflow is walked from ``workflow_start`` (``cacao_graph``)
and every action, condition and playbook-action step becomes a step for a
person, with what fireline cannot run (conditions, shell commands, other
playbooks) written into the instructions and reported in the notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fireline.core.errors import InvalidInput
from fireline.playbooks import cacao_steps
from fireline.playbooks.cacao_check import check_document
from fireline.playbooks.cacao_common import EXTENSION_ID, PlaybookExtension, StepExtension
from fireline.playbooks.cacao_graph import Walk, WalkedStep, walk
from fireline.playbooks.cacao_steps import Note
from fireline.playbooks.cacao_text import Keys, code, short, slug
from fireline.playbooks.schema import Playbook, Step

# Incident types when neither the document nor the caller says: CACAO
# playbooks are security playbooks.
FALLBACK_TYPES = ["security_incident"]

# Playbook properties with no place in a fireline playbook, reported when present.
UNMAPPED = (
    "workflow_exception",
    "priority",
    "severity",
    "impact",
    "industry_sectors",
    "labels",
    "external_references",
    "markings",
    "data_marking_definitions",
    "signatures",
    "valid_from",
    "valid_until",
    "revoked",
    "derived_from",
    "related_to",
    "authentication_info_definitions",
)

__all__ = ["FALLBACK_TYPES", "ImportResult", "Note", "from_cacao"]


@dataclass(frozen=True)
class ImportResult:
    playbook: Playbook
    notes: list[Note]


def from_cacao(document: Any, *, default_types: list[str] | None = None) -> ImportResult:
    """The fireline playbook for a CACAO 2.0 ``document`` (parsed JSON).

    Raises ``InvalidInput`` naming the field when the document is not a
    CACAO 2.0 playbook fireline can read."""
    check_document(document)
    importer = _Importer(document)
    return importer.run(default_types)


class _Importer:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.workflow: dict[str, dict[str, Any]] = document["workflow"]
        self.notes: list[Note] = []
        self.extension = _playbook_extension(document, self.notes)

    def run(self, default_types: list[str] | None) -> ImportResult:
        walked = walk(self.workflow, self.document["workflow_start"])
        reader = cacao_steps.StepReader(self.document, walked)
        steps = self._steps(walked, reader)
        if not steps:
            raise InvalidInput(
                "the workflow reaches no action or playbook-action step", field="workflow"
            )
        self.notes.extend(reader.notes)
        self._report_walk(walked, reader)
        self._report_playbook(reader)
        playbook = self._playbook(steps, default_types)
        return ImportResult(playbook, self.notes)

    def _steps(self, walked: Walk, reader: cacao_steps.StepReader) -> list[Step]:
        keys = Keys()
        restored: dict[str, StepExtension] = {}
        for item in walked.steps:
            extension = self._step_extension(item.step_id)
            if extension is not None and keys.reserve(extension.key):
                restored[item.step_id] = extension
            elif extension is not None:
                self._note(item.step_id, f"its fireline key {extension.key!r} is used twice")
        key_of: dict[str, str] = {}
        steps: list[Step] = []
        for item in walked.steps:
            step = None
            if item.step_id in restored:
                step = self._restored(item, restored[item.step_id], key_of)
            if step is None:
                key = keys.make(reader.title(item.step_id), "step")
                after = [key_of[step_id] for step_id in item.after]
                step = reader.step(item, key, after)
            key_of[item.step_id] = step.key
            steps.append(step)
        return steps

    def _step_extension(self, step_id: str) -> StepExtension | None:
        step = self.workflow[step_id]
        data = step.get("step_extensions", {}).get(EXTENSION_ID)
        if data is None or step["type"] != "action":
            return None
        try:
            return StepExtension.model_validate(data)
        except ValidationError as exc:
            self._note(step_id, f"its fireline extension is not valid ({_problem(exc)})")
            return None

    def _restored(
        self, item: WalkedStep, extension: StepExtension, key_of: Mapping[str, str]
    ) -> Step | None:
        """The step exactly as fireline exported it."""
        step = self.workflow[item.step_id]
        earlier = set(key_of.values())
        after = [key for key in extension.after if key in earlier]
        for key in extension.after:
            if key not in earlier:
                self._note(item.step_id, f"it waits for {key!r}, which is not an earlier step")
        manual = next(
            (c for c in step.get("commands", []) if c.get("type") == "manual"), {"command": ""}
        )
        try:
            return Step(
                key=extension.key,
                title=step.get("name", ""),
                phase=extension.phase,
                instructions=manual.get("command", ""),
                owner_role=extension.owner_role,
                when=extension.when,
                approval=extension.approval,
                after=after,
                action=extension.action,
            )
        except ValidationError as exc:
            self._note(item.step_id, f"its fireline data does not make a step ({_problem(exc)})")
            return None

    def _playbook(self, steps: list[Step], default_types: list[str] | None) -> Playbook:
        document = self.document
        name = document.get("name", "")
        description = document.get("description", "")
        if self.extension is not None:
            key, types = self.extension.key, self.extension.types
            severities = self.extension.severities
        else:
            key = slug(name) or "imported_playbook"
            types, severities = self._types(default_types), []
            description = "\n\n".join(part for part in (description, _variables(document)) if part)
        if not name or len(name) > 200:
            shown = short(name or description or str(document.get("id", "")), 200)
            name = shown or "Imported playbook"
            self.notes.append(
                Note(None, f"the playbook's name is empty or too long, so it is {name!r}")
            )
        try:
            return Playbook(
                key=key,
                name=name,
                description=description,
                types=types,
                severities=severities,
                steps=steps,
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error.get("loc") else None
            if field == "types" and self.extension is None:
                field = "default_types"
            raise InvalidInput(f"cannot import: {_problem(exc)}", field=field) from exc

    def _types(self, default_types: list[str] | None) -> list[str]:
        if default_types:
            self.notes.append(
                Note(None, f"CACAO has no incident types: set to {', '.join(default_types)}")
            )
            return list(default_types)
        self.notes.append(
            Note(
                None,
                f"CACAO has no incident types and none were given: set to "
                f"{', '.join(FALLBACK_TYPES)}; change them to incident types of the plan",
            )
        )
        return list(FALLBACK_TYPES)

    def _report_walk(self, walked: Walk, reader: cacao_steps.StepReader) -> None:
        for loop in walked.loops:
            target = f"“{reader.title(loop.target_id)}” ({loop.target_id})"
            self._note(
                loop.step_id,
                f"its {loop.pointer} leads back to {target}, a step already listed: "
                "fireline runs each step once, so the loop is left out; repeat by hand if needed",
            )
        for step_id, step in self.workflow.items():
            if step_id not in walked.reached:
                self._note(
                    step_id,
                    f"this {step['type']} step is not reachable from workflow_start and is left out",
                )

    def _report_playbook(self, reader: cacao_steps.StepReader) -> None:
        document = self.document
        present = [name for name in UNMAPPED if name in document]
        if "severity" in document:
            self.notes.append(
                Note(
                    None,
                    f"the playbook's CACAO severity {document['severity']!r} (0 to 100) is not "
                    "mapped: "
                    "fireline severities are the plan's, and the playbook applies to all of them",
                )
            )
            present.remove("severity")
        if present:
            self.notes.append(
                Note(
                    None,
                    f"not imported, fireline playbooks have no place for: {', '.join(present)}",
                )
            )
        if document.get("playbook_variables") and self.extension is None:
            self.notes.append(
                Note(
                    None,
                    "the playbook's variables are listed in its description; fireline does not fill in "
                    "CACAO variables (__name__:value) in the steps",
                )
            )
        if reader.agents:
            self.notes.append(
                Note(
                    None,
                    "CACAO agents are not fireline roles, so imported steps have no owner role; "
                    f"their instructions name the agent ({', '.join(reader.agents)})",
                )
            )
        for extension_id in document.get("playbook_extensions", {}):
            if extension_id != EXTENSION_ID:
                self.notes.append(Note(None, f"the extension {extension_id} is not understood"))

    def _note(self, step_id: str | None, message: str) -> None:
        self.notes.append(Note(step_id, message))


def _playbook_extension(document: Mapping[str, Any], notes: list[Note]) -> PlaybookExtension | None:
    data = document.get("playbook_extensions", {}).get(EXTENSION_ID)
    if data is None:
        return None
    try:
        return PlaybookExtension.model_validate(data)
    except ValidationError as exc:
        notes.append(
            Note(None, f"the playbook's fireline extension is not valid ({_problem(exc)})")
        )
        return None


def _variables(document: Mapping[str, Any]) -> str:
    variables = document.get("playbook_variables") or {}
    lines = []
    for name, variable in variables.items():
        if not isinstance(variable, dict):
            continue
        line = f"- {code(str(name))}"
        if isinstance(variable.get("type"), str):
            line += f" ({variable['type']})"
        if "value" in variable:
            line += f": {code(str(variable['value']))}"
        if isinstance(variable.get("description"), str):
            line += f" — {variable['description']}"
        lines.append(line)
    return "Variables:\n\n" + "\n".join(lines) if lines else ""


def _problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    return f"{where}: {message}" if where else message
