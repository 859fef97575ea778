"""Demo observables for `make run`: what the leaked-key and ransomware
incidents turned up, with markings and ATT&CK tags. One address is in
both (the VPS that tried the revoked key also ran the ransomware's
command and control), so each incident page shows the other as a sighting."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fireline.incidents.demo import principal_of
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.security.evidence.demo import RANSOM_NOTE
from fireline.security.observables import service
from fireline.security.observables.entry import check

M = timedelta(minutes=1)
H = timedelta(hours=1)
SAM, LINUS = "sam@demo.fireline.dev", "linus@demo.fireline.dev"
SHARED_ADDRESS = "203.0.113.66"
# The loader EDR caught on fs-02 (C:\ProgramData\svcupd\svchost.exe); a stand-in digest.
LOADER_SHA256 = hashlib.sha256(b"demo: svcupd loader").hexdigest()


@dataclass(frozen=True)
class Sample:
    after: timedelta  # since the incident was declared
    who: str
    type: str
    value: str
    tlp: str
    description: str
    techniques: tuple[str, ...] = ()
    hash_algorithm: str | None = None
    seen: timedelta | None = None  # first seen this long after the declaration (negative: before)


LEAKED_KEY = (
    Sample(
        8 * M,
        SAM,
        "url",
        "https://github.com/dev-0917/customer-export/blob/main/config/export.env",
        "AMBER",
        "Public fork holding the export-svc key in config/export.env.",
        ("T1552.001",),
        seen=-55 * M,
    ),
    Sample(
        9 * M,
        SAM,
        "file",
        "export.env",
        "GREEN",
        "The committed file with the key.",
        ("T1552.001",),
    ),
    Sample(
        12 * M,
        SAM,
        "user-account",
        "arn:aws:iam::4711:user/export-svc",
        "AMBER",
        "The IAM user whose access key leaked.",
        ("T1078.004",),
    ),
    Sample(
        62 * M,
        LINUS,
        "ipv4-addr",
        SHARED_ADDRESS,
        "AMBER",
        "CloudTrail: ListBuckets with the revoked key, AccessDenied. A rented VPS.",
        ("T1078.004", "T1530"),
        seen=50 * M,
    ),
    Sample(
        64 * M,
        LINUS,
        "ipv6-addr",
        "2001:db8:4f2a::17",
        "AMBER",
        "CloudTrail: GetCallerIdentity with the revoked key, AccessDenied.",
        ("T1078.004",),
        seen=52 * M,
    ),
)
RANSOMWARE = (
    Sample(
        40 * M,
        SAM,
        "email-addr",
        "billing@northwind-invoices.example",
        "GREEN",
        "Sender of the invoice e-mail that carried the loader to a finance laptop.",
        ("T1566.001",),
        seen=-3 * 24 * H,
    ),
    Sample(
        42 * M,
        SAM,
        "file",
        "Invoice_2026-11.pdf.exe",
        "GREEN",
        "The attachment.",
        ("T1566.001", "T1204.002"),
    ),
    Sample(
        50 * M,
        SAM,
        "file",
        LOADER_SHA256,
        "AMBER",
        "Loader run as C:\\ProgramData\\svcupd\\svchost.exe on fs-02.",
        ("T1105",),
        hash_algorithm="SHA-256",
        seen=-60 * M,
    ),
    Sample(
        55 * M,
        SAM,
        "ipv4-addr",
        SHARED_ADDRESS,
        "AMBER",
        "Command and control: the loader's HTTPS beacon from fs-02.",
        ("T1071.001",),
        seen=-60 * M,
    ),
    Sample(
        56 * M,
        SAM,
        "domain-name",
        "cdn-syncupdate.example",
        "AMBER",
        "C2 domain resolving to the same VPS.",
        ("T1071.001",),
        seen=-60 * M,
    ),
    Sample(
        70 * M,
        LINUS,
        "windows-registry-key",
        "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\svcupd",
        "GREEN",
        "Persistence of the loader.",
        ("T1547.001",),
    ),
    Sample(
        75 * M,
        LINUS,
        "user-account",
        "ACME\\svc-backup",
        "RED",
        "Backup service account the attacker ran as; its password is being rotated.",
        ("T1078",),
    ),
    Sample(
        80 * M,
        LINUS,
        "text",
        "vssadmin delete shadows /all /quiet",
        "CLEAR",
        "Run on fs-02 at 02:15 local time, before the encryption.",
        ("T1490",),
    ),
    Sample(
        90 * M,
        SAM,
        "file",
        "README-RESTORE.txt",
        "CLEAR",
        "Ransom note in every encrypted folder.",
        ("T1486",),
    ),
    Sample(
        91 * M,
        SAM,
        "file",
        hashlib.sha256(RANSOM_NOTE).hexdigest(),
        "CLEAR",
        "SHA-256 of README-RESTORE.txt (the copy kept as evidence).",
        ("T1486",),
        hash_algorithm="SHA-256",
    ),
    Sample(
        95 * M,
        SAM,
        "url",
        "https://decrypt-portal.example/chat/7F3A-19C2-D04E",
        "RED",
        "Negotiation portal named in the note, with our victim id: not to be shared.",
    ),
)
TECHNIQUES = {
    "leaked_key": ("T1552.001", "T1078.004", "T1530"),
    "ransomware": ("T1566.001", "T1547.001", "T1071.001", "T1490", "T1486"),
}


def seed_observables(
    session: Session,
    plan: Plan,
    now: datetime,
    incidents: Mapping[str, Incident],
    users: dict[str, User],
) -> None:
    for key, samples in (("leaked_key", LEAKED_KEY), ("ransomware", RANSOMWARE)):
        incident = incidents[key]
        start = incident.declared_at
        for sample in samples:
            at = min(start + sample.after, now)
            seen = start + sample.seen if sample.seen is not None else None
            given = check(
                sample.type,
                sample.value,
                now=at,
                hash_algorithm=sample.hash_algorithm,
                marking=sample.tlp,
                description=sample.description,
                techniques=sample.techniques,
                first_seen=seen if seen and seen <= at else None,
            )
            service.record(session, principal_of(users[sample.who]), at, incident, given)
        tagger = principal_of(users[SAM])
        for index, technique in enumerate(TECHNIQUES[key]):
            at = min(start + (100 + index) * M, now)
            service.add_technique(session, tagger, at, incident, technique)
