"""Obligations and reminder points in the plan file: the presets' shape,
checked with every problem at its line and column."""

from __future__ import annotations

import pytest
import yaml

from fireline.plan import PlanError, default_plan, load_plan_text
from fireline.plan.durations import Duration


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    return [p.render("plan.yaml") for p in caught.value.problems]


GOOD = """\
organisation: {name: Acme}
obligations:
  - key: pci_dss
    name: PCI DSS card brands
    trigger: suspected compromise of cardholder data
    stages:
      - {key: brands, name: Card brands, clocks: [[trigger, 24h]]}
      - {key: report, name: PFI report, clocks: [[brands, 10 business days]], when: confirmed}
      - {key: customers, name: Cardholders}
    conditions:
      confirmed: "Is the compromise confirmed?"
obligation_reminders: [2d, 30m]
"""


def test_an_obligation_in_the_presets_shape_is_read() -> None:
    plan = load_plan_text(GOOD)
    [pci] = plan.obligations
    assert [s.key for s in pci.stages] == ["brands", "report", "customers"]
    assert pci.stages[1].clocks == [("brands", "10 business days")]
    assert pci.stages[2].clocks == []  # owed without undue delay
    assert pci.conditions == {"confirmed": "Is the compromise confirmed?"}
    assert plan.obligation_reminders == [Duration(minutes=2880), Duration(minutes=30)]


def test_reminders_default_to_a_day_four_hours_and_an_hour_before() -> None:
    assert [str(p) for p in default_plan().obligation_reminders] == ["1d", "4h", "1h"]
    assert default_plan().obligations == []


def test_the_plan_as_shown_reads_back_the_same() -> None:
    plan = load_plan_text(GOOD)
    shown = yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False)
    assert load_plan_text(shown) == plan


def test_shapes_are_checked_where_they_are_written() -> None:
    text = (
        "organisation: {name: A}\n"  # 1
        "obligations:\n"
        "  - key: PCI\n"
        "    name: PCI\n"
        "    trigger: card data\n"  # 5
        "    stages:\n"
        "      - {key: a, name: A, clocks: [[trigger, 3 weeks]]}\n"
        "      - {key: b, name: B, clocks: [[trigger]]}\n"
        "      - {key: c, name: C, clock: [[trigger, 1h]]}\n"
        "obligation_reminders: [1h, best effort]\n"  # 10
    )
    assert problems(text) == [
        "plan.yaml:3:10: obligations[0].key: 'PCI' is not a key: use lower-case letters,"
        " digits, _ and -, like service_outage",
        "plan.yaml:7:46: obligations[0].stages[0].clocks[0][1]: expected a span like 72h,"
        " 60 days, 4 business days or 1 month, not '3 weeks'",
        "plan.yaml:8:35: obligations[0].stages[1].clocks: each clock is a [start, span] pair"
        " like [trigger, 72h], not ['trigger']",
        "plan.yaml:9:27: obligations[0].stages[2].clock: unknown key 'clock'; did you mean 'clocks'?",
        "plan.yaml:10:28: obligation_reminders[1]: a reminder point is a fixed time before the"
        " deadline, like 24h or 30m",
    ]


def test_clocks_start_at_something_that_happens_before_them() -> None:
    text = (
        "organisation: {name: A}\n"  # 1
        "obligations:\n"
        "  - key: pci\n"
        "    name: PCI\n"
        "    trigger: card data\n"  # 5
        "    stages:\n"
        "      - {key: a, name: A, clocks: [[b, 24h]]}\n"
        "      - {key: b, name: B, clocks: [[awre, 1h]], when: confirmd}\n"
        "      - {key: b, name: B again, clocks: [[a, 1 month]]}\n"
        "    conditions: {confirmed: Confirmed}\n"  # 10
        "  - {key: pci, name: X, trigger: y, stages: [{key: x, name: X}]}\n"
        "obligation_reminders: [1h, 60m]\n"
    )
    assert problems(text) == [
        "plan.yaml:7:37: obligations[0].stages[0].clocks[0][0]: stage 'b' does not come before"
        " 'a'; a clock starts at trigger, aware, ransom_paid, year_end or an earlier stage",
        "plan.yaml:8:37: obligations[0].stages[1].clocks[0][0]: unknown clock start 'awre';"
        " did you mean 'aware'? (use trigger, aware, ransom_paid, year_end, a)",
        "plan.yaml:8:55: obligations[0].stages[1].when: condition 'confirmd' is not one of the"
        " obligation's conditions; did you mean 'confirmed'? (it asks confirmed; add it there"
        " with its question)",
        "plan.yaml:9:15: obligations[0].stages[2].key: duplicate key 'b'",
        "plan.yaml:11:11: obligations[1].key: duplicate key 'pci'",
        "plan.yaml:12:28: obligation_reminders[1]: duplicate reminder point '1h'",
    ]
