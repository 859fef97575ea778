"""Published benchmarks drawn as reference lines, each with its source.

One place for them, so that a chart never shows a line without saying where
the number comes from. Times are seconds of wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600


@dataclass(frozen=True)
class Benchmark:
    metric: str  # the metric key it applies to: "mttr"
    label: str
    seconds: float
    source: str
    year: int
    url: str

    @property
    def citation(self) -> str:
        return f"{self.source}, {self.year}"


DORA_REPORT = "DORA, Accelerate State of DevOps Report"
DORA_URL = "https://dora.dev/research/2023/dora-report/"

BENCHMARKS = (
    # DORA's "time to restore service" (called "failed deployment recovery
    # time" from 2023): elite performers restore in under an hour, high
    # performers in under a day.
    Benchmark("mttr", "DORA elite: under 1 hour", 1 * HOUR, DORA_REPORT, 2023, DORA_URL),
    Benchmark("mttr", "DORA high: under 1 day", 24 * HOUR, DORA_REPORT, 2023, DORA_URL),
)


def for_metric(metric: str) -> list[Benchmark]:
    return [b for b in BENCHMARKS if b.metric == metric]
