"""Results of the paging benchmarks: percentiles, the table, and the machine
they ran on. The machine's load is part of every figure: on two cores, other
work running at the same time shows up in every tail."""

from __future__ import annotations

import contextlib
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Result:
    scenario: str
    measure: str
    value: float | None
    unit: str = ""
    target: str = ""
    meets: bool | None = None  # None: reported, no target
    note: str = ""


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; ``inf`` counts as a value (something never came)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
    }


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def show(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f} {unit}".strip()
    return f"{int(value):,} {unit}".strip()


def print_table(title: str, results: Sequence[Result]) -> None:
    rows = [("scenario", "measure", "value", "target", "")]
    for r in results:
        verdict = "" if r.meets is None else ("ok" if r.meets else "MISS")
        rows.append((r.scenario, r.measure, show(r.value, r.unit), r.target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        if r.note:
            print(f"{r.scenario} / {r.measure}: {r.note}")
