"""A fireline playbook as an OASIS CACAO 2.0 playbook (JSON).

Pure: the playbook and ``now`` in, a JSON-ready dict out. Identifiers are
uuid5s of the playbook and step keys, so exporting the same playbook again
gives the same ids and only ``created``/``modified`` move.

What CACAO can say, it says in its own terms, so that any CACAO tool can
show and run the playbook: one action step per fireline step with the
instructions as a manual command and the HTTP request as an http-api
command, the owner role as a group agent, the endpoint as an http-api
target. What only fireline understands (keys, phases, conditions,
approvals, dependencies, templates) rides along in the fireline extension
(``cacao_common``), from which ``cacao_import`` restores the playbook exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.playbooks.cacao_common import (
    EXTENSION_ID,
    EXTENSION_SCHEMA,
    EXTENSION_VERSION,
    FIRELINE_IDENTITY,
    IDENTIFIER,
    PHASE_TYPES,
    SPEC_VERSION,
    PlaybookExtension,
    StepExtension,
    cacao_id,
    timestamp,
)
from fireline.playbooks.schema import HttpAction, Playbook, Step

# The agent of a step without an owner role: whoever responds.
RESPONDERS = cacao_id("group", "responders")


def to_cacao(playbook: Playbook, *, now: datetime, created_by: str | None = None) -> dict[str, Any]:
    """The CACAO 2.0 document for ``playbook``.

    ``created_by`` is a STIX identity id (``identity--…``); any other text
    (an organisation's name) becomes a stable identity id derived from it.
    """
    stamp = timestamp(now)
    start_id = cacao_id("start", playbook.key)
    end_id = cacao_id("end", playbook.key)
    step_ids = [cacao_id("action", playbook.key, step.key) for step in playbook.steps]
    titles = {step.key: step.title for step in playbook.steps}

    # The workflow is the steps in their written order, one after the other.
    # That order already satisfies every ``after`` (a step waits only for
    # earlier ones), and it is how fireline lists them. Parallel steps could
    # say "these may run side by side", but CACAO's parallel branches must
    # each run to their own end and rejoin only as a whole, which cannot
    # express every set of dependencies (A and B both after X, C after A
    # only); the exact dependencies are in the extension instead.
    workflow: dict[str, Any] = {
        start_id: {"type": "start", "name": "Start", "on_completion": step_ids[0]}
    }
    for index, step in enumerate(playbook.steps):
        following = step_ids[index + 1] if index + 1 < len(step_ids) else end_id
        workflow[step_ids[index]] = _action_step(step, titles, following)
    workflow[end_id] = {"type": "end", "name": "End"}

    document: dict[str, Any] = {
        "type": "playbook",
        "spec_version": SPEC_VERSION,
        "id": cacao_id("playbook", playbook.key),
        "name": playbook.name,
    }
    if playbook.description:
        document["description"] = playbook.description
    types, activities = _classification(playbook)
    if types:
        document["playbook_types"] = types
        document["playbook_activities"] = activities
    document.update(
        {
            "playbook_processing_summary": {
                "manual_playbook": all(step.action is None for step in playbook.steps),
                "extensions": True,
            },
            "created_by": _identity(created_by),
            "created": stamp,
            "modified": stamp,
            "workflow_start": start_id,
            "workflow": workflow,
            "playbook_extensions": {
                EXTENSION_ID: PlaybookExtension(
                    key=playbook.key, types=playbook.types, severities=playbook.severities
                ).model_dump(mode="json")
            },
            "agent_definitions": _agents(playbook),
        }
    )
    targets = _targets(playbook)
    if targets:
        document["target_definitions"] = targets
    document["extension_definitions"] = {EXTENSION_ID: extension_definition()}
    return document


def extension_definition() -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "name": "fireline playbook",
        "description": (
            "What fireline needs to restore a playbook exactly: step keys, phases, owner "
            "roles, conditions, approvals, dependencies and HTTP request templates."
        ),
        "created_by": FIRELINE_IDENTITY,
        "schema": EXTENSION_SCHEMA,
        "version": EXTENSION_VERSION,
    }


def role_agent_id(role: str | None) -> str:
    return RESPONDERS if role is None else cacao_id("group", "role", role)


def endpoint_target_id(endpoint: str) -> str:
    return cacao_id("http-api", "endpoint", endpoint)


def _identity(created_by: str | None) -> str:
    if created_by is None:
        return FIRELINE_IDENTITY
    if IDENTIFIER.match(created_by) and created_by.startswith("identity--"):
        return created_by
    return cacao_id("identity", "named", created_by)


def _classification(playbook: Playbook) -> tuple[list[str], list[str]]:
    types: list[str] = []
    activities: list[str] = []
    for step in playbook.steps:
        if step.phase in PHASE_TYPES:
            kind, activity = PHASE_TYPES[step.phase]
            if kind not in types:
                types.append(kind)
            if activity not in activities:
                activities.append(activity)
    return types, activities


def _action_step(step: Step, titles: dict[str, str], following: str) -> dict[str, Any]:
    manual: dict[str, Any] = {"type": "manual"}
    if step.instructions:
        manual["command"] = step.instructions
    commands = [manual]
    if step.action is not None:
        commands.append(_http_command(step.action))
    activity = PHASE_TYPES.get(step.phase)
    if activity is not None:
        for command in commands:
            command["playbook_activity"] = activity[1]
    extension = StepExtension(
        key=step.key,
        phase=step.phase,
        owner_role=step.owner_role,
        when=step.when,
        approval=step.approval,
        after=step.after,
        action=step.action,
    )
    action: dict[str, Any] = {
        "type": "action",
        "name": step.title,
        "description": _summary(step, titles),
        "commands": commands,
        "agent": role_agent_id(step.owner_role),
    }
    if step.action is not None:
        action["targets"] = [endpoint_target_id(step.action.endpoint)]
    action["step_extensions"] = {EXTENSION_ID: extension.model_dump(mode="json", exclude_none=True)}
    action["on_completion"] = following
    return action


def _http_command(action: HttpAction) -> dict[str, Any]:
    path = action.path if action.path.startswith("/") else f"/{action.path}"
    command: dict[str, Any] = {"type": "http-api", "command": f"{action.method} {path} HTTP/1.1"}
    if action.headers:
        command["headers"] = {name: [value] for name, value in action.headers.items()}
    if action.body:
        command["content"] = action.body
    return command


def _summary(step: Step, titles: dict[str, str]) -> str:
    """The fireline data in words, for people reading the playbook in a
    CACAO tool that does not know the extension."""
    lines = [f"Phase: {step.phase}."]
    lines.append(f"Owner: {step.owner_role}." if step.owner_role else "Owner: any responder.")
    if step.when is not None:
        if step.when.severities:
            lines.append(f"Only for severity {' or '.join(step.when.severities)}.")
        if step.when.types:
            lines.append(f"Only for incident type {' or '.join(step.when.types)}.")
    if step.approval is not None:
        lines.append(f"Needs approval from: {', '.join(step.approval.roles)}.")
    if step.after:
        waits = ", ".join(f"“{titles.get(key, key)}”" for key in step.after)
        lines.append(f"Waits for: {waits}.")
    if step.action is not None:
        lines.append(f"Sends an HTTP request to the {step.action.endpoint} endpoint.")
    return " ".join(lines)


def _agents(playbook: Playbook) -> dict[str, Any]:
    agents: dict[str, Any] = {}
    for step in playbook.steps:
        agent_id = role_agent_id(step.owner_role)
        if agent_id in agents:
            continue
        if step.owner_role is None:
            agents[agent_id] = {
                "type": "group",
                "name": "Responders",
                "description": "Whoever is responding to the incident.",
            }
        else:
            agents[agent_id] = {
                "type": "group",
                "name": step.owner_role,
                "description": f"The people in the {step.owner_role} role of the incident.",
            }
    return agents


def _targets(playbook: Playbook) -> dict[str, Any]:
    targets: dict[str, Any] = {}
    for step in playbook.steps:
        if step.action is None:
            continue
        endpoint = step.action.endpoint
        # Addressed by name only: the base URL and credentials of an endpoint
        # live in fireline's settings, never in a playbook.
        targets[endpoint_target_id(endpoint)] = {
            "type": "http-api",
            "name": endpoint,
            "description": (
                f"The {endpoint} endpoint configured in fireline's settings "
                "(FIRELINE_ACTION_ENDPOINTS), which holds its base URL and credentials."
            ),
            "address": {"dname": [endpoint]},
        }
    return targets
