"""Reading the plan file: YAML with every node's position, laid over the built-in
defaults, validated against the schema, with each problem reported as
``file:line:column: path: message``.

Merging is one rule: a top-level section present in the file replaces the
built-in section of the same name; sections the file leaves out keep theirs.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from fireline.plan.checks import Location, Problem, dotted, plan_problems
from fireline.plan.schema import DEFER_CHECKS, Plan

# Marks a mapping key's own position in the positions map, next to its value's.
_KEY = "<key>"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# Far more than any real plan holds (the built-in one is about 300 values).
MAX_NODES = 100_000

Positions = dict[Location, tuple[int, int]]


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
    """An unusable plan, with every problem found (not only the first)."""

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


@cache
def default_plan() -> Plan:
    """The built-in plan, checked by the same rules as any plan file."""
    return Plan.model_validate(default_data())


def load_plan_file(path: Path) -> Plan:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = PlanProblem("", 1, 1, f"cannot read the plan: {exc}")
        raise PlanError(str(path), [problem]) from None
    return load_plan_text(text, str(path))


def load_effective_plan(path: Path | None) -> Plan:
    """The plan in ``path`` over the built-in defaults, or the defaults alone.

    Raises PlanError when the file is missing or invalid: a server must not
    start with a plan other than the one its operators wrote.
    """
    return load_plan_file(path) if path is not None else default_plan()


def load_plan_text(text: str, source: str = "fireline.yaml") -> Plan:
    data, positions, problems = _parse(text, source)
    try:
        plan = Plan.model_validate(merge(data), context={DEFER_CHECKS: True})
    except ValidationError as exc:
        problems += [_schema_problem(error, positions) for error in exc.errors()]
        raise PlanError(source, _in_file_order(problems)) from None
    problems += _check_problems(plan_problems(plan), data, positions)
    if problems:
        raise PlanError(source, _in_file_order(problems))
    return plan


Model = TypeVar("Model", bound=BaseModel)


def load_yaml_model(
    text: str,
    model: type[Model],
    source: str,
    checks: Callable[[Model], list[Problem]] = lambda _: [],
) -> Model:
    """Any YAML document fireline reads (a playbook, an exercise scenario) the
    way it reads the plan: every problem, schema or ``checks``, at its line
    and column, with "did you mean" for unknown keys."""
    data, positions, problems = _parse(text, source)
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        problems += [_schema_problem(error, positions, model) for error in exc.errors()]
        raise PlanError(source, _in_file_order(problems)) from None
    problems += [_at(problem, problem.message, positions) for problem in checks(value)]
    if problems:
        raise PlanError(source, _in_file_order(problems))
    return value


def merge(data: dict[str, Any]) -> dict[str, Any]:
    """The file's sections over the built-in ones, whole sections at a time.

    No deep merge: a section in the file is all that section holds, so reading
    the file tells you the plan without knowing the defaults by heart.
    """
    return {**default_data(), **data}


def _parse(text: str, source: str) -> tuple[dict[str, Any], Positions, list[PlanProblem]]:
    """The document as data, where each node sits, and duplicate keys (which
    PyYAML would otherwise resolve silently in favour of the last)."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        # Raised before any mark exists: work the position out from the offset.
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        message = f"not valid YAML: character {exc.character:#06x} is not allowed"
        raise PlanError(source, [PlanProblem("", line, column, message)]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return {}, {}, []  # empty, or only comments: the built-in plan
        _check_size(root, source)
        # Before construction: building the data flattens merge keys in place.
        duplicates = _duplicate_keys(root, (), set())
        impossible = _impossible_dates(loader, root, (), set())
        if impossible:  # the document cannot be built: report what is known so far
            found = sorted(duplicates + impossible, key=lambda p: (p.line, p.column))
            raise PlanError(source, found)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise PlanError(source, [_syntax_problem(exc)]) from None
    except yaml.YAMLError as exc:
        raise PlanError(source, [PlanProblem("", 1, 1, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line, column = root.start_mark.line + 1, root.start_mark.column + 1
        problem = PlanProblem("", line, column, "the plan must be a mapping of sections")
        raise PlanError(source, [problem])
    positions: Positions = {}
    _record_positions(root, (), positions, set())
    return data, positions, duplicates


def _syntax_problem(exc: yaml.MarkedYAMLError) -> PlanProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"not valid YAML: {exc.problem or exc.context}"
    if exc.context and exc.context_mark and exc.problem:
        start = exc.context_mark
        message += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
    return PlanProblem("", line, column, message)


def _check_size(root: yaml.Node, source: str) -> None:
    """Refuse aliases that refer to themselves or expand beyond any sensible plan:
    both would make validation run forever or exhaust memory."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, active: frozenset[int]) -> int:
        if id(node) in active:
            raise _TooLarge(node, "an alias refers to a node that contains it")
        if id(node) not in sizes:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            inner = active | {id(node)}
            sizes[id(node)] = 1 + sum(size(child, inner) for child in children)
            if sizes[id(node)] > MAX_NODES:
                raise _TooLarge(node, f"the plan expands to more than {MAX_NODES} values")
        return sizes[id(node)]

    try:
        size(root, frozenset())
    except _TooLarge as exc:
        mark = exc.node.start_mark
        problem = PlanProblem("", mark.line + 1, mark.column + 1, exc.message)
        raise PlanError(source, [problem]) from None


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


def _duplicate_keys(node: yaml.Node, path: Location, seen: set[int]) -> list[PlanProblem]:
    # Each node once: an alias repeats its anchor, whose problems are already reported.
    if id(node) in seen:
        return []
    seen.add(id(node))
    problems: list[PlanProblem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in first:
                earlier = first[key].start_mark.line + 1
                message = f"duplicate key {key!r}: it is already set on line {earlier}"
                mark = key_node.start_mark
                location = dotted((*path, key))
                problems.append(PlanProblem(location, mark.line + 1, mark.column + 1, message))
            else:
                first[key] = key_node
            problems += _duplicate_keys(value_node, (*path, key), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, (*path, index), seen)
    return problems


def _impossible_dates(
    loader: yaml.SafeLoader, node: yaml.Node, path: Location, seen: set[int]
) -> list[PlanProblem]:
    """Scalars that read as dates but name none (2026-02-30): building them
    raises a bare ValueError, with no position, where the rest are YAML errors."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag != _TIMESTAMP_TAG:
            return []
        try:
            loader.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            mark = node.start_mark
            message = f"{node.value!r} is not a date: {exc}"
            return [PlanProblem(dotted(path), mark.line + 1, mark.column + 1, message)]
        return []
    children: list[tuple[Location, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            children += [(path, key_node), ((*path, key), value_node)]
    elif isinstance(node, yaml.SequenceNode):
        children = [((*path, index), item) for index, item in enumerate(node.value)]
    return [p for where, child in children for p in _impossible_dates(loader, child, where, seen)]


def _record_positions(
    node: yaml.Node, path: Location, positions: Positions, seen: set[int]
) -> None:
    # Each node once: values reached through an alias are reported at the alias's key.
    if id(node) in seen:
        return
    seen.add(id(node))
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            mark = key_node.start_mark
            positions[(*path, _KEY, key)] = (mark.line + 1, mark.column + 1)
            _record_positions(value_node, (*path, key), positions, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, (*path, index), positions, seen)


def _position(location: Location, positions: Positions, at_key: bool = False) -> tuple[int, int]:
    """Where ``location`` is written; for a value the file lacks, its closest parent."""
    if at_key and location:
        key_position = positions.get((*location[:-1], _KEY, str(location[-1])))
        if key_position is not None:
            return key_position
    for end in range(len(location), -1, -1):
        found = positions.get(location[:end])
        if found is None and end and not isinstance(location[end - 1], str):
            # A key YAML read as a number or a boolean, e.g. ``1:`` or ``yes:``.
            found = positions.get((*location[: end - 1], _KEY, str(location[end - 1])))
        if found is not None:
            return found
    return (1, 1)


def _at(problem: Problem, message: str, positions: Positions) -> PlanProblem:
    line, column = _position(problem.location, positions, problem.at_key)
    return PlanProblem(problem.dotted, line, column, message)


def _check_problems(
    found: list[Problem], data: dict[str, Any], positions: Positions
) -> list[PlanProblem]:
    """Problems at their place in the file; those inside a section the file left
    to the defaults (say, built-in classification answers naming a severity the
    file's severities dropped) summed up once per section, since the file has no
    line to point at and the fix is the same for all of them."""
    problems = []
    built_in: dict[str, list[Problem]] = {}
    for problem in found:
        section = str(problem.location[0])
        if section in data:
            problems.append(_at(problem, problem.message, positions))
        else:
            built_in.setdefault(section, []).append(problem)
    for section, inside in built_in.items():
        first = inside[0]
        more = f" (and {len(inside) - 1} more)" if len(inside) > 1 else ""
        message = (
            f"the built-in {section} does not fit this plan: {first.dotted}: {first.message}"
            f"{more}; define {section} in your plan to replace it"
        )
        problems.append(PlanProblem(section, 1, 1, message))
    return problems


def _schema_problem(error: Any, positions: Positions, root: type[BaseModel] = Plan) -> PlanProblem:
    location: Location = tuple(error["loc"])
    kind = error["type"]
    if location and location[-1] == "[key]":
        # A mapping key of the wrong kind, e.g. a weekday spelled out in by_day.
        location = location[:-1]
        message = _pydantic_message(error)
        return _at(Problem(location, message, at_key=True), message, positions)
    if kind == "extra_forbidden":
        key = str(location[-1])
        message = f"unknown key {key!r}"
        suggestion = difflib.get_close_matches(key, allowed_keys(location[:-1], root), n=1)
        if suggestion:
            message += f"; did you mean {suggestion[0]!r}?"
        return _at(Problem(location, message, at_key=True), message, positions)
    if kind == "missing":
        message = f"missing required key {location[-1]!r}"
        return _at(Problem(location, message), message, positions)
    message = _pydantic_message(error)
    return _at(Problem(location, message), message, positions)


def _pydantic_message(error: Any) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if message.startswith("Input should be "):
        message = "should be " + message.removeprefix("Input should be ")
        message = message.removesuffix(", unable to interpret input")
        # YAML calls them mappings; pydantic's model names mean nothing to a plan's author.
        message = re.sub(r"a valid dictionary( or instance of \w+)?", "a mapping", message)
        found = error.get("input")
        if isinstance(found, str | int | float | bool) or found is None:
            shown = repr(found) if len(repr(found)) <= 40 else repr(found)[:37] + "..."
            message += f", not {shown}"
        else:
            message += f", not a {'mapping' if isinstance(found, dict) else 'list'}"
    return message


def allowed_keys(location: Location, root: type[BaseModel] = Plan) -> list[str]:
    """The keys the schema allows in the mapping at ``location``, for suggestions."""
    annotation: Any = root
    for part in location:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _fields(annotation).get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(_fields(annotation))
    return []


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key a file writes: its alias, if it has one."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _unwrap(annotation: Any) -> Any:
    """``X | None`` as ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _in_file_order(problems: list[PlanProblem]) -> list[PlanProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line, p.column))
