"""An http-api command of a foreign CACAO playbook as a fireline HTTP action,
when that can be done honestly. Pure.

fireline sends requests only to endpoints named in its settings, which hold
the base URL and the credentials; a playbook only says which endpoint and
what to ask. So a command maps when its step's agent or a target is an
http-api entity with a name (that name becomes the endpoint's key) and its
command is a request line with a method fireline sends. Anything else stays
in the instructions for a person to carry out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fireline.playbooks.cacao_text import header_values, request_body, slug
from fireline.playbooks.schema import METHODS, HttpAction

_REQUEST_LINE = re.compile(r"^([A-Za-z]+)[ \t]+(.+?)(?:[ \t]+HTTP/[0-9.]+)?$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(.*)$")
_VARIABLE = re.compile(r"__[A-Za-z_][A-Za-z0-9_-]*__(?::value)?")


@dataclass(frozen=True)
class Mapped:
    action: HttpAction | None
    # Why it did not map, or what a person must still do when it did.
    explanation: str


def http_action(
    command: Mapping[str, Any], step: Mapping[str, Any], definitions: Mapping[str, Any]
) -> Mapped:
    line = str(command.get("command", "")).strip()
    match = _REQUEST_LINE.match(line)
    if match is None:
        return Mapped(None, f"its command {line[:80]!r} is not an HTTP request line")
    method, path = match.group(1).upper(), match.group(2)
    if method not in METHODS:
        return Mapped(None, f"fireline does not send {method} requests")
    entity = _endpoint_entity(step, definitions)
    if entity is None:
        return Mapped(None, "neither its agent nor a target is an http-api entity with a name")
    entity_id, entity_def = entity
    endpoint = slug(str(entity_def["name"]))
    if not endpoint:
        return Mapped(None, f"the name of {entity_id} cannot be an endpoint key")
    extra = ""
    absolute = _ABSOLUTE.match(path)
    if absolute:
        path = absolute.group(1) or "/"
        extra = " The host in its command is left out: the endpoint's base URL replaces it."
    body, problem = request_body(command)
    if problem:
        return Mapped(None, problem)
    try:
        action = HttpAction.model_validate(
            {
                "endpoint": endpoint,
                "method": method,
                "path": path,
                "headers": header_values(command.get("headers")),
                "body": body,
            }
        )
    except ValidationError as exc:
        return Mapped(None, f"it does not fit a fireline action ({_first_error(exc)})")
    if _VARIABLE.search(" ".join([path, body, *action.headers.values()])):
        extra += (
            " It uses CACAO variables (__name__:value), which fireline does not fill in:"
            " write them as templates, such as {{ incident.ref }}."
        )
    address = _address(entity_def.get("address"))
    return Mapped(
        action,
        f"its http-api command is the step's HTTP action on the endpoint {endpoint!r}, named "
        f"after {entity_def.get('type')} “{entity_def['name']}”: configure that endpoint in "
        f"FIRELINE_ACTION_ENDPOINTS{address}; authentication is not imported.{extra}",
    )


def _endpoint_entity(
    step: Mapping[str, Any], definitions: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any]] | None:
    candidates = [step.get("agent"), *step.get("targets", [])]
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        entity = definitions.get(candidate)
        if (
            isinstance(entity, dict)
            and entity.get("type") == "http-api"
            and isinstance(entity.get("name"), str)
        ):
            return candidate, entity
    return None


def _address(address: Any) -> str:
    if not isinstance(address, dict):
        return ""
    parts = [
        str(value)
        for values in address.values()
        for value in (values if isinstance(values, list) else [values])
    ]
    shown = ", ".join(parts)[:200]
    return f" (its CACAO address: {shown})" if shown else ""


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))
