"""Classifying a security incident (NIST SP 800-61's impact categories, with
the data and people it touches) and what that suggests: a severity and the
notification obligations that may apply. Pure: values in, suggestions out.

Suggestions are never decisions. A person confirms or overrides each, with a
reason; the rules below only make sure nobody has to remember on a bad day
that health data of New Yorkers has two regulators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fireline.core.errors import InvalidInput

FUNCTIONAL = ("none", "low", "medium", "high")
INFORMATION = ("none", "privacy", "proprietary", "integrity")
RECOVERABILITY = ("regular", "supplemented", "extended", "not_recoverable")
DATA = ("personal", "special_category", "health", "financial", "credentials", "children")
SENSITIVE = frozenset({"special_category", "health", "financial", "credentials", "children"})
# GDPR applies across the EEA, and in the UK as UK GDPR; NIS2 across the EU.
EU = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
EEA = EU | {"IS", "LI", "NO"}
MANY_RECORDS = 100_000
MANY_PEOPLE = 10_000
MAX_COUNT = 10_000_000_000


@dataclass(frozen=True)
class SecurityClassification:
    functional: str = "none"
    information: frozenset[str] = frozenset()
    recoverability: str = "regular"
    data: frozenset[str] = frozenset()
    records: int | None = None
    people: int | None = None
    # ISO 3166 codes: "DE", "US", "US-NY" (a US state), or "EU" for the whole union.
    jurisdictions: frozenset[str] = frozenset()

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(j.split("-")[0] for j in self.jurisdictions)

    def in_eu(self) -> bool:
        return "EU" in self.jurisdictions or bool(self.countries & EU)

    def in_eea_or_uk(self) -> bool:
        return self.in_eu() or bool(self.countries & (EEA | {"GB"}))


def _one_of(raw: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = raw.get(name, default)
    if value not in allowed:
        raise InvalidInput(f"expected one of {', '.join(allowed)}", field=name)
    return str(value)


def _some_of(raw: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> frozenset[str]:
    values = raw.get(name) or []
    if not isinstance(values, list) or any(v not in allowed for v in values):
        raise InvalidInput(f"expected a list of {', '.join(allowed)}", field=name)
    return frozenset(str(v) for v in values)


def _count(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput("expected a whole number, 0 or more", field=name)
    return value


def _jurisdictions(raw: Mapping[str, Any]) -> frozenset[str]:
    values = raw.get("jurisdictions") or []
    found = set()
    if not isinstance(values, list):
        raise InvalidInput('expected a list like ["DE", "US-NY"]', field="jurisdictions")
    for value in values:
        text = str(value).strip().upper()
        country, _, region = text.partition("-")
        if len(country) != 2 or not country.isalpha() or (region and not region.isalnum()):
            raise InvalidInput(
                f"{value!r} is not a country code like DE, US-NY or EU", field="jurisdictions"
            )
        found.add(text)
    return frozenset(found)


def parse(raw: Mapping[str, Any]) -> SecurityClassification:
    """A classification from its JSON shape; every bad field is named."""
    information = _some_of(raw, "information", INFORMATION) - {"none"}
    return SecurityClassification(
        functional=_one_of(raw, "functional", FUNCTIONAL, "none"),
        information=information,
        recoverability=_one_of(raw, "recoverability", RECOVERABILITY, "regular"),
        data=_some_of(raw, "data", DATA),
        records=_count(raw, "records"),
        people=_count(raw, "people"),
        jurisdictions=_jurisdictions(raw),
    )


@dataclass(frozen=True)
class ObligationSuggestion:
    key: str  # a preset of fireline.security.obligations
    reasons: tuple[str, ...]
    conditions: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    severity: str
    reasons: tuple[str, ...]
    obligations: tuple[ObligationSuggestion, ...]


def suggest(c: SecurityClassification, severities: Sequence[str]) -> Suggestion:
    """``severities`` are the plan's, most severe first; a rank of 0 asks for
    the most severe, and ranks past the end land on the least."""
    ranked: list[tuple[int, str]] = [
        (
            {"high": 0, "medium": 1, "low": 2, "none": 3}[c.functional],
            f"{c.functional} functional impact",
        )
    ]
    if c.information:
        ranked.append((1, "information impact: " + ", ".join(sorted(c.information))))
    if c.recoverability in ("extended", "not_recoverable"):
        rank = 0 if c.recoverability == "not_recoverable" else 1
        ranked.append((rank, f"recoverability {c.recoverability.replace('_', ' ')}"))
    if c.data & SENSITIVE:
        ranked.append((1, "sensitive data: " + ", ".join(sorted(c.data & SENSITIVE))))
    if (c.records or 0) >= MANY_RECORDS or (c.people or 0) >= MANY_PEOPLE:
        ranked.append((0, "many records or people affected"))
    rank = min(r for r, _ in ranked)
    reasons = tuple(reason for r, reason in ranked if r == rank)
    severity = severities[min(rank, len(severities) - 1)]
    return Suggestion(severity, reasons, tuple(_obligations(c)))


def _obligations(c: SecurityClassification) -> list[ObligationSuggestion]:
    found = []
    personal = bool(c.data) or "privacy" in c.information
    significant = c.functional in ("medium", "high") or c.recoverability != "regular"
    if personal and c.in_eea_or_uk():
        high_risk = bool(c.data & SENSITIVE) or (c.people or 0) >= MANY_PEOPLE
        found.append(
            ObligationSuggestion(
                "gdpr", ("personal data of people in the EEA or UK",), {"high_risk": high_risk}
            )
        )
    if significant and c.in_eu():
        found.append(ObligationSuggestion("nis2", ("a significant incident in the EU",)))
    if significant and c.in_eu() and "financial" in c.data:
        found.append(ObligationSuggestion("dora", ("an EU incident touching financial data",)))
    us = "US" in c.countries
    if us and "health" in c.data:
        people = c.people or 0
        states = {j for j in c.jurisdictions if j.startswith("US-")}
        found.append(
            ObligationSuggestion(
                "hipaa",
                ("health data of people in the US",),
                {
                    "500_or_more": people >= 500,
                    "under_500": people < 500,
                    # Only when one state is named can the count be its residents'.
                    "over_500_in_a_state": people > 500 and len(states) == 1,
                },
            )
        )
    if "US-NY" in c.jurisdictions and (significant or personal):
        found.append(ObligationSuggestion("nydfs", ("an incident touching New York",)))
    if us and c.functional == "high":
        found.append(ObligationSuggestion("sec_8k", ("high impact in the US: is it material?",)))
    if us and significant:
        found.append(ObligationSuggestion("circia", ("a significant incident in the US",)))
    return found
