"""What CACAO 2.0 export and import agree on: identifiers, the fireline
extension and the vocabulary that ties fireline's phases to CACAO's.

A CACAO document has no place for a step's key, phase, owner role,
condition, approval, dependencies or the templates of its HTTP request, so
fireline carries them in an extension of its own. Its properties use the
same names as the playbook model, so reading them back is one validation.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from pydantic import Field

from fireline.core.strict import StrictDocument
from fireline.plan.schema import Key, SeverityKey
from fireline.playbooks.schema import Approval, Condition, HttpAction

# Every identifier fireline writes is a uuid5 under this namespace, so the
# same playbook exported twice gets the same ids and a consumer sees a new
# version of one playbook rather than a new playbook.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fireline:cacao-2.0")

SPEC_VERSION = "cacao-2.0"
EXTENSION_VERSION = "1.0.0"

IDENTIFIER = re.compile(
    r"^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}"
    r"-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)


def cacao_id(kind: str, *names: str) -> str:
    """``action--<uuid5>`` from what makes the object what it is."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, '/'.join((kind, *names)))}"


EXTENSION_ID = cacao_id("extension-definition", "fireline-playbook")
FIRELINE_IDENTITY = cacao_id("identity", "fireline")


def timestamp(moment: datetime) -> str:
    """CACAO wants UTC to exactly the millisecond: 2026-03-02T09:00:00.000Z."""
    if moment.tzinfo is None:
        raise ValueError("a CACAO timestamp needs a timezone-aware datetime")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class PlaybookExtension(StrictDocument):
    """The fireline data of the playbook itself."""

    key: Key
    types: list[Key] = Field(min_length=1)
    severities: list[SeverityKey] = Field(default_factory=list)


class StepExtension(StrictDocument):
    """The fireline data of one step: all of ``Step`` except its title and
    instructions, which travel as the CACAO step's name and manual command."""

    key: Key
    phase: Key
    owner_role: Key | None = None
    when: Condition | None = None
    approval: Approval | None = None
    after: list[Key] = Field(default_factory=list)
    action: HttpAction | None = None


EXTENSION_SCHEMA = (
    "Playbook extension (playbook_extensions): key (the fireline playbook key), "
    "types (incident type keys it applies to), severities (severity keys; empty: all). "
    "Step extension (step_extensions of action steps): key (the step key), phase, "
    "owner_role (a plan role, absent: any responder), when (severities and types the "
    "incident must have), approval (roles that approve before the step is carried out), "
    "after (keys of earlier steps it waits for), action (an HTTP request: endpoint, the "
    "name of an endpoint configured in fireline's settings; method; path, headers and "
    "body, Jinja2 templates; expect_status, the statuses that count as success). The "
    "step's name is its title and its manual command its instructions (Markdown)."
)


# Which CACAO playbook type and activity each fireline phase stands for. A
# phase without an entry (post_incident) is not something CACAO classifies.
PHASE_TYPES = {
    "preparation": ("prevention", "configure-systems"),
    "detection": ("detection", "match-indicator"),
    "analysis": ("investigation", "analyze-collected-data"),
    "containment": ("mitigation", "restrict-access"),
    "eradication": ("remediation", "eliminate-risk"),
    "recovery": ("remediation", "restore-capabilities"),
    "mitigation": ("mitigation", "configure-systems"),
    "communication": ("notification", "deliver-content"),
}

# The other way round, for steps of foreign playbooks whose commands name
# the activity they perform.
ACTIVITY_PHASES = {
    "compose-content": "communication",
    "deliver-content": "communication",
    "identify-audience": "communication",
    "identify-channel": "communication",
    "scan-system": "analysis",
    "match-indicator": "detection",
    "analyze-collected-data": "analysis",
    "identify-indicators": "analysis",
    "scan-vulnerabilities": "analysis",
    "map-network": "analysis",
    "configure-systems": "mitigation",
    "restrict-access": "containment",
    "disconnect-system": "containment",
    "eliminate-risk": "eradication",
    "revert-system": "recovery",
    "restore-data": "recovery",
    "restore-capabilities": "recovery",
}
