"""Demo evidence for `make run`: small real files kept in the evidence store
(a log excerpt, a memory-dump stand-in, a ransom note) and external items
(a disk image on a shelf, a laptop in a locker), each with a custody trail."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.config import Settings
from fireline.incidents import service as incident_service
from fireline.incidents.demo import principal_of
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.security.access import held_roles
from fireline.security.evidence import service
from fireline.security.evidence.metadata import Details
from fireline.security.evidence.models import EvidenceItem
from fireline.security.evidence.store import EvidenceStore

M = timedelta(minutes=1)
H = timedelta(hours=1)
SAM, GRACE, LINUS = "sam@demo.fireline.dev", "grace@demo.fireline.dev", "linus@demo.fireline.dev"


@dataclass(frozen=True)
class Step:
    after: timedelta  # since the incident was declared
    who: str  # e-mail of the person recording it
    kind: str
    to: str = ""
    location: str = ""
    purpose: str = ""
    sha256: str | None = None  # external items: what the person measured


@dataclass(frozen=True)
class Exhibit:
    incident: str  # key in the incidents mapping
    after: timedelta  # collected this long after the incident was declared
    who: str
    details: Details
    content: bytes | None = None  # an upload's bytes; None: an external item
    steps: tuple[Step, ...] = field(default=())


def seed_evidence(
    session: Session,
    plan: Plan,
    now: datetime,
    incidents: Mapping[str, Incident],
    users: dict[str, User],
    settings: Settings,
) -> None:
    """Once: nothing happens when the demo's incidents already have evidence."""
    wanted = [i for i in incidents.values() if i is not None]
    if not wanted or session.scalar(
        select(EvidenceItem.id).where(EvidenceItem.incident_id.in_([i.id for i in wanted]))
    ):
        return
    store = EvidenceStore(settings.evidence_dir)
    for exhibit in _exhibits(users):
        incident = incidents.get(exhibit.incident)
        if incident is None:
            continue
        _ensure_security_lead(session, plan, incident, users[SAM])
        _register(session, store, now, incident, users, exhibit)


def _ensure_security_lead(session: Session, plan: Plan, incident: Incident, sam: User) -> None:
    if "security_lead" in {r.key for r in plan.roles} and "security_lead" not in held_roles(
        incident, sam.id
    ):
        incident_service.assign_role(
            session,
            plan,
            principal_of(sam),
            incident.declared_at + M,
            incident,
            "security_lead",
            sam.email,
        )


def _register(
    session: Session,
    store: EvidenceStore,
    now: datetime,
    incident: Incident,
    users: dict[str, User],
    exhibit: Exhibit,
) -> None:
    collected = min(incident.declared_at + exhibit.after, now)
    registered = min(collected + 4 * M, now)
    who = principal_of(users[exhibit.who])
    details = replace(exhibit.details, collected_at=collected)
    stored = (
        store.put([exhibit.content], extra=("sha1", "md5")) if exhibit.content is not None else None
    )
    item = service.register(session, who, registered, incident, details, stored=stored)
    for step in exhibit.steps:
        at = min(incident.declared_at + step.after, now)
        person = principal_of(users[step.who])
        measured = (
            service.Measured(store.hash_now(item.sha256))
            if item.is_upload and item.sha256
            else None
        )
        entry = service.CustodyInput(
            kind=step.kind,
            by=person.name,
            to=step.to,
            location=step.location,
            purpose=step.purpose,
            occurred_at=at,
            sha256=step.sha256,
        )
        service.add_custody(session, person, at, incident, item, entry, measured)


# --- what was collected ------------------------------------------------------------------


def _edr_excerpt() -> bytes:
    lines = [
        {"ts": "2026-11-22T01:14:07Z", "host": "fs-02", "event": "ProcessStart", "image": "C:\\ProgramData\\svcupd\\svchost.exe", "parent": "services.exe", "user": "ACME\\svc-backup"},
        {"ts": "2026-11-22T01:14:09Z", "host": "fs-02", "event": "NetworkConnect", "image": "C:\\ProgramData\\svcupd\\svchost.exe", "remote": "185.220.101.47:443"},
        {"ts": "2026-11-22T01:14:31Z", "host": "fs-02", "event": "FileRename", "count": 1200, "extension": ".lockbit", "share": "\\\\fs-02\\finance"},
        {"ts": "2026-11-22T01:15:02Z", "host": "fs-02", "event": "ShadowCopyDelete", "command": "vssadmin delete shadows /all /quiet"},
        {"ts": "2026-11-22T01:16:40Z", "host": "fs-02", "event": "Detection", "severity": "critical", "name": "Ransomware behaviour: mass rename"},
    ]  # fmt: skip
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _memory_stand_in() -> bytes:
    """256 KiB that stand in for a memory image: a header, then fixed noise."""
    header = b"FIRELINE DEMO MEMORY IMAGE STAND-IN\nhost=fs-02 format=lime\n"
    noise = random.Random(4711).randbytes(256 * 1024 - len(header))
    return header + noise


RANSOM_NOTE = b"""~~~ Your files are encrypted ~~~
All files on this server were encrypted. To restore them, contact us within
72 hours at the address below with your personal ID.
Personal ID: 7F3A-19C2-D04E
(demo text: a stand-in for the note found on fs-02)
"""

GITHUB_AUDIT = b"""{"@timestamp":1763800000000,"action":"repo.create","actor":"dev-0917","repo":"dev-0917/customer-export","visibility":"public","forked_from":"acme/customer-export"}
{"@timestamp":1763800290000,"action":"git.push","actor":"dev-0917","repo":"dev-0917/customer-export","ref":"refs/heads/main","files":["config/export.env"]}
{"@timestamp":1763802480000,"action":"secret_scanning_alert.create","repo":"dev-0917/customer-export","secret_type":"aws_access_key_id"}
"""

S3_ACCESS_LOG = b"""79a5 acme-customer-export [22/Nov/2026:08:02:11 +0000] 10.20.4.17 arn:aws:iam::4711:user/export-svc 3E57 REST.GET.OBJECT exports/2026-11-22.csv.gz "GET /exports/2026-11-22.csv.gz HTTP/1.1" 200 - 18734421
79a5 acme-customer-export [22/Nov/2026:09:02:13 +0000] 10.20.4.17 arn:aws:iam::4711:user/export-svc 9A1C REST.GET.OBJECT exports/2026-11-22.csv.gz "GET /exports/2026-11-22.csv.gz HTTP/1.1" 200 - 18734421
79a5 acme-customer-export [22/Nov/2026:10:37:55 +0000] 10.20.4.17 arn:aws:iam::4711:user/export-svc 1B2F REST.GET.BUCKET - "GET /?list-type=2 HTTP/1.1" 200 - 2214
"""

# What the disk image's collector measured with FTK Imager (the image itself is not in fireline).
DISK_IMAGE_SHA256 = hashlib.sha256(b"demo: fs-02 system disk image").hexdigest()


def _exhibits(users: dict[str, User]) -> list[Exhibit]:
    sam, linus = users[SAM].name, users[LINUS].name
    safe = "Evidence safe, SOC room 2.14"
    return [
        Exhibit(
            "ransomware",
            17 * M,
            LINUS,
            Details(
                item_type="memory dump",
                label="fs-02-mem",
                description="Memory of file server fs-02, taken before it was isolated (demo stand-in, 256 KiB).",
                source_host="fs-02",
                source_serial="CZJ8410G2K",
                collected_by=linus,
                collected_tz="Europe/Berlin",
                tool="LiME",
                tool_version="1.9.1",
                storage_location=safe,
                legal_hold=True,
                file_name="fs-02-memory.lime",
                content_type="application/octet-stream",
            ),
            _memory_stand_in(),
            (
                Step(
                    40 * M,
                    LINUS,
                    "transferred",
                    to=sam,
                    location=safe,
                    purpose="to the security lead for analysis",
                ),
                Step(
                    2 * H,
                    SAM,
                    "copied",
                    to="forensic workstation FW-1",
                    purpose="working copy for Volatility",
                ),
                Step(
                    5 * H,
                    SAM,
                    "analysed",
                    purpose="Volatility 3: process list and connections; the loader runs as svchost.exe from C:\\ProgramData\\svcupd",
                ),
            ),
        ),
        Exhibit(
            "ransomware",
            25 * M,
            SAM,
            Details(
                item_type="log excerpt",
                label="edr-log",
                description="EDR events for fs-02 from the first process start to the detection.",
                source_host="fs-02",
                source_account="ACME\\svc-backup",
                collected_by=sam,
                collected_tz="Europe/Berlin",
                tool="EDR console export",
                tool_version="7.12",
                storage_location=safe,
                file_name="edr-fs-02-excerpt.jsonl",
                content_type="application/x-ndjson",
            ),
            _edr_excerpt(),
            (
                Step(
                    3 * H,
                    SAM,
                    "analysed",
                    purpose="timeline of the intrusion; C2 address to the observables",
                ),
            ),
        ),
        Exhibit(
            "ransomware",
            30 * M,
            SAM,
            Details(
                item_type="document",
                label="ransom-note",
                description="The ransom note left in every encrypted folder of the finance share.",
                source_host="fs-02",
                collected_by=sam,
                collected_tz="Europe/Berlin",
                storage_location=safe,
                file_name="README-RESTORE.txt",
                content_type="text/plain",
            ),
            RANSOM_NOTE,
        ),
        Exhibit(
            "ransomware",
            5 * H,
            LINUS,
            Details(
                item_type="disk image",
                label="fs-02-disk",
                description="Forensic image of fs-02's system disk (E01, 480 GB) on encrypted USB drive WD-4TB-0032, in sealed bag 000417.",
                source_host="fs-02",
                source_serial="S4EVNX0R612345",
                collected_by=linus,
                collected_tz="Europe/Berlin",
                tool="FTK Imager",
                tool_version="4.7.1",
                storage_location="Shelf B3, evidence room 2.14",
                legal_hold=True,
                sha256=DISK_IMAGE_SHA256,
            ),
            None,
            (
                Step(
                    6 * H,
                    LINUS,
                    "transferred",
                    to=sam,
                    location="Shelf B3, evidence room 2.14",
                    purpose="sealed and handed over",
                ),
                Step(
                    20 * H,
                    SAM,
                    "checked_out",
                    location="forensic workstation FW-1",
                    purpose="verify the image and search it for the loader",
                    sha256=DISK_IMAGE_SHA256,
                ),
                Step(
                    24 * H,
                    SAM,
                    "checked_in",
                    location="Shelf B3, evidence room 2.14",
                    purpose="resealed in bag 000418",
                    sha256=DISK_IMAGE_SHA256,
                ),
            ),
        ),
        Exhibit(
            "leaked_key",
            20 * M,
            SAM,
            Details(
                item_type="laptop",
                label="laptop-0917",
                description="MacBook Pro 14 from which the fork was pushed, asset tag ACME-LT-0917, powered off and bagged.",
                source_serial="C02FK3XYMD6T",
                source_account="dev-0917@acme.example",
                collected_by=sam,
                collected_tz="Europe/London",
                storage_location="Locker 4, IT security office (key with the security lead)",
                legal_hold=True,
                retain_until=date(2028, 12, 31),
            ),
            None,
            (
                Step(
                    2 * H,
                    LINUS,
                    "checked_out",
                    location="imaging bench",
                    purpose="image the disk before it goes back to its owner",
                ),
                Step(3 * H, LINUS, "checked_in", location="Locker 4, IT security office"),
            ),
        ),
        Exhibit(
            "leaked_key",
            30 * M,
            SAM,
            Details(
                item_type="log excerpt",
                label="github-audit",
                description="GitHub audit log entries for the fork, the push and the secret scanning alert.",
                source_account="dev-0917",
                source_cloud="https://github.com/acme/customer-export",
                collected_by=sam,
                collected_tz="Europe/London",
                tool="GitHub audit log API",
                tool_version="2022-11-28",
                storage_location="fireline only",
                file_name="github-audit-fork.jsonl",
                content_type="application/x-ndjson",
            ),
            GITHUB_AUDIT,
        ),
        Exhibit(
            "leaked_key",
            55 * M,
            LINUS,
            Details(
                item_type="log excerpt",
                label="s3-access",
                description="S3 server access log lines for the export bucket around the exposure.",
                source_account="arn:aws:iam::4711:user/export-svc",
                source_cloud="arn:aws:s3:::acme-customer-export",
                collected_by=linus,
                collected_tz="UTC",
                tool="aws s3 cp",
                tool_version="2.15.30",
                storage_location="fireline only",
                file_name="s3-access-excerpt.log",
                content_type="text/plain",
            ),
            S3_ACCESS_LOG,
            (
                Step(
                    90 * M,
                    GRACE,
                    "analysed",
                    purpose="no reads from outside our ranges in the window",
                ),
            ),
        ),
    ]
