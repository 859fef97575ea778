"""Escalation decisions: who a step pages, what comes after it, and when each
of a person's contact methods is used. Plain data in, decisions out.

A policy is a list of steps. Each step pages its targets, then waits its
delay; if nobody has acknowledged by then the next step runs. After the last
step the policy starts over, ``repeat`` more times, and then the page is
exhausted (it stays open and visible; it just stops waking people).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fireline.core.errors import InvalidInput

TARGET_TYPES = ("user", "schedule", "team", "round_robin")
MAX_STEPS = 20
MAX_REPEAT = 10
MAX_DELAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class Target:
    type: str  # user | schedule | team | round_robin
    ids: tuple[int, ...]  # one id, or the people of a round-robin in turn order


@dataclass(frozen=True, slots=True)
class Step:
    delay_minutes: int
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    steps: tuple[Step, ...]
    repeat: int = 0
    ack_timeout_minutes: int | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "ack_timeout_minutes": self.ack_timeout_minutes,
            "steps": [
                {
                    "delay_minutes": step.delay_minutes,
                    "targets": [{"type": t.type, "ids": list(t.ids)} for t in step.targets],
                }
                for step in self.steps
            ],
        }


def parse_steps(raw: Any, field: str = "steps") -> tuple[Step, ...]:
    """Steps from JSON, with errors that name the offending field."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("a policy needs at least one step", field=field)
    if len(raw) > MAX_STEPS:
        raise InvalidInput(f"a policy has at most {MAX_STEPS} steps", field=field)
    return tuple(_parse_step(item, f"{field}[{n}]") for n, item in enumerate(raw))


def _parse_step(raw: Any, field: str) -> Step:
    if not isinstance(raw, Mapping):
        raise InvalidInput("expected an object with delay_minutes and targets", field=field)
    delay = raw.get("delay_minutes", 15)
    if not isinstance(delay, int) or isinstance(delay, bool) or not 1 <= delay <= MAX_DELAY_MINUTES:
        raise InvalidInput(
            f"expected whole minutes from 1 to {MAX_DELAY_MINUTES}", field=f"{field}.delay_minutes"
        )
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets:
        raise InvalidInput("a step pages at least one target", field=f"{field}.targets")
    return Step(
        delay, tuple(_parse_target(t, f"{field}.targets[{n}]") for n, t in enumerate(targets))
    )


def _parse_target(raw: Any, field: str) -> Target:
    if not isinstance(raw, Mapping):
        raise InvalidInput('expected {"type": ..., "id": ...}', field=field)
    kind = raw.get("type")
    if kind not in TARGET_TYPES:
        raise InvalidInput(f"expected one of {', '.join(TARGET_TYPES)}", field=f"{field}.type")
    ids = raw.get("ids", [raw["id"]] if "id" in raw else [])
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise InvalidInput("expected an id (or ids for a round-robin)", field=f"{field}.id")
    if kind != "round_robin" and len(ids) != 1:
        raise InvalidInput(f"a {kind} target names one id", field=f"{field}.id")
    return Target(kind, tuple(ids))


def policy_from_snapshot(data: Mapping[str, Any]) -> Policy:
    return Policy(
        steps=parse_steps(data.get("steps")),
        repeat=int(data.get("repeat", 0)),
        ack_timeout_minutes=data.get("ack_timeout_minutes"),
    )


def next_position(policy: Policy, step: int, loop: int) -> tuple[int, int] | None:
    """The step after ``step`` in run ``loop``, or None when the policy is spent."""
    if step + 1 < len(policy.steps):
        return step + 1, loop
    if loop < policy.repeat:
        return 0, loop + 1
    return None


@dataclass(frozen=True, slots=True)
class Recipients:
    user_ids: tuple[int, ...]
    # Which target each person came from, for the timeline ("on call for db-primary").
    reasons: Mapping[int, str]
    # Round-robin turns taken: target position in the step -> next turn.
    turns: Mapping[int, int]
    # Targets that yielded nobody (an empty schedule, an empty team).
    empty: tuple[str, ...]


def recipients(
    step: Step,
    *,
    on_call: Callable[[int], Sequence[int]],
    team_members: Callable[[int], Sequence[int]],
    names: Callable[[str, int], str],
    turns: Mapping[int, int],
) -> Recipients:
    """The people a step pages now, each once, in the order of its targets.

    ``on_call(schedule_id)`` and ``team_members(team_id)`` are the resolved
    answers at this instant; ``turns`` holds each round-robin's next turn."""
    chosen: list[int] = []
    reasons: dict[int, str] = {}
    new_turns: dict[int, int] = {}
    empty: list[str] = []

    def add(user_id: int, why: str) -> None:
        if user_id not in reasons:
            chosen.append(user_id)
            reasons[user_id] = why

    for position, target in enumerate(step.targets):
        if target.type == "user":
            add(target.ids[0], "named in the policy")
        elif target.type == "schedule":
            people = on_call(target.ids[0])
            if not people:
                empty.append(f"nobody is on call for {names('schedule', target.ids[0])}")
            for user_id in people:
                add(user_id, f"on call for {names('schedule', target.ids[0])}")
        elif target.type == "team":
            members = team_members(target.ids[0])
            if not members:
                empty.append(f"{names('team', target.ids[0])} has no members")
            for user_id in members:
                add(user_id, f"member of {names('team', target.ids[0])}")
        else:
            turn = turns.get(position, 0) % len(target.ids)
            add(target.ids[turn], "next in the round-robin")
            new_turns[position] = (turn + 1) % len(target.ids)
    return Recipients(tuple(chosen), reasons, new_turns, tuple(empty))


@dataclass(frozen=True, slots=True)
class RuleView:
    """A person's notification rule, as the planner needs it."""

    urgency: str
    delay_minutes: int
    contact_method_id: int
    usable: bool  # the method exists, is enabled and has a valid target


def notification_plan(
    rules: Sequence[RuleView], urgency: str, fallback_method_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """(delay in minutes, contact method id) for one person paged at one urgency.

    With no usable rule for the urgency, every usable contact method is tried at
    once: a person who never set rules is still woken up, not skipped."""
    planned = sorted(
        {(r.delay_minutes, r.contact_method_id) for r in rules if r.urgency == urgency and r.usable}
    )
    if planned:
        return planned
    return [(0, method_id) for method_id in fallback_method_ids]
