"""Security classification: reading it, and the severity and obligations it suggests."""

from __future__ import annotations

from typing import Any

import pytest

from fireline.core.errors import InvalidInput
from fireline.security.classification import SecurityClassification, parse, suggest
from fireline.security.obligations.clocks import PRESETS

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]


def keys(c: SecurityClassification) -> list[str]:
    return [o.key for o in suggest(c, SEVERITIES).obligations]


def test_nothing_much_is_the_least_severe_and_owes_nobody() -> None:
    quiet = suggest(parse({}), SEVERITIES)
    assert (quiet.severity, quiet.obligations) == ("SEV4", ())


@pytest.mark.parametrize(
    ("raw", "severity", "reason"),
    [
        ({"functional": "high"}, "SEV1", "high functional impact"),
        ({"functional": "low", "information": ["privacy"]}, "SEV2", "information impact: privacy"),
        ({"recoverability": "not_recoverable"}, "SEV1", "recoverability not recoverable"),
        ({"data": ["credentials"]}, "SEV2", "sensitive data: credentials"),
        ({"functional": "low", "records": 250_000}, "SEV1", "many records or people affected"),
    ],
)
def test_the_worst_answer_decides_and_says_why(
    raw: dict[str, Any], severity: str, reason: str
) -> None:
    found = suggest(parse(raw), SEVERITIES)
    assert found.severity == severity
    assert reason in found.reasons


def test_a_plan_with_fewer_severities_gets_its_least_severe() -> None:
    assert suggest(parse({}), ["P1", "P2"]).severity == "P2"


def test_personal_data_in_germany_suggests_gdpr_and_a_significant_outage_nis2() -> None:
    leak = parse({"data": ["personal", "health"], "jurisdictions": ["DE"], "functional": "medium"})
    found = suggest(leak, SEVERITIES)
    by_key = {o.key: o for o in found.obligations}
    assert list(by_key) == ["gdpr", "nis2"]
    assert by_key["gdpr"].conditions == {"high_risk": True}  # health data
    assert set(by_key) <= set(PRESETS)


def test_health_data_of_new_yorkers_has_two_regulators() -> None:
    found = suggest(
        parse({"data": ["health"], "people": 1200, "jurisdictions": ["US-NY"]}), SEVERITIES
    )
    by_key = {o.key: o for o in found.obligations}
    assert list(by_key) == ["hipaa", "nydfs"]
    assert by_key["hipaa"].conditions == {
        "500_or_more": True,
        "under_500": False,
        "over_500_in_a_state": True,
    }


def test_a_high_impact_us_incident_asks_about_materiality_and_circia() -> None:
    assert keys(parse({"functional": "high", "jurisdictions": ["US"]})) == ["sec_8k", "circia"]


def test_uk_personal_data_is_gdpr_but_not_nis2() -> None:
    assert keys(parse({"data": ["personal"], "functional": "high", "jurisdictions": ["GB"]})) == [
        "gdpr"
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"functional": "catastrophic"}, "functional"),
        ({"information": "privacy"}, "information"),
        ({"information": ["gossip"]}, "information"),
        ({"recoverability": "maybe"}, "recoverability"),
        ({"data": ["dna"]}, "data"),
        ({"records": -1}, "records"),
        ({"people": "many"}, "people"),
        ({"people": True}, "people"),
        ({"jurisdictions": ["Germany"]}, "jurisdictions"),
        ({"jurisdictions": "DE"}, "jurisdictions"),
    ],
)
def test_bad_answers_name_their_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(raw)
    assert refused.value.field == field
