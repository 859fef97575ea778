"""Reading a STIX 2.1 bundle: what fireline keeps, what it skips and why, and
refusing a malformed bundle as a whole."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.core.errors import InvalidInput
from fireline.security.observables.markings import TLP1_IDS, TLP2_IDS
from fireline.security.observables.normalise import Observable
from fireline.security.observables.stix import build_bundle
from fireline.security.observables.stix_import import read_bundle
from tests.security.observables.stix_samples import INCIDENT, NOW, every_kind

TS = "2026-02-27T10:00:00.000Z"


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--6a2f5c1e-2b1c-4a0e-9f31-0c8a0d1e2f30",
        "objects": list(objects),
    }


def sco(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--00000000-0000-4000-8000-{n:012d}",
        **properties,
    }


def sdo(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--10000000-0000-4000-8000-{n:012d}",
        "created": TS,
        "modified": TS,
        **properties,
    }


def test_a_fireline_bundle_reads_back_to_the_same_observables() -> None:
    facts = every_kind()
    contents = read_bundle(build_bundle(INCIDENT, facts, ceiling="RED", now=NOW))
    assert contents.skipped == []
    assert contents.techniques == ["T1078.004", "T1552.001"]
    read = {
        (c.observable.type, c.observable.value, c.observable.hash_algorithm): c
        for c in contents.observables
    }
    assert len(read) == len(facts)
    for fact in facts:
        found = read[(fact.type, fact.value, fact.hash_algorithm)]
        assert found.tlp == fact.tlp
        assert sorted(found.techniques) == list(fact.techniques)
        if fact.type != "text":
            assert (found.first_seen, found.last_seen) == (fact.first_seen, fact.last_seen)


def test_scos_from_another_tool_with_tlp1_markings() -> None:
    contents = read_bundle(
        bundle(
            sco("ipv4-addr", 1, value="192.0.2.44", object_marking_refs=[TLP1_IDS["CLEAR"]]),
            sco("domain-name", 2, value="Login-Microsoft.Example."),
            sco(
                "file",
                3,
                name="invoice.pdf.exe",
                hashes={"SHA-256": "A" * 64, "SHA-512": "b" * 128, "MD5": "c" * 32},
            ),
            sco("user-account", 4, user_id="S-1-5-21-1004"),
            sco("email-addr", 5, value="ceo@evil.example"),
            sdo(
                "observed-data",
                6,
                first_observed="2026-02-27T08:00:00Z",
                last_observed="2026-02-27T09:30:00Z",
                number_observed=3,
                object_refs=[sco("email-addr", 5)["id"], sco("domain-name", 2)["id"]],
                object_marking_refs=[TLP1_IDS["RED"]],
            ),
        )
    )
    found = {(c.observable.type, c.observable.value): c for c in contents.observables}
    assert found[("ipv4-addr", "192.0.2.44")].tlp == "CLEAR"  # TLP:WHITE is CLEAR
    domain = found[("domain-name", "login-microsoft.example")]
    assert domain.tlp == "RED" and domain.first_seen is not None  # from its observed-data
    assert found[("file", "a" * 64)].observable.hash_algorithm == "SHA-256"
    assert found[("file", "c" * 32)].observable.hash_algorithm == "MD5"
    assert ("file", "invoice.pdf.exe") in found
    assert found[("user-account", "S-1-5-21-1004")].tlp == "AMBER"  # unmarked: AMBER
    assert len(found) == 7 and contents.skipped == []


def test_indicators_with_ored_comparisons_and_their_techniques() -> None:
    indicator = sdo(
        "indicator",
        1,
        pattern="[domain-name:value = 'a.evil.example' OR domain-name:value = 'b.evil.example']",
        pattern_type="stix",
        valid_from=TS,
        description="phishing kit hosts",
        object_marking_refs=[TLP2_IDS["AMBER+STRICT"]],
    )
    phishing = sdo(
        "attack-pattern",
        2,
        name="Spearphishing Link",
        external_references=[{"source_name": "mitre-attack", "external_id": "T1566.002"}],
    )
    impact = sdo(
        "attack-pattern",
        3,
        name="Data Encrypted for Impact",
        external_references=[
            {"source_name": "capec", "external_id": "CAPEC-1"},
            {"source_name": "mitre-attack", "external_id": "T1486"},
        ],
    )
    link = sdo(
        "relationship",
        4,
        relationship_type="indicates",
        source_ref=indicator["id"],
        target_ref=phishing["id"],
    )
    contents = read_bundle(bundle(indicator, phishing, impact, link))
    assert [c.observable.value for c in contents.observables] == [
        "a.evil.example",
        "b.evil.example",
    ]
    for candidate in contents.observables:
        assert candidate.tlp == "AMBER+STRICT" and candidate.techniques == {"T1566.002"}
        assert candidate.description == "phishing kit hosts"
    assert contents.techniques == ["T1486"]  # not tied to an observable: the incident's


def test_what_cannot_be_imported_is_reported_with_its_id_and_why() -> None:
    unread = [
        sdo(
            "indicator",
            1,
            pattern="[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']",
            pattern_type="stix",
            valid_from=TS,
        ),
        sdo("indicator", 2, pattern="alert tcp any any", pattern_type="snort", valid_from=TS),
        sco("mutex", 3, name="Global\\evil"),
        sco("file", 4, size=1024),
        sco("domain-name", 5, value="localhost"),
        sdo("malware", 6, name="LockBit", is_family=True),
        sdo(
            "attack-pattern",
            7,
            name="Initial Access",
            external_references=[{"source_name": "mitre-attack", "external_id": "TA0001"}],
        ),
        sdo(
            "attack-pattern",
            8,
            name="Something",
            external_references=[{"source_name": "capec", "external_id": "CAPEC-98"}],
        ),
    ]
    kept = sco("ipv4-addr", 9, value="198.51.100.23")
    contents = read_bundle(bundle(*unread, kept))
    reasons = {s.id: s.reason for s in contents.skipped}
    assert set(reasons) == {o["id"] for o in unread}
    assert "AND" in reasons[unread[0]["id"]]
    assert "snort" in reasons[unread[1]["id"]]
    assert "mutex" in reasons[unread[2]["id"]]
    assert "hash" in reasons[unread[3]["id"]]
    assert "localhost" in reasons[unread[4]["id"]]
    assert "malware" in reasons[unread[5]["id"]]
    assert "ATT&CK id" in reasons[unread[6]["id"]]
    assert "mitre-attack" in reasons[unread[7]["id"]]
    assert [c.observable for c in contents.observables] == [
        Observable("ipv4-addr", "198.51.100.23")
    ]


def test_the_same_observable_twice_is_one_with_the_strictest_marking() -> None:
    contents = read_bundle(
        bundle(
            sco("ipv4-addr", 1, value="203.0.113.9", object_marking_refs=[TLP2_IDS["GREEN"]]),
            sdo(
                "indicator",
                2,
                pattern="[ipv4-addr:value = '203.0.113.9']",
                pattern_type="stix",
                valid_from=TS,
                object_marking_refs=[TLP2_IDS["RED"]],
            ),
        )
    )
    assert len(contents.observables) == 1 and contents.observables[0].tlp == "RED"


def test_tlp_markings_defined_inside_the_bundle_are_understood() -> None:
    custom = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--20000000-0000-4000-8000-000000000001",
        "created": TS,
        "definition_type": "tlp",
        "definition": {"tlp": "green"},
    }
    contents = read_bundle(
        bundle(
            custom, sco("url", 1, value="http://evil.example/x", object_marking_refs=[custom["id"]])
        )
    )
    assert contents.observables[0].tlp == "GREEN"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "type"),
        ({"type": "report"}, "type"),
        ({"type": "bundle", "objects": {}}, "objects"),
        ({"type": "bundle", "objects": ["x"]}, "objects[0]"),
        ({"type": "bundle", "objects": [{"id": "ipv4-addr--1"}]}, "objects[0].type"),
        (
            {"type": "bundle", "objects": [{"type": "ipv4-addr", "id": "domain-name--1"}]},
            "objects[0].id",
        ),
        (
            {
                "type": "bundle",
                "objects": [{"type": "ipv4-addr", "id": "ipv4-addr--1"}, {"type": "x"}],
            },
            "objects[1].id",
        ),
    ],
)
def test_a_malformed_bundle_is_refused_naming_the_place(data: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_bundle(data)
    assert refused.value.field == field


def test_an_empty_bundle_holds_nothing() -> None:
    contents = read_bundle({"type": "bundle", "id": "bundle--6a2f5c1e-2b1c-4a0e-9f31-0c8a0d1e2f30"})
    assert (contents.observables, contents.techniques, contents.skipped) == ([], [], [])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KINDS = [
    "ipv4-addr",
    "file",
    "user-account",
    "indicator",
    "note",
    "attack-pattern",
    "relationship",
    "observed-data",
    "marking-definition",
    "malware",
]
PROPERTIES = [
    "value",
    "hashes",
    "name",
    "account_login",
    "user_id",
    "key",
    "pattern",
    "pattern_type",
    "valid_from",
    "labels",
    "content",
    "external_references",
    "source_ref",
    "target_ref",
    "object_refs",
    "object_marking_refs",
    "first_observed",
    "definition",
    "extensions",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.integers(0, 3),
            st.dictionaries(st.sampled_from(PROPERTIES), JSON, max_size=5),
        ),
        max_size=6,
    )
)
def test_any_bundle_contents_are_read_or_reported_never_crash(
    items: list[tuple[str, int, dict[str, Any]]],
) -> None:
    """Whatever the properties hold, reading ends in contents or a named refusal."""
    objects = [{**props, "type": kind, "id": f"{kind}--{n}"} for kind, n, props in items]
    try:
        read_bundle({"type": "bundle", "objects": objects})
    except InvalidInput as exc:
        assert exc.field
