"""Two running security incidents for `make run`: a leaked API key and
ransomware, classified, with approvals, confidential notes, role tasks,
evidence under custody, observables and obligation clocks still ticking."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog.models import Service
from fireline.core.config import Settings
from fireline.incidents import service as incidents
from fireline.incidents import work
from fireline.incidents.demo import principal_of
from fireline.incidents.models import Incident
from fireline.people.models import User
from fireline.plan.schema import Plan
from fireline.security import service
from fireline.security.evidence.demo import seed_evidence
from fireline.security.obligations.demo import seed_obligations
from fireline.security.observables.demo import seed_observables

M = timedelta(minutes=1)
H = timedelta(hours=1)
SAM, GRACE, LINUS, ADA = (
    "sam@demo.fireline.dev",
    "grace@demo.fireline.dev",
    "linus@demo.fireline.dev",
    "admin@demo.fireline.dev",
)
LEAKED_KEY_TITLE = "Production API key for the customer export exposed in a public repository"
RANSOMWARE_TITLE = "Ransomware on file server fs-02: finance share encrypted"
NEEDED_TYPES = ("leaked_credential", "ransomware")
NEEDED_ROLES = ("security_lead", "legal", "privacy", "operations_lead", "hr_liaison")


def seed_security(
    session: Session, plan: Plan, now: datetime, users: dict[str, User], settings: Settings
) -> None:
    """Once: nothing happens when the incidents are there already, or when a
    plan of its own lacks the types and roles the story needs."""
    if session.scalar(select(Incident.id).where(Incident.title == RANSOMWARE_TITLE)):
        return
    types = {t.key for t in plan.incident_types}
    roles = {r.key for r in plan.roles}
    if not set(NEEDED_TYPES) <= types or not set(NEEDED_ROLES) <= roles:
        return
    found = {"leaked_key": _leaked_key(session, plan, now, users)}
    found["ransomware"] = _ransomware(session, plan, now, users)
    seed_evidence(session, plan, now, found, users, settings)
    seed_observables(session, plan, now, found, users)
    seed_obligations(session, plan, now, found, users, settings)


def _declare(
    session: Session,
    plan: Plan,
    at: datetime,
    who: User,
    *,
    title: str,
    type_: str,
    summary: str,
    services: list[str],
) -> Incident:
    severity = plan.severities[min(1, len(plan.severities) - 1)].key
    declaration = incidents.Declaration(
        title=title,
        type=type_,
        severity=severity,
        summary=summary,
        services=[s for s in services if _service_exists(session, s)],
        started_at=at - 20 * M,
        commander=who.email,
    )
    incident, _ = incidents.declare(session, plan, principal_of(who), at, declaration)
    return incident


def _service_exists(session: Session, slug: str) -> bool:
    return session.scalar(select(Service.id).where(Service.slug == slug)) is not None


def _leaked_key(session: Session, plan: Plan, now: datetime, users: dict[str, User]) -> Incident:
    sam, grace, linus = (principal_of(users[e]) for e in (SAM, GRACE, LINUS))
    start = now - 5 * H
    incident = _declare(
        session,
        plan,
        start,
        users[SAM],
        title=LEAKED_KEY_TITLE,
        type_="leaked_credential",
        summary=(
            "Secret scanning found the `export-svc` production key in a public fork of "
            "`acme/customer-export`. The key can read the customer export bucket "
            "(names, e-mail and postal addresses of EU customers)."
        ),
        services=["auth"],
    )
    incidents.assign_role(session, plan, sam, start + 2 * M, incident, "security_lead", SAM)
    incidents.assign_role(session, plan, sam, start + 3 * M, incident, "privacy", GRACE)
    incidents.assign_role(session, plan, sam, start + 4 * M, incident, "operations_lead", LINUS)
    service.classify(
        session,
        plan,
        sam,
        start + 25 * M,
        incident,
        {
            "functional": "low",
            "information": ["privacy"],
            "data": ["personal"],
            "records": 48_200,
            "people": 48_200,
            "jurisdictions": ["DE", "FR", "NL"],
        },
    )
    service.decide_classification(
        session,
        plan,
        grace,
        start + 40 * M,
        incident,
        accept=False,
        severity=plan.severities[min(1, len(plan.severities) - 1)].key,
        reason="Key revoked 38 minutes after the push; bucket logs show no reads from outside "
        "our ranges. Keep one level below the suggestion while the log review runs.",
    )
    request = service.request_approval(
        session,
        plan,
        linus,
        start + 10 * M,
        incident,
        phase="containment",
        title="Revoke the export-svc key and rotate every credential of the export service",
        description="Exports stop for about 15 minutes while the new credentials roll out.",
        roles=["incident_commander", "privacy"],
    )
    service.decide_approval(
        session,
        sam,
        start + 12 * M,
        incident,
        request.id,
        role="incident_commander",
        decision="approve",
        rationale="A live production key in public: revoke now.",
    )
    service.decide_approval(
        session,
        grace,
        start + 14 * M,
        incident,
        request.id,
        role="privacy",
        decision="approve",
        rationale="Agreed; the short export outage has no privacy impact.",
    )
    service.carry_out(
        session,
        linus,
        start + 38 * M,
        incident,
        request.id,
        outcome="Key AKIA…7QX2 deactivated 10:38 UTC; new keys in the vault, exports green.",
    )
    incidents.change_status(session, plan, sam, start + 39 * M, incident, "containment")
    service.add_confidential_note(
        session,
        plan,
        sam,
        start + 50 * M,
        incident,
        body="The engineer who pushed the fork has been told it is a blameless review; "
        "HR is informed only so the team lead hears it from us first.",
        roles=["hr_liaison", "legal"],
    )
    work.add_task(
        session,
        grace,
        start + 45 * M,
        incident,
        title="Decide whether the breach is likely to result in a risk to people (GDPR Art. 33)",
        role="privacy",
    )
    return incident


def _ransomware(session: Session, plan: Plan, now: datetime, users: dict[str, User]) -> Incident:
    sam, grace, linus = (principal_of(users[e]) for e in (SAM, GRACE, LINUS))
    start = now - 30 * H
    incident = _declare(
        session,
        plan,
        start,
        users[SAM],
        title=RANSOMWARE_TITLE,
        type_="ransomware",
        summary=(
            "EDR flagged mass file renames to `.lockbit` on `fs-02` at 02:14 local time; "
            "the finance share is encrypted and a ransom note asks for payment within 72 hours."
        ),
        services=[],
    )
    incidents.assign_role(session, plan, sam, start + 2 * M, incident, "security_lead", SAM)
    incidents.assign_role(session, plan, sam, start + 5 * M, incident, "legal", GRACE)
    incidents.assign_role(session, plan, sam, start + 6 * M, incident, "operations_lead", LINUS)
    service.classify(
        session,
        plan,
        sam,
        start + 30 * M,
        incident,
        {
            "functional": "high",
            "information": ["integrity", "proprietary"],
            "recoverability": "supplemented",
            "data": ["financial", "personal"],
            "records": 310_000,
            "people": 2_400,
            "jurisdictions": ["DE", "US-NY"],
        },
    )
    service.decide_classification(
        session,
        plan,
        sam,
        start + 35 * M,
        incident,
        accept=True,
        reason="Finance cannot close the month; payroll data may have been taken.",
    )
    isolate = service.request_approval(
        session,
        plan,
        sam,
        start + 8 * M,
        incident,
        phase="containment",
        title="Isolate fs-02 and block SMB between the office VLANs",
        description="Stops the spread; 300 people lose the finance and HR shares until recovery.",
        roles=["legal", "operations_lead"],
    )
    service.decide_approval(
        session,
        grace,
        start + 11 * M,
        incident,
        isolate.id,
        role="legal",
        decision="approve",
        rationale="Take the memory image first; then isolate.",
    )
    service.decide_approval(
        session,
        linus,
        start + 12 * M,
        incident,
        isolate.id,
        role="operations_lead",
        decision="approve",
        rationale="Switch ports ready.",
    )
    service.carry_out(
        session,
        linus,
        start + 20 * M,
        incident,
        isolate.id,
        outcome="Memory image taken 02:31; ports 14 and 15 shut 02:34; SMB blocked 02:36.",
    )
    incidents.change_status(session, plan, sam, start + 21 * M, incident, "containment")
    incidents.change_status(session, plan, sam, start + 20 * H, incident, "eradication")
    restore = service.request_approval(
        session,
        plan,
        linus,
        now - 2 * H,
        incident,
        phase="recovery",
        title="Restore the finance share from the 21 November immutable backup",
        description="Loses two days of changes; finance will re-enter them from the ERP.",
        roles=["incident_commander", "legal"],
    )
    service.decide_approval(
        session,
        grace,
        now - 90 * M,
        incident,
        restore.id,
        role="legal",
        decision="approve",
        rationale="Forensic copies are sealed; restoring does not touch evidence.",
    )
    service.add_confidential_note(
        session,
        plan,
        grace,
        start + 3 * H,
        incident,
        body="Outside counsel engaged under privilege. Nobody discusses paying the ransom "
        "in chat or e-mail; the board decides, with counsel, by tomorrow 18:00.",
        roles=["legal", "privacy"],
    )
    for role, title in (
        ("legal", "Confirm with counsel whether NYDFS 500.17 applies to the US entity"),
        ("privacy", "List the personal data on the finance share (payroll, bank details)"),
    ):
        work.add_task(session, grace, start + 4 * H, incident, title=title, role=role)
    return incident
