"""The order in which fireline lists the steps of a CACAO workflow, and what
each waits for. Pure; the document has been checked (``cacao_check``).

CACAO workflows branch (if, switch, while), fork (parallel) and jump (a
failure path can point anywhere, even back). fireline steps are a list in
which each step waits only for earlier ones. The walk turns one into the
other:

- action, playbook-action and the three condition steps become fireline
  steps ("emitting" steps); start, parallel and end do not;
- a branch of a condition or parallel step runs until it reaches an end,
  and then the workflow goes on after the branching step (CACAO's rule):
  so what follows a branching step waits for the last steps of every branch;
- a pointer that leads back to a step already listed (a retry loop) is left
  out and reported, because a fireline step runs once.

Internally the graph has one node per reached step and one "join" node per
branching step, standing for "all its branches are done".
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

EMITTING = frozenset(
    {"action", "playbook-action", "if-condition", "switch-condition", "while-condition"}
)
BRANCHING = frozenset({"if-condition", "switch-condition", "while-condition", "parallel"})
CONTINUATIONS = ("on_completion", "on_success", "on_failure")

Node = tuple[str, str]  # ("step", step id) or ("join", id of the branching step)


@dataclass(frozen=True)
class Guard:
    """Why the first step of a path may not apply: ``kind`` is true, false,
    case, default (of a switch), loop (a while body), failed or succeeded;
    ``step_id`` is the step whose decision or outcome it is."""

    kind: str
    step_id: str
    case: str = ""


@dataclass(frozen=True)
class Edge:
    src: Node
    dst: Node
    pointer: str  # the property that points: on_completion, on_true, cases, …
    guard: Guard | None


@dataclass(frozen=True)
class WalkedStep:
    step_id: str
    after: list[str]  # ids of earlier walked steps, none implied by another
    guards: list[Guard]


@dataclass(frozen=True)
class Loop:
    """A pointer left out because it leads back to a step already listed."""

    step_id: str
    pointer: str
    target_id: str


@dataclass(frozen=True)
class Walk:
    steps: list[WalkedStep]
    reached: set[str]
    loops: list[Loop]


def walk(workflow: Mapping[str, Mapping[str, Any]], start: str) -> Walk:
    graph = _Graph(workflow)
    graph.explore(start)
    order, kept, loops = graph.sort()
    return Walk(steps=_steps(workflow, order, kept), reached=graph.reached, loops=loops)


class _Graph:
    def __init__(self, workflow: Mapping[str, Mapping[str, Any]]):
        self.workflow = workflow
        self.found: dict[Node, int] = {}  # node -> discovery index
        self.in_edges: dict[Node, list[Edge]] = defaultdict(list)
        self.out_edges: dict[Node, list[Edge]] = defaultdict(list)
        self.reached: set[str] = set()

    def explore(self, start: str) -> None:
        """Depth first, with an explicit stack (no recursion limit on long
        workflows), each branch before what follows its branching step."""
        self.reached.add(start)
        stack: list[tuple[Node, str | None]] = [(("step", start), None)]
        while stack:
            node, context = stack.pop()
            if node in self.found:
                continue
            self.found[node] = len(self.found)
            stack.extend(reversed(self._expand(node, context)))

    def _expand(self, node: Node, context: str | None) -> list[tuple[Node, str | None]]:
        """The edges out of ``node``; returns the nodes to visit, in order.

        ``context`` is the innermost branching step whose branch this is:
        an end reached in it returns there."""
        kind, step_id = node
        step = self.workflow[step_id]
        visits: list[tuple[Node, str | None]] = []
        if kind == "step" and step["type"] in BRANCHING:
            branches, exhaustive = _branches(step_id, step)
            for pointer, target, guard in branches:
                self._link(node, target, pointer, guard, step_id, visits)
            if not exhaustive:  # no branch taken: straight on
                self._add(node, ("join", step_id), "condition", None)
            visits.append((("join", step_id), context))
        elif kind == "join" or step["type"] != "end":
            starting = kind == "step" and step["type"] == "start"
            following = list(_continuations(step_id, step, starting))
            for pointer, target, guard in following:
                self._link(node, target, pointer, guard, context, visits)
            if not following and context is not None:
                # Nothing after it: the branch ends here, as at an end step.
                self._add(node, ("join", context), "end", None)
        return visits

    def _link(
        self,
        src: Node,
        target: str,
        pointer: str,
        guard: Guard | None,
        context: str | None,
        visits: list[tuple[Node, str | None]],
    ) -> None:
        self.reached.add(target)
        if self.workflow[target]["type"] == "end":
            # An end closes a branch: the workflow goes on after the step
            # that opened it. The guard stays behind: what follows the
            # branching step happens whichever branch was taken.
            if context is not None:
                self._add(src, ("join", context), pointer, None)
            return
        dst: Node = ("step", target)
        self._add(src, dst, pointer, guard)
        visits.append((dst, context))

    def _add(self, src: Node, dst: Node, pointer: str, guard: Guard | None) -> None:
        edge = Edge(src, dst, pointer, guard)
        self.out_edges[src].append(edge)
        self.in_edges[dst].append(edge)

    def sort(self) -> tuple[list[Node], dict[Node, list[Edge]], list[Loop]]:
        """Topological order, earliest discovered first among the ready ones;
        when only cycles are left, the earliest discovered node goes next and
        the edges into it from nodes not yet placed are left out."""
        nodes = sorted(self.found, key=self.found.__getitem__)
        waiting = {node: len(self.in_edges[node]) for node in nodes}
        ready = [(self.found[node], node) for node in nodes if waiting[node] == 0]
        heapq.heapify(ready)
        placed: set[Node] = set()
        order: list[Node] = []
        kept: dict[Node, list[Edge]] = defaultdict(list)
        loops: list[Loop] = []
        scan = 0
        while len(order) < len(nodes):
            if not ready:
                while nodes[scan] in placed:
                    scan += 1
                stuck = nodes[scan]
                for edge in self.in_edges[stuck]:
                    if edge.src not in placed:
                        loops.append(Loop(edge.src[1], edge.pointer, stuck[1]))
                heapq.heappush(ready, (self.found[stuck], stuck))
            _, node = heapq.heappop(ready)
            if node in placed:
                continue
            placed.add(node)
            order.append(node)
            for edge in self.out_edges[node]:
                if edge.dst in placed:
                    continue
                kept[edge.dst].append(edge)
                waiting[edge.dst] -= 1
                if waiting[edge.dst] == 0:
                    heapq.heappush(ready, (self.found[edge.dst], edge.dst))
        return order, kept, loops


def _branches(
    step_id: str, step: Mapping[str, Any]
) -> tuple[list[tuple[str, str, Guard | None]], bool]:
    """The branches of a branching step, and whether one is always taken."""
    kind = step["type"]
    if kind == "if-condition":
        branches: list[tuple[str, str, Guard | None]] = [
            ("on_true", step["on_true"], Guard("true", step_id))
        ]
        if "on_false" in step:
            branches.append(("on_false", step["on_false"], Guard("false", step_id)))
        return branches, "on_false" in step
    if kind == "switch-condition":
        cases: Mapping[str, str] = step["cases"]
        return [
            (
                f"cases.{case}",
                target,
                Guard("default" if case == "default" else "case", step_id, case),
            )
            for case, target in cases.items()
        ], "default" in cases
    if kind == "while-condition":
        # The body runs zero or more times: listed once, and what follows
        # the loop does not need it.
        return [("on_true", step["on_true"], Guard("loop", step_id))], False
    # Parallel branches are not conditional: each inherits the guards of
    # the parallel step itself (see ``_guards``).
    targets: list[str] = step["next_steps"]
    return [("next_steps", target, None) for target in targets], bool(targets)


def _continuations(
    step_id: str, step: Mapping[str, Any], starting: bool
) -> Iterator[tuple[str, str, Guard | None]]:
    both = "on_success" in step and "on_failure" in step
    for pointer in CONTINUATIONS:
        if pointer not in step:
            continue
        guard = None
        if not starting and pointer == "on_failure":
            guard = Guard("failed", step_id)
        elif not starting and pointer == "on_success" and both:
            guard = Guard("succeeded", step_id)
        yield pointer, step[pointer], guard


def _steps(
    workflow: Mapping[str, Mapping[str, Any]],
    order: list[Node],
    kept: dict[Node, list[Edge]],
) -> list[WalkedStep]:
    """Each emitting step with what it waits for: the nearest emitting steps
    before it, less those another of them already waits for (bit sets keep
    this cheap on long workflows)."""
    steps: list[WalkedStep] = []
    outputs: dict[Node, int] = {}  # the emitting steps a node passes on, as bits
    ancestors: list[int] = []  # per walked step, every emitting step before it
    guards: dict[Node, list[Guard]] = {}
    for node in order:
        mask = 0
        for edge in kept[node]:
            mask |= outputs[edge.src]
        guards[node] = _guards(kept[node], guards, workflow)
        if node[0] == "step" and workflow[node[1]]["type"] in EMITTING:
            covered = 0
            for index in _bits(mask):
                covered |= ancestors[index]
            after = [steps[index].step_id for index in _bits(mask & ~covered)]
            steps.append(WalkedStep(node[1], after, guards[node]))
            ancestors.append(mask | covered)
            outputs[node] = 1 << (len(steps) - 1)
        else:
            outputs[node] = mask
    return steps


def _guards(
    edges: list[Edge], guards: dict[Node, list[Guard]], workflow: Mapping[str, Mapping[str, Any]]
) -> list[Guard]:
    """A step is guarded only if every way into it is: a step that two
    paths reach, one of them unconditional, happens either way. A parallel
    step passes the guard on its way in to each of its branches."""
    found: list[Guard] = []
    for edge in edges:
        own = [edge.guard] if edge.guard is not None else []
        if not own and edge.src[0] == "step" and workflow[edge.src[1]]["type"] == "parallel":
            own = guards.get(edge.src, [])
        if not own:
            return []
        found.extend(guard for guard in own if guard not in found)
    return found


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
