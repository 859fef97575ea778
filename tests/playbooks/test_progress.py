"""Which steps of a run are reached, and with what status: pure."""

from __future__ import annotations

from fireline.playbooks import progress
from fireline.playbooks.schema import Playbook

PLAYBOOK = Playbook.model_validate(
    {
        "key": "demo",
        "name": "Demo",
        "types": ["ransomware"],
        "severities": ["SEV1", "SEV2"],
        "steps": [
            {"key": "scope", "title": "Scope", "phase": "analysis"},
            {
                "key": "isolate",
                "title": "Isolate",
                "phase": "containment",
                "after": ["scope"],
                "approval": {"roles": ["incident_commander"]},
            },
            {
                "key": "image",
                "title": "Image",
                "phase": "containment",
                "after": ["scope"],
                "when": {"severities": ["SEV1"]},
            },
            {
                "key": "block",
                "title": "Block",
                "phase": "containment",
                "after": ["scope"],
                "action": {"endpoint": "edr", "path": "/block"},
            },
            {
                "key": "restore",
                "title": "Restore",
                "phase": "recovery",
                "after": ["isolate", "image"],
            },
        ],
    }
)


def statuses(**found: str) -> dict[str, str]:
    return found


def test_a_playbook_applies_to_its_types_and_severities() -> None:
    assert progress.applies(PLAYBOOK, "ransomware", "SEV2")
    assert not progress.applies(PLAYBOOK, "ransomware", "SEV3")
    assert not progress.applies(PLAYBOOK, "phishing", "SEV1")


def test_first_only_the_steps_that_wait_for_nothing() -> None:
    reached = progress.reach(PLAYBOOK, {}, "ransomware", "SEV2")
    assert [(r.step.key, r.status) for r in reached] == [("scope", "open")]


def test_settling_a_step_reaches_what_waits_for_it_with_its_kind_of_status() -> None:
    reached = progress.reach(PLAYBOOK, statuses(scope="done"), "ransomware", "SEV2")
    assert [(r.step.key, r.status) for r in reached] == [
        ("isolate", "awaiting_approval"),
        ("image", "not_applicable"),  # SEV1 only, read when reached
        ("block", "running"),
    ]


def test_a_step_not_applicable_lets_later_steps_through_in_the_same_call() -> None:
    found = statuses(scope="done", isolate="done", block="done")
    reached = progress.reach(PLAYBOOK, found, "ransomware", "SEV2")
    assert [(r.step.key, r.status) for r in reached] == [
        ("image", "not_applicable"),
        ("restore", "open"),
    ]
    at_sev1 = progress.reach(PLAYBOOK, found, "ransomware", "SEV1")
    assert [(r.step.key, r.status) for r in at_sev1] == [("image", "open")]


def test_a_step_waits_while_anything_before_it_is_open() -> None:
    found = statuses(scope="done", isolate="awaiting_approval", image="done", block="running")
    assert progress.reach(PLAYBOOK, found, "ransomware", "SEV1") == []
    assert not progress.finished(PLAYBOOK, found)


def test_summary_counts_applicable_steps() -> None:
    found = statuses(
        scope="done", isolate="skipped", image="not_applicable", block="done", restore="open"
    )
    summary = progress.summarise(found)
    assert (summary.total, summary.done, summary.skipped, summary.percent) == (4, 2, 1, 75)
