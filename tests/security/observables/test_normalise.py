"""Observables: checked and normalised per type, TLP markings, ATT&CK ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.core.errors import InvalidInput
from fireline.security.observables.normalise import (
    TYPES,
    Observable,
    match_key,
    may_leave,
    normalise,
    technique,
    tlp,
)


@pytest.mark.parametrize(
    ("type_", "value", "algorithm", "expected"),
    [
        ("ipv4-addr", " 192.0.2.10 ", None, Observable("ipv4-addr", "192.0.2.10")),
        ("ipv4-addr", "198.51.100.7/24", None, Observable("ipv4-addr", "198.51.100.0/24")),
        ("ipv6-addr", "2001:DB8:0:0::1", None, Observable("ipv6-addr", "2001:db8::1")),
        ("domain-name", "Evil.Example.", None, Observable("domain-name", "evil.example")),
        ("domain-name", "bücher.example", None, Observable("domain-name", "xn--bcher-kva.example")),
        (
            "url",
            "HTTPS://Evil.Example:8443/Login?x=1",
            None,
            Observable("url", "https://evil.example:8443/Login?x=1"),
        ),
        ("email-addr", "Ceo@Evil.Example", None, Observable("email-addr", "Ceo@evil.example")),
        (
            "file",
            "D41D8CD98F00B204E9800998ECF8427E",
            "md5",
            Observable("file", "d41d8cd98f00b204e9800998ecf8427e", "MD5"),
        ),
        ("file", "a" * 64, "sha256", Observable("file", "a" * 64, "SHA-256")),
        ("file", "invoice.pdf.exe", None, Observable("file", "invoice.pdf.exe")),
        (
            "windows-registry-key",
            "hklm\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            None,
            Observable(
                "windows-registry-key",
                "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            ),
        ),
        ("user-account", "svc-backup", None, Observable("user-account", "svc-backup")),
    ],
)
def test_values_are_normalised_so_the_same_observable_matches(
    type_: str, value: str, algorithm: str | None, expected: Observable
) -> None:
    assert normalise(type_, value, algorithm) == expected


@pytest.mark.parametrize(
    ("type_", "value", "algorithm", "field"),
    [
        ("ipv4-addr", "300.1.1.1", None, "value"),
        ("ipv4-addr", "2001:db8::1", None, "value"),
        ("ipv6-addr", "192.0.2.1", None, "value"),
        ("domain-name", "localhost", None, "value"),
        ("domain-name", "-bad-.example", None, "value"),
        ("url", "javascript:alert(1)", None, "value"),
        ("email-addr", "no-at-sign", None, "value"),
        ("file", "abc", "sha256", "value"),
        ("file", "a" * 64, "crc32", "hash_algorithm"),
        ("file", "C:\\Users\\x\\evil.exe", None, "value"),
        ("windows-registry-key", "HKEY_NOWHERE\\x", None, "value"),
        ("mutex", "x", None, "type"),
        ("text", "   ", None, "value"),
        ("text", "x" * 3000, None, "value"),
    ],
)
def test_bad_values_name_their_field(
    type_: str, value: str, algorithm: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise(type_, value, algorithm)
    assert refused.value.field == field


def test_tlp_markings_order_what_may_leave() -> None:
    assert tlp("tlp:amber+strict") == "AMBER+STRICT"
    assert tlp("WHITE") == "CLEAR"
    assert may_leave("GREEN", "AMBER") and may_leave("AMBER", "AMBER")
    assert not may_leave("RED", "AMBER") and not may_leave("AMBER+STRICT", "GREEN")
    with pytest.raises(InvalidInput):
        tlp("PURPLE")


def test_attack_technique_ids() -> None:
    assert technique(" t1566.001 ") == "T1566.001"
    for bad in ("T15", "T1566.1", "TA0001", "phishing"):
        with pytest.raises(InvalidInput):
            technique(bad)


def test_the_match_key_is_the_same_for_the_same_observable_only() -> None:
    same = match_key(normalise("domain-name", "Evil.Example.")) == match_key(
        normalise("domain-name", "evil.example")
    )
    assert same
    digest = "d41d8cd98f00b204e9800998ecf8427e"
    as_md5 = match_key(normalise("file", digest, "MD5"))
    assert as_md5 != match_key(normalise("file", digest))  # a file named like a hash
    assert match_key(normalise("text", "evil.example")) != match_key(
        normalise("domain-name", "evil.example")
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://paypal.example@evil.example/login", "https://paypal.example@evil.example/login"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("http://evil.example:0/", "http://evil.example:0/"),
    ],
)
def test_urls_keep_what_makes_them_different(value: str, expected: str) -> None:
    assert normalise("url", value).value == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://evil.example:99999/",
        "http://[::1",
        "http://[zz]/",
        "https://evil.example:x/",
        "http:evil.example",
    ],
)
def test_broken_urls_are_refused_not_crashed_on(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise("url", value)
    assert refused.value.field == "value"


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([*TYPES, "mutex"]),
    st.text(max_size=60)
    | st.from_regex(r"https?://[a-z\[\]:@.0-9]{0,20}(:\d{0,6})?/?", fullmatch=True),
    st.none() | st.sampled_from(["MD5", "sha1", "SHA-256", "crc"]),
)
def test_any_value_is_normalised_or_refused_by_name(
    type_: str, value: str, algorithm: str | None
) -> None:
    try:
        found = normalise(type_, value, algorithm)
    except InvalidInput as exc:
        assert exc.field in ("type", "value", "hash_algorithm")
        return
    assert normalise(found.type, found.value, found.hash_algorithm) == found  # stable
