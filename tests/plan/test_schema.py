"""The plan's schema, its built-in defaults, durations and lookups."""

from __future__ import annotations

import typing
from datetime import time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from fireline.plan import Plan, default_plan
from fireline.plan.checks import plan_problems
from fireline.plan.durations import Duration
from fireline.plan.loader import default_data
from fireline.plan.schema import BusinessHours, Hours, Lifecycle


def test_defaults_follow_the_source_documents() -> None:
    plan = default_plan()
    sla = {s.key: (s.name, str(s.response), str(s.resolution)) for s in plan.severities}
    assert sla == {
        "SEV1": ("Service down", "15m", "1h"),
        "SEV2": ("Major degradation", "30m", "4h"),
        "SEV3": ("Minor issue", "4h", "next business day"),
        "SEV4": ("Low impact", "next business day", "best effort"),
    }
    categories = {t.key: (t.category, t.lifecycle) for t in plan.incident_types}
    assert categories == {
        "service_outage": ("operational", "operational"),
        "degradation": ("operational", "operational"),
        "phishing": ("security", "security"),
        "ransomware": ("security", "security"),
        "leaked_credential": ("security", "security"),
        "data_exfiltration": ("security", "security"),
        "insider_threat": ("security", "security"),
        "ddos": ("security", "operational"),
    }
    assert [r.key for r in plan.roles] == [
        "incident_commander",
        "scribe",
        "communications_lead",
        "operations_lead",
        "security_lead",
        "legal",
        "privacy",
        "hr_liaison",
    ]
    assert plan.role("incident_commander").single


def test_default_lifecycles_walk_from_first_state_to_closed() -> None:
    plan = default_plan()
    operational = plan.lifecycle_of("service_outage")
    assert operational.states == [
        "triage",
        "investigating",
        "identified",
        "mitigated",
        "resolved",
        "closed",
    ]
    security = plan.lifecycle_of("ransomware")
    assert security.states == [
        "detection_and_analysis",
        "containment",
        "eradication",
        "recovery",
        "post_incident",
        "closed",
    ]
    for lifecycle, path in (
        (operational, operational.states),
        (security, security.states),
    ):
        assert lifecycle.initial == path[0]
        assert all(lifecycle.can_move(a, b) for a, b in pairwise(path))
        assert lifecycle.is_final("closed") and not lifecycle.is_final(path[0])
    assert not operational.can_move("closed", "triage")


def test_the_built_in_plan_passes_every_check() -> None:
    # Validated without the loader, so the cross-section checks run from the model itself.
    plan = Plan.model_validate(default_data())
    assert plan_problems(plan) == []


def test_cross_section_checks_run_on_direct_validation_too() -> None:
    data = {**default_data(), "incident_types": [{**default_data()["incident_types"][0]}]}
    data["incident_types"][0]["lifecycle"] = "operationl"
    with pytest.raises(ValidationError, match="did you mean 'operational'"):
        Plan.model_validate(data)


def test_durations_parse_and_print() -> None:
    assert Duration.parse("15m").minutes == 15
    assert Duration.parse("4 hours").minutes == 240
    assert Duration.parse("2d").span == timedelta(days=2)
    assert Duration.parse("Next  Business Day").next_business_day
    assert Duration.parse("best effort").best_effort
    assert Duration.parse("next business day").span is None
    assert str(Duration.parse("90m")) == "90m" and str(Duration.parse("120m")) == "2h"
    for bad in ("0m", "soon", "15", "-5m", "1w"):
        with pytest.raises(ValueError, match="expected a duration"):
            Duration.parse(bad)


def test_keys_must_be_plain() -> None:
    with pytest.raises(ValidationError, match="is not a key"):
        Lifecycle(key="Ops", states=["a", "b"], transitions={"a": ["b"]})
    with pytest.raises(ValidationError, match="is not a severity key"):
        Plan.model_validate({**default_data(), "severities": [{"key": "sev 1"}]})


def test_business_hours_per_weekday() -> None:
    hours = BusinessHours(
        days=["mon", "fri", "sat"],
        start=time(9),
        end=time(17),
        by_day={"sat": Hours(start=time(10), end=time(14))},
    )
    assert hours.hours_on(0) == Hours(start=time(9), end=time(17))
    assert hours.hours_on(1) is None  # Tuesday is not listed
    assert hours.hours_on(5) == Hours(start=time(10), end=time(14))
    with pytest.raises(ValidationError, match="must be before closing time"):
        Hours(start=time(18), end=time(9))


def test_lookups_name_what_the_plan_has() -> None:
    plan = default_plan()
    assert plan.severity("SEV2").response.minutes == 30
    assert plan.severity_rank("SEV1") == 0 and plan.severity_rank("SEV4") == 3
    with pytest.raises(KeyError, match="unknown role 'cook'; the plan has incident_commander"):
        plan.role("cook")


def test_the_schema_can_be_published() -> None:
    schema = Plan.model_json_schema()
    assert schema["$defs"]["Severity"]["properties"]["response"]["type"] == "string"


def test_every_key_of_the_plan_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "plan.md").read_text()
    missing = sorted(f"{where}.{name}" for where, name in _keys(Plan) if f"`{name}`" not in docs)
    assert missing == []


def _keys(model: type[BaseModel], where: str = "plan") -> list[tuple[str, str]]:
    found = []
    for name, field in model.model_fields.items():
        found.append((where, name))
        for inner in _models_in(field.annotation):
            found += _keys(inner, f"{where}.{name}")
    return found


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_a_lifecycle_on_its_own_is_checked() -> None:
    with pytest.raises(ValidationError, match="unknown state 'shut'"):
        Lifecycle(key="ops", states=["open", "closed"], transitions={"open": ["shut"]})
