"""Keys: the names a plan gives its severities, types, roles and steps.
They end up in URLs, API payloads and the audit log, so they are kept plain."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SEVERITY_KEY = re.compile(r"[A-Z][A-Z0-9_-]*")


def _key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a key: use lower-case letters, digits, _ and -, like service_outage"
        )
    return value


def _severity_key(value: str) -> str:
    if not _SEVERITY_KEY.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a severity key: use upper-case letters, digits, _ and -, like SEV1"
        )
    return value


Key = Annotated[str, AfterValidator(_key)]
SeverityKey = Annotated[str, AfterValidator(_severity_key)]
