"""Repeat incidents: the same service hit again, within a window, by
something that looks the same.

Two incidents are a repeat when they share a service, the later was declared
within ``window`` of the earlier, and either their titles or their
post-mortems' contributing factors are similar (rapidfuzz's token set ratio,
0-100, which ignores word order, case and punctuation: "Checkout 502s for
card payments" and "Card payments: checkout returns 502" score high).

Pure: plain data in, the repeats out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz, utils

from fireline.postmortems.template import PROMPT_MARK

DEFAULT_WINDOW = timedelta(days=30)
TITLE_THRESHOLD = 80.0
FACTORS_THRESHOLD = 75.0
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Candidate:
    id: int
    ref: str
    title: str
    services: tuple[str, ...]
    declared_at: datetime
    contributing_factors: str = ""


@dataclass(frozen=True)
class Repeat:
    incident: Candidate
    earlier: Candidate
    service: str
    score: float
    matched_on: str  # "title" or "contributing factors"


def contributing_factors(markdown: str) -> str:
    """The text under a post-mortem's "Contributing factors" heading, up to
    the next heading of any level; empty when there is none. The template's
    prompts ("> To write: …") are left out: every fresh draft has the same
    ones, and two unwritten drafts are not two similar incidents."""
    lines: list[str] = []
    inside = False
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            if inside:
                break
            inside = "contributing factor" in heading.group(1).lower()
            continue
        if inside and not line.lstrip().lstrip(">").strip().startswith(PROMPT_MARK):
            lines.append(line)
    return "\n".join(lines).strip()


def similarity(a: str, b: str) -> float:
    if not a.strip() or not b.strip():
        return 0.0
    return float(fuzz.token_set_ratio(a, b, processor=utils.default_process))


def _match(later: Candidate, earlier: Candidate) -> tuple[float, str] | None:
    title = similarity(later.title, earlier.title)
    if title >= TITLE_THRESHOLD:
        return title, "title"
    factors = similarity(later.contributing_factors, earlier.contributing_factors)
    if factors >= FACTORS_THRESHOLD:
        return factors, "contributing factors"
    return None


def find_repeats(
    candidates: Sequence[Candidate],
    *,
    start: datetime,
    end: datetime,
    window: timedelta = DEFAULT_WINDOW,
) -> list[Repeat]:
    """Each incident declared in [start, end) that repeats an earlier one
    (which may come from before ``start``), with its best match; oldest first."""
    ordered = sorted(candidates, key=lambda c: (c.declared_at, c.id))
    found = []
    for index, later in enumerate(ordered):
        if not start <= later.declared_at < end:
            continue
        best: Repeat | None = None
        for earlier in ordered[:index]:
            if later.declared_at - earlier.declared_at > window:
                continue
            shared = sorted(set(later.services) & set(earlier.services))
            if not shared:
                continue
            matched = _match(later, earlier)
            if matched is None:
                continue
            score, matched_on = matched
            # The most similar wins; among equals, the most recent.
            if best is None or score >= best.score:
                best = Repeat(later, earlier, shared[0], score, matched_on)
        if best is not None:
            found.append(best)
    return found
