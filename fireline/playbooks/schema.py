"""What a playbook is, as written in the plan (``playbooks:``), in a
playbook file, or edited in the web UI. Every model forbids unknown keys, so
a typo is an error with a line number, as in the rest of the plan.

Checks across values (step keys unique, dependencies on earlier steps,
roles and severities that exist) are in ``fireline.playbooks.checks``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fireline.core.strict import StrictDocument
from fireline.plan.keys import Key, SeverityKey

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Condition(StrictDocument):
    """When a step applies; every list given must contain the incident's value."""

    severities: list[SeverityKey] = Field(default_factory=list, description="e.g. [SEV1, SEV2]")
    types: list[Key] = Field(default_factory=list, description="incident type keys")


class Approval(StrictDocument):
    roles: list[Key] = Field(min_length=1, description="plan roles that must approve first")


class HttpAction(StrictDocument):
    """A request fireline sends when the step is reached (and approved).

    ``endpoint`` names one of the endpoints configured in the settings
    (``FIRELINE_ACTION_ENDPOINTS``), which hold the base URL and any secret
    headers: the plan says what to ask for, never with which credentials.
    ``path``, header values and ``body`` are Jinja2 templates (sandboxed)
    that see ``incident`` (ref, title, severity, type, status, summary,
    services), ``step``, ``observables`` and ``secrets`` (from the settings).
    """

    endpoint: Key
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field(default="", max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = Field(default="", max_length=100_000, description="a template; often JSON")
    # A response with another status fails the step's action (and is retried).
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])


class Step(StrictDocument):
    key: Key
    title: str = Field(min_length=1, max_length=300)
    phase: Key = Field(description="e.g. detection, containment, eradication, recovery")
    instructions: str = Field(default="", description="Markdown")
    owner_role: Key | None = None
    when: Condition | None = None
    approval: Approval | None = None
    after: list[Key] = Field(default_factory=list, description="keys of earlier steps")
    action: HttpAction | None = None


class Playbook(StrictDocument):
    key: Key
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    types: list[Key] = Field(min_length=1, description="incident types it applies to")
    severities: list[SeverityKey] = Field(
        default_factory=list, description="severities it applies to; empty: all"
    )
    steps: list[Step] = Field(min_length=1)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"no step {key!r} in playbook {self.key!r}")
