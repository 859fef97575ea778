"""Demo obligation clocks for `make run`: GDPR running on the leaked API key;
NIS2 (early warning sent, with the document) and DORA (initial notification
sent) running on the ransomware; their reminder timers queued."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core.config import Settings
from fireline.incidents.demo import principal_of
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.security.evidence.store import EvidenceStore
from fireline.security.obligations import catalog, documents, service
from fireline.security.obligations.models import IncidentObligation

M = timedelta(minutes=1)
H = timedelta(hours=1)
SAM, GRACE = "sam@demo.fireline.dev", "grace@demo.fireline.dev"

EARLY_WARNING = """\
NIS2 Art. 23(4)(a) early warning
Entity: Acme Payments GmbH, Berlin (essential entity, digital infrastructure)
Incident: ransomware (LockBit 3.0 note) on file server fs-02.corp.acme.example
Detected: {aware} by EDR (mass renames to .lockbit on \\\\fs-02\\finance)
Suspected unlawful or malicious act: yes
Possible cross-border impact: under assessment (payroll data of staff in DE and US-NY)
Measures so far: fs-02 isolated, SMB blocked between office VLANs, memory image taken
Contact: security lead, security@acme.example, +49 30 5557 0100
"""


def seed_obligations(
    session: Session,
    plan: Plan,
    now: datetime,
    incidents: Mapping[str, Incident],
    users: dict[str, User],
    settings: Settings,
) -> None:
    """Once: nothing happens when the demo's incidents have obligations already.
    Every time is relative to when the incidents were declared, so the
    clocks are as far along as the stories (``now`` is not needed)."""
    wanted = [i for i in incidents.values() if i is not None]
    if not wanted or session.scalar(
        select(IncidentObligation.id).where(
            IncidentObligation.incident_id.in_([i.id for i in wanted])
        )
    ):
        return
    offered = catalog.catalog(plan)
    leaked = incidents.get("leaked_key")
    if leaked is not None and "gdpr" in offered:
        _leaked_key_gdpr(session, plan, leaked, users)
    ransomware = incidents.get("ransomware")
    if ransomware is not None:
        store = EvidenceStore(settings.evidence_dir)
        if "nis2" in offered:
            _ransomware_nis2(session, plan, ransomware, users, store)
        if "dora" in offered:
            _ransomware_dora(session, plan, ransomware, users)


def _leaked_key_gdpr(
    session: Session, plan: Plan, incident: Incident, users: dict[str, User]
) -> None:
    grace = principal_of(users[GRACE])
    declared = incident.declared_at
    # Secret scanning alerted 20 minutes before the incident was declared.
    row = service.attach(
        session,
        plan,
        grace,
        declared + 30 * M,
        incident,
        key="gdpr",
        reason="The export bucket holds names, e-mail and postal addresses of 48,200 EU "
        "customers; a readable key in public is a personal-data breach until the logs "
        "show otherwise.",
        trigger_at=declared - 20 * M,
        time_zone="Europe/Berlin",
    )
    service.set_conditions(
        session,
        plan,
        grace,
        declared + 55 * M,
        incident,
        row,
        {"high_risk": False},
        reason="Key revoked 38 minutes after the push; no reads from outside our ranges so "
        "far. Revisit when the CloudTrail review of the last 90 days is done.",
    )


def _ransomware_nis2(
    session: Session,
    plan: Plan,
    incident: Incident,
    users: dict[str, User],
    store: EvidenceStore,
) -> None:
    sam, grace = principal_of(users[SAM]), principal_of(users[GRACE])
    aware = incident.declared_at - 20 * M  # the EDR alert at 02:14
    row = service.attach(
        session,
        plan,
        grace,
        incident.declared_at + 40 * M,
        incident,
        key="nis2",
        reason="Finance cannot close the month and payroll data may be gone: a significant "
        "incident for an essential entity in Germany.",
        trigger_at=aware,
        time_zone="Europe/Berlin",
    )
    sent_at = aware + 19 * H
    notice = EARLY_WARNING.format(aware=f"{aware:%Y-%m-%d %H:%M} UTC").encode()
    document = documents.store(
        session,
        store,
        sam,
        sent_at - 5 * M,
        incident,
        [notice],
        filename="nis2-early-warning-fs-02.txt",
        content_type="text/plain",
    )
    service.submit(
        session,
        plan,
        sam,
        sent_at + 2 * M,
        incident,
        row,
        stage="early_warning",
        at=sent_at,
        time_zone="Europe/Berlin",
        authority="BSI, NIS2 reporting portal",
        reference="BSI-MIP-2026-04417",
        note="Receipt confirmed by the BSI duty officer by phone.",
        document_sha256=document.sha256,
    )


def _ransomware_dora(
    session: Session, plan: Plan, incident: Incident, users: dict[str, User]
) -> None:
    sam, grace = principal_of(users[SAM]), principal_of(users[GRACE])
    classified = incident.declared_at + 35 * M  # the classification decision
    row = service.attach(
        session,
        plan,
        grace,
        classified + 10 * M,
        incident,
        key="dora",
        reason="Payment operations depend on the finance share; classified major under the "
        "RTS criteria (critical service, data losses, duration over 24 h expected).",
        trigger_at=classified,
        time_zone="Europe/Berlin",
    )
    service.record_moment(
        session,
        plan,
        grace,
        classified + 11 * M,
        incident,
        row,
        moment="aware",
        at=incident.declared_at - 20 * M,
        time_zone="Europe/Berlin",
        note="The EDR alert on fs-02.",
    )
    service.submit(
        session,
        plan,
        sam,
        classified + 4 * H,
        incident,
        row,
        stage="initial",
        at=classified + 3 * H + 40 * M,
        time_zone="Europe/Berlin",
        authority="BaFin, MVP portal",
        reference="BaFin-DORA-2026-0193",
    )
