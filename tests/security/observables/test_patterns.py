"""STIX patterns: written for each kind of observable, read back when they are lists of observables."""

from __future__ import annotations

import pytest

from fireline.security.observables.normalise import Observable
from fireline.security.observables.patterns import (
    Comparison,
    UnsupportedPattern,
    pattern_of,
    read_pattern,
)


@pytest.mark.parametrize(
    ("observable", "pattern"),
    [
        (Observable("ipv4-addr", "203.0.113.7"), "[ipv4-addr:value = '203.0.113.7']"),
        (Observable("file", "a" * 64, "SHA-256"), f"[file:hashes.'SHA-256' = '{'a' * 64}']"),
        (Observable("file", "b" * 32, "MD5"), f"[file:hashes.MD5 = '{'b' * 32}']"),
        (Observable("file", "it's.exe"), "[file:name = 'it\\'s.exe']"),
        (
            Observable("windows-registry-key", "HKEY_CURRENT_USER\\Run"),
            "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Run']",
        ),
        (Observable("user-account", "svc-backup"), "[user-account:account_login = 'svc-backup']"),
    ],
)
def test_patterns_written_read_back_the_same(observable: Observable, pattern: str) -> None:
    assert pattern_of(observable) == pattern
    assert read_pattern(pattern) == [
        Comparison(observable.type, observable.hash_algorithm, observable.value)
    ]


def test_comparisons_joined_by_or_inside_and_between_brackets() -> None:
    found = read_pattern(
        "[domain-name:value = 'a.example' OR url:value = 'https://b.example/x'] "
        "OR [file:hashes.SHA256 = 'abc'] or [user-account:user_id = '1001']"
    )
    assert found == [
        Comparison("domain-name", None, "a.example"),
        Comparison("url", None, "https://b.example/x"),
        Comparison("file", "SHA-256", "abc"),
        Comparison("user-account", None, "1001"),
    ]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.example']", "AND"),
        ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", "FOLLOWEDBY"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "WITHIN"),
        ("[ipv4-addr:value != '1.2.3.4']", "'!='"),
        ("[domain-name:value LIKE '%.example']", "LIKE"),
        ("[process:name = 'evil.exe']", "process:name"),
        ("[ipv4-addr:value = '1.2.3.4'", "']'"),
        ("[ipv4-addr:value = 5]", "quoted"),
        ("", "empty"),
        ("[ipv4-addr:value = '1.2.3.4'] OR", "ends with OR"),
        ("ipv4-addr:value = '1.2.3.4'", "'['"),
    ],
)
def test_other_patterns_are_refused_with_the_reason(pattern: str, why: str) -> None:
    with pytest.raises(UnsupportedPattern) as refused:
        read_pattern(pattern)
    assert why in str(refused.value)
