"""Reading the plan file: YAML with every node's position, validated against the
schema, with each problem reported as ``file:line:column: path: message``."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fireline.plan.schema import Plan, reference_problems

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class PlanProblem:
    path: str
    line: int
    column: int
    message: str

    def render(self, source: str) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{source}:{self.line}:{self.column}: {where}{self.message}"


class PlanError(Exception):
    def __init__(self, source: str, problems: list[PlanProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(p.render(source) for p in problems))


@cache
def default_data() -> dict[str, Any]:
    text = resources.files("fireline.plan").joinpath("defaults.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def default_plan() -> Plan:
    return Plan.model_validate(default_data())


def load_plan_file(path: Path) -> Plan:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(
            str(path), [PlanProblem("", 1, 1, f"cannot read the plan: {exc}")]
        ) from None
    return load_plan_text(text, str(path))


def load_effective_plan(path: Path | None) -> Plan:
    """The plan in ``path`` over the built-in defaults, or the defaults alone."""
    return load_plan_file(path) if path is not None else default_plan()


def load_plan_text(text: str, source: str = "fireline.yaml") -> Plan:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PlanError(
            source, [PlanProblem("", line, column, f"not valid YAML: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise PlanError(source, [PlanProblem("", 1, 1, f"not valid YAML: {exc}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlanError(source, [PlanProblem("", 1, 1, "the plan must be a mapping of sections")])
    positions: dict[Location, tuple[int, int]] = {}
    if root is not None:
        _record_positions(root, (), positions)
    merged = {**default_data(), **data}
    try:
        plan = Plan.model_validate(merged)
    except ValidationError as exc:
        problems = [_problem(error, positions) for error in exc.errors()]
        raise PlanError(source, _unique(problems)) from None
    references = [
        _at(location, _built_in_hint(location, message, data), positions)
        for location, message in reference_problems(plan)
    ]
    if references:
        raise PlanError(source, references)
    return plan


def _built_in_hint(location: Location, message: str, data: dict[str, Any]) -> str:
    """A problem inside a section the file left to the defaults needs saying so."""
    section = str(location[0]) if location else ""
    if section and section not in data:
        return f"{message} (in the built-in {section}; define {section} in your plan to replace it)"
    return message


def _record_positions(
    node: yaml.Node, path: Location, positions: dict[Location, tuple[int, int]]
) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # Unknown keys are reported at the key itself.
            positions[(*path, "<key>", key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _record_positions(value_node, (*path, key), positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, (*path, index), positions)


def _position(location: Location, positions: dict[Location, tuple[int, int]]) -> tuple[int, int]:
    for end in range(len(location), -1, -1):
        if location[:end] in positions:
            return positions[location[:end]]
    return (1, 1)


def _at(
    location: Location, message: str, positions: dict[Location, tuple[int, int]]
) -> PlanProblem:
    line, column = _position(location, positions)
    return PlanProblem(_dotted(location), line, column, message)


def _problem(error: Any, positions: dict[Location, tuple[int, int]]) -> PlanProblem:
    location: Location = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(location[-1])
        line, column = positions.get((*location[:-1], "<key>", key), _position(location, positions))
        message = f"unknown key {key!r}"
        suggestion = difflib.get_close_matches(key, _fields_at(location[:-1]), n=1)
        if suggestion:
            message += f"; did you mean {suggestion[0]!r}?"
        return PlanProblem(_dotted(location), line, column, message)
    if kind == "missing":
        return _at(location, "this key is required", positions)
    message = str(error["msg"]).removeprefix("Value error, ")
    return _at(location, message, positions)


def _fields_at(location: Location) -> list[str]:
    """The keys the schema allows at ``location``, for did-you-mean suggestions."""
    model: Any = Plan
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = field.annotation
        while (
            typing.get_origin(model) in (list, typing.Union)
            or str(typing.get_origin(model)) == "<class 'types.UnionType'>"
        ):
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[0] if args else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _unique(problems: list[PlanProblem]) -> list[PlanProblem]:
    seen: set[PlanProblem] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
