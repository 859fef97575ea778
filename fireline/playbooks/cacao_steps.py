"""One step of a foreign CACAO workflow as a fireline step for a person.
Pure; the document has been checked (``cacao_check``).

An action step's instructions are its description and manual commands,
with every command fireline does not run kept as a code block; a
condition step becomes a decision a person makes; a playbook-action step
says which playbook to run. Every liberty taken is a ``Note``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fireline.playbooks.cacao_common import EXTENSION_ID
from fireline.playbooks.cacao_graph import Guard, Walk, WalkedStep
from fireline.playbooks.cacao_http import http_action
from fireline.playbooks.cacao_text import (
    code,
    command_text,
    guess_phase,
    short,
    written_command,
)
from fireline.playbooks.schema import HttpAction, Step

TITLE_LIMIT = 300

# Step properties with no place in a fireline step, reported when present.
UNMAPPED = (
    "step_variables",
    "in_args",
    "out_args",
    "delay",
    "timeout",
    "owner",
    "external_references",
)
# What a person does with a condition fireline cannot evaluate.
DECISIONS = {
    "if-condition": "decide whether the condition holds, carry out the steps of the branch "
    "that applies and skip the others, giving the reason",
    "switch-condition": "decide which case applies, carry out the steps of its branch and "
    "skip the others, giving the reason",
    "while-condition": "decide whether the condition holds; its loop is listed once, so "
    "repeat the loop's steps by hand while it does",
}


@dataclass(frozen=True)
class Note:
    """Something that could not be carried over exactly: ``step_id`` is the
    CACAO step it is about (None: the playbook)."""

    step_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.step_id}: {self.message}" if self.step_id else self.message


class StepReader:
    def __init__(self, document: Mapping[str, Any], walked: Walk):
        self.workflow: Mapping[str, Mapping[str, Any]] = document["workflow"]
        self.definitions: dict[str, Any] = {
            **_dict(document.get("target_definitions")),
            **_dict(document.get("agent_definitions")),
        }
        self.notes: list[Note] = []
        self.agents: list[str] = []  # names of agents written into instructions
        self._titles: dict[str, str] = {}
        self._walked = {item.step_id for item in walked.steps}

    def title(self, step_id: str) -> str:
        if step_id not in self._titles:
            self._titles[step_id] = self._make_title(step_id)
        return self._titles[step_id]

    def step(self, item: WalkedStep, key: str, after: list[str]) -> Step:
        step_id = item.step_id
        step = self.workflow[step_id]
        kind = step["type"]
        parts = [self._guard(guard) for guard in item.guards]
        title = self.title(step_id)
        description = step.get("description", "").strip()
        if description and description != title:
            parts.append(description)
        action = None
        activities: list[str] = []
        if kind == "action":
            action, activities = self._commands(step_id, step, parts)
            parts.extend(self._agent_lines(step))
        elif kind == "playbook-action":
            parts.append(self._playbook_action(step_id, step))
        else:
            parts.append(self._decision(step_id, step))
        unmapped = [name for name in UNMAPPED if name in step]
        unmapped += [
            f"step_extensions {name}"
            for name in step.get("step_extensions", {})
            if name != EXTENSION_ID  # fireline's own, reported when it is not valid
        ]
        if unmapped:
            self._note(step_id, f"not mapped: {', '.join(unmapped)}")
        sources = [("name", step.get("name", "")), ("description", description)]
        phase, why = guess_phase(sources, activities)
        self._note(step_id, f"phase {phase}: {why}")
        return Step(
            key=key,
            title=title,
            phase=phase,
            instructions="\n\n".join(part for part in parts if part),
            after=after,
            action=action,
        )

    def _make_title(self, step_id: str) -> str:
        step = self.workflow[step_id]
        kind = step["type"]
        name = step.get("name", "").strip()
        text = name or step.get("description", "").strip()
        if not text and kind == "playbook-action":
            text = f"Run playbook {step['playbook_id']}"
        elif not text and kind == "switch-condition":
            text = f"Decide: {step['switch']}"
        elif not text and kind in ("if-condition", "while-condition"):
            text = f"Decide: {step['condition']}"
        elif not text:
            first: Mapping[str, Any] = next(iter(step.get("commands", [])), {})
            text = command_text(first)[0] or f"Step {step_id}"
        title = short(text, TITLE_LIMIT) or f"Step {step_id}"
        if name and title != name:
            self._note(step_id, f"its name is cut to a title of {TITLE_LIMIT} characters")
        return title

    def _commands(
        self, step_id: str, step: Mapping[str, Any], parts: list[str]
    ) -> tuple[HttpAction | None, list[str]]:
        action = None
        activities: list[str] = []
        for command in step.get("commands", []):
            kind = command["type"]
            if isinstance(command.get("playbook_activity"), str):
                activities.append(command["playbook_activity"])
            if kind == "manual":
                text, problem = command_text(command)
                described = command.get("description", "").strip()
                parts.extend(part for part in (described, text.strip()) if part)
                if problem:
                    self._note(step_id, f"a manual command: {problem}")
                continue
            if kind == "http-api":
                if action is None:
                    mapped = http_action(command, step, self.definitions)
                    if mapped.action is not None:
                        action = mapped.action
                        self._note(step_id, mapped.explanation)
                        continue
                    why = mapped.explanation
                else:
                    why = "a step has one HTTP action, and it already has one"
                self._note(step_id, f"an http-api command is kept in the instructions: {why}")
            else:
                self._note(
                    step_id,
                    f"its {kind} command is kept in the instructions as a code block: fireline "
                    "runs only HTTP requests to configured endpoints, so a person carries it out",
                )
            text, problem = written_command(command)
            parts.append(text)
            if problem:
                self._note(step_id, f"a {kind} command: {problem}")
        return action, activities

    def _agent_lines(self, step: Mapping[str, Any]) -> list[str]:
        lines = []
        agent = self._entity(step.get("agent"))
        if agent is not None and agent[1] != "http-api":
            lines.append(f"Carried out by: {agent[0]} ({agent[1]}).")
            if agent[0] not in self.agents:
                self.agents.append(agent[0])
        targets = [self._entity(target) for target in step.get("targets", [])]
        named = [f"{name} ({kind})" for name, kind in filter(None, targets)]
        if named:
            lines.append(f"Targets: {', '.join(named)}.")
        return lines

    def _entity(self, entity_id: Any) -> tuple[str, str] | None:
        if not isinstance(entity_id, str):
            return None
        entity = self.definitions.get(entity_id)
        if not isinstance(entity, dict):
            return (entity_id, "not defined in the playbook")
        return str(entity.get("name") or entity_id), str(entity.get("type", "agent"))

    def _playbook_action(self, step_id: str, step: Mapping[str, Any]) -> str:
        playbook_id = step["playbook_id"]
        lines = [f"Run the playbook {code(playbook_id)}"]
        if isinstance(step.get("playbook_version"), str):
            lines[0] += f" (version {step['playbook_version']})"
        lines[0] += "."
        self._note(
            step_id,
            f"a playbook-action: fireline does not start another playbook from a step, so "
            f"a person runs {playbook_id} (or adds its fireline playbook to the incident)",
        )
        return "\n".join(lines)

    def _decision(self, step_id: str, step: Mapping[str, Any]) -> str:
        kind = step["type"]
        if kind == "switch-condition":
            branches = [
                f"- {'none of the above' if case == 'default' else code(str(case))}: "
                f"{self._head(target)}"
                for case, target in step["cases"].items()
            ]
            text = f"Value to decide on: {code(step['switch'])}"
        elif kind == "while-condition":
            branches = [f"- While it holds: {self._head(step['on_true'])}"]
            text = f"Condition (STIX pattern): {code(step['condition'])}"
        else:
            branches = [f"- If it holds: {self._head(step['on_true'])}"]
            if "on_false" in step:
                branches.append(f"- If not: {self._head(step['on_false'])}")
            text = f"Condition (STIX pattern): {code(step['condition'])}"
        self._note(
            step_id, f"this {kind} is not evaluated by fireline: a person must {DECISIONS[kind]}"
        )
        advice = f"fireline does not evaluate this: {DECISIONS[kind]}."
        return f"{text}\n\n{advice}\n\n" + "\n".join(branches)

    def _head(self, target: str, seen: frozenset[str] = frozenset()) -> str:
        """What a branch starts with, in words."""
        kind = self.workflow[target]["type"]
        if kind == "end":
            return "nothing (the branch ends)"
        if target in self._walked:
            return f"“{self.title(target)}”"
        if kind == "parallel" and target not in seen:
            nexts = self.workflow[target]["next_steps"]
            heads = [self._head(t, seen | {target}) for t in nexts]
            return "side by side: " + ", ".join(heads) if heads else "nothing"
        return target

    def _guard(self, guard: Guard) -> str:
        step = self.workflow[guard.step_id]
        where = f"(decided in step “{self.title(guard.step_id)}”)"
        if guard.kind == "true":
            return f"**Only if** {code(step['condition'])} holds {where}."
        if guard.kind == "false":
            return f"**Only if** {code(step['condition'])} does not hold {where}."
        if guard.kind == "case":
            return f"**Only if** {code(step['switch'])} is {code(guard.case)} {where}."
        if guard.kind == "default":
            return f"**Only if** {code(step['switch'])} matches none of the cases {where}."
        if guard.kind == "loop":
            checked = f"(checked in step “{self.title(guard.step_id)}”)"
            return f"**Repeat while** {code(step['condition'])} holds {checked}."
        outcome = "failed" if guard.kind == "failed" else "succeeded"
        return f"**Only if** step “{self.title(guard.step_id)}” {outcome}."

    def _note(self, step_id: str, message: str) -> None:
        self.notes.append(Note(step_id, message))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
