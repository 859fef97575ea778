"""Is this a CACAO 2.0 playbook fireline can read? Pure.

Checks the shape the import relies on (the document, its workflow, every
step and its pointers, commands, agents and targets) and raises
``InvalidInput`` naming the field at fault, so that whatever JSON a client
sends, the import either works or says clearly why not. It does not check
the whole specification: properties the import does not read are left to
whoever wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fireline.core.errors import InvalidInput
from fireline.playbooks.cacao_common import SPEC_VERSION

STEP_TYPES = (
    "start",
    "end",
    "action",
    "playbook-action",
    "parallel",
    "if-condition",
    "while-condition",
    "switch-condition",
)
POINTERS = ("on_completion", "on_success", "on_failure", "on_true", "on_false")
TEXT_FIELDS = ("name", "description", "condition", "switch", "playbook_id", "agent")
COMMAND_TEXT = ("type", "command", "command_b64", "content", "content_b64", "description")


def check_document(document: Any) -> None:
    if not isinstance(document, dict):
        raise InvalidInput("a CACAO playbook is a JSON object", field=None)
    if document.get("type") != "playbook":
        raise InvalidInput(
            f"expected type 'playbook', got {_shown(document.get('type'))}", field="type"
        )
    if document.get("spec_version") != SPEC_VERSION:
        raise InvalidInput(
            f"only CACAO 2.0 playbooks can be imported (spec_version '{SPEC_VERSION}'), "
            f"got {_shown(document.get('spec_version'))}",
            field="spec_version",
        )
    for name in ("name", "description"):
        _text(document, name, name)
    workflow = document.get("workflow")
    if not isinstance(workflow, dict) or not workflow:
        raise InvalidInput("the playbook has no workflow: an object of steps", field="workflow")
    start = document.get("workflow_start")
    if not isinstance(start, str):
        raise InvalidInput("the id of the first step is missing", field="workflow_start")
    if start not in workflow:
        raise InvalidInput(f"no step {start!r} in the workflow", field="workflow_start")
    for name in (
        "agent_definitions",
        "target_definitions",
        "playbook_extensions",
        "playbook_variables",
    ):
        if name in document and not isinstance(document[name], dict):
            raise InvalidInput("expected an object", field=name)
    for step_id, step in workflow.items():
        _check_step(workflow, step_id, step)


def _check_step(workflow: Mapping[str, Any], step_id: str, step: Any) -> None:
    at = f"workflow.{step_id}"
    if not isinstance(step, dict):
        raise InvalidInput("a workflow step is an object", field=at)
    kind = step.get("type")
    if kind not in STEP_TYPES:
        raise InvalidInput(
            f"unknown step type {_shown(kind)}; expected one of {', '.join(STEP_TYPES)}",
            field=f"{at}.type",
        )
    for name in TEXT_FIELDS:
        _text(step, name, f"{at}.{name}")
    for name in POINTERS:
        if name in step:
            _pointer(workflow, step[name], f"{at}.{name}")
    required = {
        "if-condition": ("condition", "on_true"),
        "while-condition": ("condition", "on_true"),
        "switch-condition": ("switch", "cases"),
        "parallel": ("next_steps",),
        "playbook-action": ("playbook_id",),
    }.get(kind, ())
    for name in required:
        if name not in step:
            raise InvalidInput(f"a {kind} step needs {name}", field=f"{at}.{name}")
    if "cases" in step:
        cases = step["cases"]
        if not isinstance(cases, dict):
            raise InvalidInput(
                "expected an object of case values and step ids", field=f"{at}.cases"
            )
        for case, target in cases.items():
            _pointer(workflow, target, f"{at}.cases.{case}")
    for name in ("next_steps", "targets"):
        if name in step:
            _id_list(workflow if name == "next_steps" else None, step[name], f"{at}.{name}")
    if "step_extensions" in step and not isinstance(step["step_extensions"], dict):
        raise InvalidInput("expected an object", field=f"{at}.step_extensions")
    if "commands" in step:
        _check_commands(step["commands"], f"{at}.commands")


def _check_commands(commands: Any, at: str) -> None:
    if not isinstance(commands, list):
        raise InvalidInput("expected a list of commands", field=at)
    for index, command in enumerate(commands):
        where = f"{at}[{index}]"
        if not isinstance(command, dict):
            raise InvalidInput("a command is an object", field=where)
        if not isinstance(command.get("type"), str):
            raise InvalidInput("a command needs a type, like manual or http-api", field=where)
        for name in COMMAND_TEXT:
            _text(command, name, f"{where}.{name}")
        headers = command.get("headers")
        if headers is None:
            continue
        if not isinstance(headers, dict):
            raise InvalidInput("expected an object of header names", field=f"{where}.headers")
        for name, values in headers.items():
            listed = values if isinstance(values, list) else [values]
            if not all(isinstance(value, str) for value in listed):
                raise InvalidInput("expected a list of strings", field=f"{where}.headers.{name}")


def _pointer(workflow: Mapping[str, Any], target: Any, at: str) -> None:
    if not isinstance(target, str):
        raise InvalidInput("expected the id of a step", field=at)
    if target not in workflow:
        raise InvalidInput(f"no step {target!r} in the workflow", field=at)


def _id_list(workflow: Mapping[str, Any] | None, value: Any, at: str) -> None:
    if not isinstance(value, list):
        raise InvalidInput("expected a list of ids", field=at)
    for index, item in enumerate(value):
        if workflow is None:
            if not isinstance(item, str):
                raise InvalidInput("expected an id", field=f"{at}[{index}]")
        else:
            _pointer(workflow, item, f"{at}[{index}]")


def _text(container: Mapping[str, Any], name: str, at: str) -> None:
    if name in container and not isinstance(container[name], str):
        raise InvalidInput("expected a string", field=at)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
