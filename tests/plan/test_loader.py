"""Reading plan files: every problem at its line and column, and merging over the defaults."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fireline.plan import (
    PlanError,
    default_plan,
    load_effective_plan,
    load_plan_file,
    load_plan_text,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fireline.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plan.yaml")
    return [p.render("plan.yaml") for p in caught.value.problems]


def test_every_schema_problem_is_reported_at_its_line_and_column() -> None:
    text = (
        "organisation:\n"  # 1
        "  name: Acme\n"
        "  time_zone: Mars/Base\n"
        "business_hours:\n"
        "  start: 17:00\n"  # 5
        "severities:\n"
        "  - key: SEV1\n"
        "    name: Down\n"
        "    respnse: 15m\n"
        "    resolution: soon\n"  # 10
        "  - {key: SEV2, name: 7, response: 1h, resolution: 4h, business_hours: maybe}\n"
        "colour: red\n"
    )
    assert problems(text) == [
        "plan.yaml:3:14: organisation.time_zone: unknown time zone 'Mars/Base';"
        " use an IANA name like Europe/Berlin",
        'plan.yaml:5:10: business_hours.start: write times in quotes, e.g. "09:00"',
        "plan.yaml:7:5: severities[0].response: missing required key 'response'",
        "plan.yaml:9:5: severities[0].respnse: unknown key 'respnse'; did you mean 'response'?",
        "plan.yaml:10:17: severities[0].resolution: expected a duration like 15m, 4h, 1d,"
        ' "next business day" or "best effort"',
        "plan.yaml:11:23: severities[1].name: should be a valid string, not 7",
        "plan.yaml:11:72: severities[1].business_hours: should be a valid boolean, not 'maybe'",
        "plan.yaml:12:1: colour: unknown key 'colour'",
    ]


def test_a_section_of_the_wrong_shape() -> None:
    assert problems("organisation: Acme\nseverities: {SEV1: 15m}\n") == [
        "plan.yaml:1:15: organisation: should be a mapping, not 'Acme'",
        "plan.yaml:2:13: severities: should be a valid list, not a mapping",
    ]


def test_unknown_keys_deep_inside_suggest_the_closest_key() -> None:
    text = (
        "organisation: {name: A}\n"
        "business_hours:\n"
        "  by_day:\n"
        "    fri: {start: '09:00', ends: '15:00'}\n"
        "holidays: {contry: DE}\n"
    )
    assert problems(text) == [
        "plan.yaml:4:27: business_hours.by_day.fri.ends: unknown key 'ends'; did you mean 'end'?",
        "plan.yaml:5:12: holidays.contry: unknown key 'contry'; did you mean 'country'?",
    ]


def test_duplicate_keys_and_references_point_at_the_value_at_fault() -> None:
    text = (
        "organisation: {name: Acme}\n"
        "severities:\n"
        "  - {key: SEV1, name: A, response: 1h, resolution: 2h, required_roles: [comander]}\n"
        "  - {key: SEV1, name: B, response: 1h, resolution: 2h}\n"
        "classification: {questions: []}\n"
        "incident_types:\n"
        "  - {key: outage, name: Outage, category: operational, lifecycle: operationl}\n"
    )
    found = problems(text)
    assert found[0].startswith(
        "plan.yaml:3:73: severities[0].required_roles[0]: unknown role 'comander';"
        " did you mean 'incident_commander'?"
    )
    assert found[1] == "plan.yaml:4:11: severities[1].key: duplicate key 'SEV1'"
    assert found[2].startswith(
        "plan.yaml:7:67: incident_types[0].lifecycle: unknown lifecycle 'operationl';"
        " did you mean 'operational'?"
    )
    assert len(found) == 3


def test_a_date_no_calendar_has_is_a_problem_at_its_place() -> None:
    """YAML reads 2026-02-30 as a date, and building it raised a bare
    ValueError: a 500 from the playbook editor, a traceback from the CLI."""
    assert problems("2026-02-30") == [
        "plan.yaml:1:1: '2026-02-30' is not a date: day is out of range for month"
    ]
    text = "organisation: {name: Acme}\nholidays:\n  extra: [2026-12-24, 2026-13-01]\n"
    assert problems(text) == [
        "plan.yaml:3:23: holidays.extra[1]: '2026-13-01' is not a date: month must be in 1..12"
    ]
    # With the other problems found before the document could be built.
    assert problems("a: 1\nb: 2026-02-30\na: 2\n") == [
        "plan.yaml:2:4: b: '2026-02-30' is not a date: day is out of range for month",
        "plan.yaml:3:1: a: duplicate key 'a': it is already set on line 1",
    ]


def test_lifecycles_are_checked_state_by_state() -> None:
    text = (
        "organisation: {name: Acme}\n"
        "lifecycles:\n"
        "  - key: operational\n"
        "    states: [open, fixed, orphan, closed, open]\n"
        "    transitions:\n"
        "      open: [fixd, closed]\n"
        "      fixed: [closed]\n"
        "      reopened: [open]\n"
        "  - {key: security, states: [a, b], transitions: {a: [b]}}\n"
    )
    assert problems(text) == [
        "plan.yaml:4:20: lifecycles[0].states[1]: state 'fixed' cannot be reached from 'open',"
        " the first state; add a transition to it",
        "plan.yaml:4:27: lifecycles[0].states[2]: state 'orphan' cannot be reached from 'open',"
        " the first state; add a transition to it",
        "plan.yaml:4:43: lifecycles[0].states[4]: duplicate state 'open'",
        "plan.yaml:6:14: lifecycles[0].transitions.open[0]: unknown state 'fixd';"
        " did you mean 'fixed'? (the plan has open, fixed, orphan, closed)",
        "plan.yaml:8:7: lifecycles[0].transitions.reopened: unknown state 'reopened';"
        " did you mean 'open'? (the plan has open, fixed, orphan, closed)",
    ]


def test_holiday_calendars_and_business_hours_are_checked() -> None:
    text = (
        "organisation: {name: A}\n"
        "business_hours:\n"
        "  days: [mon, tue, mon]\n"
        "  start: '18:00'\n"
        "  end: '09:00'\n"
        "holidays: {country: de}\n"
    )
    assert problems(text) == [
        "plan.yaml:3:3: business_hours: opening time 18:00 must be before closing time 09:00",
        "plan.yaml:6:21: holidays.country: no holiday calendar for country 'de';"
        " use an ISO code like DE or US; did you mean 'DE'?",
    ]
    assert problems("organisation: {name: A}\nholidays: {country: NO}\n") == [
        'plan.yaml:2:21: holidays.country: write the code in quotes, e.g. "NO"'
    ]
    found = problems("organisation: {name: A}\nholidays: {country: DE, subdivision: XY}\n")
    assert found[0].startswith("plan.yaml:2:11: holidays: DE has no subdivision 'XY'; it has BB")
    found = problems(
        "organisation: {name: A}\n"
        "business_hours: {days: [mon, mon], by_day: {sun: {start: '10:00', end: '12:00'}}}\n"
    )
    assert found == [
        "plan.yaml:2:30: business_hours.days[1]: duplicate day 'mon'",
        "plan.yaml:2:45: business_hours.by_day.sun: sun has hours but is not one of"
        " business_hours.days (mon)",
    ]


def test_yaml_mistakes_have_positions() -> None:
    assert problems("organisation:\n  name: [Acme\n") == [
        "plan.yaml:3:1: not valid YAML: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence at line 2, column 9)"
    ]
    assert problems("organisation:\n\tname: Acme\n")[0].startswith("plan.yaml:2:1: not valid YAML")
    assert problems("- just\n- a list\n") == [
        "plan.yaml:1:1: the plan must be a mapping of sections"
    ]
    assert problems("organisation: {name: A}\nroles: \x01\n") == [
        "plan.yaml:2:8: not valid YAML: character 0x0001 is not allowed"
    ]
    # PyYAML would keep the second value without a word; a plan must not.
    assert problems("organisation: {name: A}\nversion: 1\norganisation: {name: B}\n")[0] == (
        "plan.yaml:3:1: organisation: duplicate key 'organisation': it is already set on line 1"
    )


def test_aliases_cannot_loop_or_explode() -> None:
    assert problems("organisation: &o [*o]\n") == [
        "plan.yaml:1:15: an alias refers to a node that contains it"
    ]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
        for prev, name in zip("abcdefg", "bcdefgh", strict=True)
    )
    [found] = problems(bomb)
    assert "expands to more than 100000 values" in found


def test_any_edit_gives_a_plan_or_positioned_problems_never_a_crash() -> None:
    # Random small edits of a real plan, as a hurried person makes them.
    text = EXAMPLE.read_text()
    rng = random.Random(20260302)
    pieces = [*":-[]{},'\"#&*!|> \n\tSEV019", "  ", "\n  - ", "*a", "<<: ", "null", "12:00"]
    for _ in range(100):
        edited = text
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(edited))
            cut = rng.choice([0, 0, 1, 4])
            edited = edited[:at] + rng.choice(pieces) + edited[at + cut :]
        try:
            load_plan_text(edited)
        except PlanError as exc:
            assert exc.problems
            lines = edited.count("\n") + 2
            assert all(1 <= p.line <= lines and p.column >= 1 for p in exc.problems)


def test_no_file_or_an_empty_file_means_the_defaults() -> None:
    assert load_effective_plan(None) == default_plan()
    assert load_plan_text("") == default_plan()
    assert load_plan_text("# nothing yet\n") == default_plan()


def test_a_section_in_the_file_replaces_the_built_in_section_whole() -> None:
    plan = load_plan_text(
        "organisation: {name: Acme}\n"
        "severities:\n"
        "  - {key: P1, name: Urgent, response: 5m, resolution: 30m}\n"
        "  - {key: P2, name: Later, response: 1d, resolution: best effort}\n"
        "classification: {questions: []}\n"
    )
    assert [s.key for s in plan.severities] == ["P1", "P2"]  # not merged with SEV1-SEV4
    assert plan.organisation.time_zone == "UTC"
    assert plan.roles == default_plan().roles  # not in the file: the defaults stay
    assert plan.lifecycles == default_plan().lifecycles


def test_a_built_in_section_that_no_longer_fits_is_named_once() -> None:
    text = (
        "organisation: {name: A}\n"
        "severities:\n"
        "  - {key: SEV1, name: Down, response: 15m, resolution: 1h}\n"
        "  - {key: SEV2, name: Slow, response: 1h, resolution: 1d}\n"
    )
    [found] = problems(text)
    assert found.startswith(
        "plan.yaml:1:1: classification: the built-in classification does not fit this plan:"
        " classification.questions[0].answers[2].severity: unknown severity 'SEV3'"
    )
    assert found.endswith("(and 7 more); define classification in your plan to replace it")


def test_the_example_plan_is_complete_and_valid() -> None:
    plan = load_plan_file(EXAMPLE)
    assert plan.organisation.name == "Acme Payments"
    assert plan.holidays.country == "DE" and plan.holidays.subdivision == "BE"
    assert plan.business_hours.hours_on(4) is not None
    assert plan.business_hours.hours_on(4).end.hour == 16  # type: ignore[union-attr]
    text = EXAMPLE.read_text()
    for section in type(plan).model_fields:
        assert f"\n{section}:" in text, f"the example leaves out {section}"


def test_an_unreadable_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan"):
        load_effective_plan(tmp_path / "missing.yaml")
