"""The STIX 2.1 bundle: valid for the OASIS validator, TLP-governed, deterministic."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_string

from fireline.core.errors import InvalidInput
from fireline.security.observables.markings import TLP2_EXTENSION, TLP2_IDS
from fireline.security.observables.normalise import TLP
from fireline.security.observables.stix import build_bundle
from tests.security.observables.stix_samples import INCIDENT, NOW, every_kind


def validate(bundle: dict[str, Any], **options: Any) -> Any:
    return validate_string(json.dumps(bundle), ValidationOptions(version="2.1", **options))


def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == kind]


@pytest.mark.parametrize("ceiling", TLP)
def test_the_bundle_passes_the_oasis_validator(ceiling: str) -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling=ceiling, now=NOW)
    results = validate(bundle)
    assert results.is_valid and results.errors == [], results.errors
    # The only advice not followed: ids are UUIDv5 (the same incident, the same ids), not v4.
    assert all("{103}" in w for w in results.warnings), results.warnings
    strict = validate(bundle, strict=True, disabled=["uuid-check"])
    assert strict.is_valid, strict.errors


def test_every_kind_of_observable_becomes_indicator_observed_data_and_sco() -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling="RED", now=NOW)
    patterns = sorted(i["pattern"] for i in of_type(bundle, "indicator"))
    assert "[ipv4-addr:value = '203.0.113.7']" in patterns
    assert "[ipv4-addr:value = '198.51.100.0/24']" in patterns
    assert (
        "[file:hashes.'SHA-256' = "
        "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']" in patterns
    )
    assert "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']" in patterns
    assert "[file:name = 'README_RESTORE_FILES.txt']" in patterns
    assert "[url:value = 'https://paste.evil.example/raw/k3y?x=\\'1\\'']" in patterns
    assert (
        "[windows-registry-key:key = "
        "'HKEY_LOCAL_MACHINE\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run']"
        in patterns
    )
    assert len(patterns) == 12 and len(of_type(bundle, "observed-data")) == 12
    for kind in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "email-addr"):
        assert of_type(bundle, kind), kind
    assert of_type(bundle, "user-account")[0]["account_login"] == "svc-deploy"
    text = [n for n in of_type(bundle, "note") if n.get("labels") == ["text-observable"]]
    assert text[0]["content"].startswith("The key was used")
    observed = of_type(bundle, "observed-data")[0]
    assert observed["first_observed"].endswith("Z") and observed["number_observed"] == 1


def test_relationships_tie_everything_to_the_incident() -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling="RED", now=NOW)
    incident = of_type(bundle, "incident")[0]
    assert incident["name"] == "INC-7: Cloud API key leaked in a public repository"
    links = {
        (r["source_ref"].split("--")[0], r["relationship_type"], r["target_ref"].split("--")[0])
        for r in of_type(bundle, "relationship")
    }
    assert links == {
        ("indicator", "based-on", "observed-data"),
        ("indicator", "related-to", "incident"),
        ("observed-data", "related-to", "incident"),
        ("indicator", "indicates", "attack-pattern"),
        ("note", "related-to", "attack-pattern"),  # a text observable's techniques
        ("incident", "related-to", "attack-pattern"),
    }
    ids = {o["id"] for o in bundle["objects"]}
    for relationship in of_type(bundle, "relationship"):
        assert relationship["source_ref"] in ids and relationship["target_ref"] in ids


def test_techniques_are_attack_patterns_referring_to_mitre_attack() -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling="RED", now=NOW)
    patterns = {
        p["external_references"][0]["external_id"]: p for p in of_type(bundle, "attack-pattern")
    }
    assert set(patterns) == {"T1078.004", "T1552.001", "T1566.001"}
    assert patterns["T1552.001"]["name"] == "Credentials In Files"
    assert patterns["T1566.001"]["external_references"][0]["source_name"] == "mitre-attack"


def test_markings_are_the_published_tlp2_definitions_applied_per_object() -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling="RED", now=NOW)
    definitions = {d["id"]: d for d in of_type(bundle, "marking-definition")}
    assert set(definitions) == set(TLP2_IDS.values())
    amber = definitions["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
    assert amber["name"] == "TLP:AMBER" and amber["created"] == "2022-10-01T00:00:00.000Z"
    assert amber["extensions"][TLP2_EXTENSION] == {
        "extension_type": "property-extension",
        "tlp_2_0": "amber",
    }
    by_pattern = {i["pattern"]: i for i in of_type(bundle, "indicator")}
    red = by_pattern["[url:value = 'https://paste.evil.example/raw/k3y?x=\\'1\\'']"]
    assert red["object_marking_refs"] == [TLP2_IDS["RED"]]
    assert by_pattern["[ipv4-addr:value = '203.0.113.7']"]["object_marking_refs"] == [
        TLP2_IDS["CLEAR"]
    ]


@pytest.mark.parametrize(
    ("ceiling", "kept"),
    [("CLEAR", 3), ("GREEN", 6), ("AMBER", 9), ("AMBER+STRICT", 11), ("RED", 13)],
)
def test_the_ceiling_leaves_out_what_is_marked_above_it_and_says_so(
    ceiling: str, kept: int
) -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling=ceiling, now=NOW)
    allowed = {TLP2_IDS[level] for level in TLP[: TLP.index(ceiling) + 1]}
    for item in bundle["objects"]:
        for ref in item.get("object_marking_refs", []):
            assert ref in allowed, (ceiling, item["id"])
    text_notes = [n for n in of_type(bundle, "note") if n.get("labels")]
    assert len(of_type(bundle, "indicator")) + len(text_notes) == kept
    incident = of_type(bundle, "incident")[0]
    assert f"TLP:{ceiling} ceiling" in incident["description"]
    assert incident["description"].startswith("An AWS access key was committed")
    assert incident["object_marking_refs"] == [TLP2_IDS[ceiling]]
    note = next(n for n in of_type(bundle, "note") if not n.get("labels"))
    assert note["content"].endswith(f"Left out: {13 - kept}.")


def test_the_same_incident_exports_the_same_ids() -> None:
    first = build_bundle(INCIDENT, every_kind(), now=NOW)
    again = build_bundle(INCIDENT, list(reversed(every_kind())), now=NOW)
    assert first["id"] == again["id"]
    assert {o["id"] for o in first["objects"]} == {o["id"] for o in again["objects"]}
    other = build_bundle(
        INCIDENT.__class__(**{**INCIDENT.__dict__, "ref": "INC-8"}), every_kind(), now=NOW
    )
    assert of_type(other, "incident")[0]["id"] != of_type(first, "incident")[0]["id"]
    # A cyber-observable's id is STIX's own deterministic one, the same in every bundle.
    assert {o["id"] for o in of_type(other, "ipv4-addr")} == {
        o["id"] for o in of_type(first, "ipv4-addr")
    }


def test_the_sco_id_follows_the_stix_rule() -> None:
    bundle = build_bundle(INCIDENT, every_kind(), ceiling="RED", now=NOW)
    address = next(o for o in of_type(bundle, "ipv4-addr") if o["value"] == "203.0.113.7")
    expected = uuid.uuid5(
        uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"), '{"value":"203.0.113.7"}'
    )
    assert address["id"] == f"ipv4-addr--{expected}"


def test_an_unknown_ceiling_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        build_bundle(INCIDENT, every_kind(), ceiling="PURPLE", now=NOW)
    assert refused.value.field == "tlp"


def test_an_incident_without_observables_is_still_a_valid_bundle() -> None:
    bundle = build_bundle(
        INCIDENT.__class__(**{**INCIDENT.__dict__, "techniques": ()}), [], now=NOW
    )
    assert validate(bundle).is_valid
    assert [o["type"] for o in bundle["objects"]] == ["marking-definition", "incident", "note"]
