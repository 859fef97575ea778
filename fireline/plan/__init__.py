"""The incident response plan as code (placeholder until the plan loader lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_effective_plan(path: Path | None) -> Any:
    return None
