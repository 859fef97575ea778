"""Escalation decisions, without a database."""

from __future__ import annotations

import pytest

from fireline.core.errors import InvalidInput
from fireline.oncall.escalation import (
    Policy,
    RuleView,
    next_position,
    notification_plan,
    parse_steps,
    policy_from_snapshot,
    recipients,
)

STEPS = [
    {"delay_minutes": 5, "targets": [{"type": "schedule", "id": 1}]},
    {"delay_minutes": 10, "targets": [{"type": "user", "id": 7}, {"type": "team", "id": 2}]},
]


def names(kind: str, ident: int) -> str:
    return f"{kind}-{ident}"


def test_steps_follow_in_order_then_repeat_then_stop() -> None:
    policy = Policy(parse_steps(STEPS), repeat=1)
    assert next_position(policy, 0, 0) == (1, 0)
    assert next_position(policy, 1, 0) == (0, 1)
    assert next_position(policy, 0, 1) == (1, 1)
    assert next_position(policy, 1, 1) is None


def test_a_snapshot_round_trips() -> None:
    policy = Policy(parse_steps(STEPS), repeat=2, ack_timeout_minutes=30)
    assert policy_from_snapshot(policy.snapshot()) == policy


def test_recipients_are_deduplicated_in_target_order_with_reasons() -> None:
    step = parse_steps(STEPS)[1]
    chosen = recipients(
        step,
        on_call=lambda _: [],
        team_members=lambda team: [3, 7, 4] if team == 2 else [],
        names=names,
        turns={},
    )
    assert chosen.user_ids == (7, 3, 4)
    assert chosen.reasons[7] == "named in the policy"
    assert chosen.reasons[3] == "member of team-2"


def test_an_empty_schedule_is_reported_not_hidden() -> None:
    chosen = recipients(
        parse_steps(STEPS)[0],
        on_call=lambda _: [],
        team_members=lambda _: [],
        names=names,
        turns={},
    )
    assert chosen.user_ids == ()
    assert chosen.empty == ("nobody is on call for schedule-1",)


def test_round_robin_takes_turns_and_wraps() -> None:
    step = parse_steps(
        [{"delay_minutes": 5, "targets": [{"type": "round_robin", "ids": [4, 5, 6]}]}]
    )[0]
    turns: dict[int, int] = {}
    picked = []
    for _ in range(4):
        chosen = recipients(
            step, on_call=lambda _: [], team_members=lambda _: [], names=names, turns=turns
        )
        picked.extend(chosen.user_ids)
        turns = dict(chosen.turns)
    assert picked == [4, 5, 6, 4]


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([{"delay_minutes": 0, "targets": [{"type": "user", "id": 1}]}], "steps[0].delay_minutes"),
        ([{"delay_minutes": 5, "targets": []}], "steps[0].targets"),
        (
            [{"delay_minutes": 5, "targets": [{"type": "pager", "id": 1}]}],
            "steps[0].targets[0].type",
        ),
        (
            [{"delay_minutes": 5, "targets": [{"type": "user", "id": "x"}]}],
            "steps[0].targets[0].id",
        ),
        (
            [{"delay_minutes": 5, "targets": [{"type": "user", "ids": [1, 2]}]}],
            "steps[0].targets[0].id",
        ),
        (["step"], "steps[0]"),
    ],
)
def test_bad_steps_name_the_field(steps: list[object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_steps(steps)
    assert caught.value.field == field


def test_notification_plan_follows_the_rules_of_the_urgency() -> None:
    rules = [
        RuleView("high", 0, 1, True),
        RuleView("high", 2, 2, True),
        RuleView("high", 5, 3, False),  # a broken method is left out
        RuleView("low", 0, 2, True),
    ]
    assert notification_plan(rules, "high", [1, 2, 3]) == [(0, 1), (2, 2)]
    assert notification_plan(rules, "low", [1, 2, 3]) == [(0, 2)]


def test_without_rules_every_working_method_is_used_at_once() -> None:
    assert notification_plan([], "high", [4, 9]) == [(0, 4), (0, 9)]
