"""Observables of every type and every TLP level, with ATT&CK tags, for the STIX tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fireline.security.observables.normalise import TLP, normalise
from fireline.security.observables.stix import IncidentFacts, ObservableFacts

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENT = IncidentFacts(
    ref="INC-7",
    title="Cloud API key leaked in a public repository",
    summary="An AWS access key was committed to github.com/acme/deploy-scripts.",
    declared_at=NOW - timedelta(hours=6),
    updated_at=NOW - timedelta(hours=1),
    techniques=("T1078.004", "T1552.001"),
)
# (type, value, hash algorithm): one of each kind fireline keeps.
VALUES = [
    ("ipv4-addr", "203.0.113.7", None),
    ("ipv4-addr", "198.51.100.0/24", None),
    ("ipv6-addr", "2001:db8::7", None),
    ("domain-name", "c2.evil.example", None),
    ("url", "https://paste.evil.example/raw/k3y?x='1'", None),
    ("file", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "SHA-256"),
    ("file", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1"),
    ("file", "d41d8cd98f00b204e9800998ecf8427e", "MD5"),
    ("file", "README_RESTORE_FILES.txt", None),
    ("email-addr", "billing@evil.example", None),
    ("user-account", "svc-deploy", None),
    ("windows-registry-key", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", None),
    ("text", "The key was used from a VPS minutes after the push.", None),
]


def every_kind() -> list[ObservableFacts]:
    """Each value once, the TLP levels in turn, techniques on every third."""
    found = []
    for index, (type_, value, algorithm) in enumerate(VALUES):
        observable = normalise(type_, value, algorithm)
        found.append(
            ObservableFacts(
                type=observable.type,
                value=observable.value,
                hash_algorithm=observable.hash_algorithm,
                tlp=TLP[index % len(TLP)],
                description="" if index % 2 else f"seen during triage ({type_})",
                techniques=("T1552.001", "T1566.001") if index % 3 == 0 else (),
                first_seen=NOW - timedelta(hours=5, minutes=index),
                last_seen=NOW - timedelta(hours=2),
                added_at=NOW - timedelta(hours=4),
                updated_at=NOW - timedelta(hours=3),
            )
        )
    return found
