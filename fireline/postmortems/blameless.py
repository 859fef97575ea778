"""The blameless check: sentences that pin an outcome on a person.

Pure: the text and the names of the people who might be meant go in, the
findings come out. It is advice shown beside the editor, never a gate: a
sentence can name a person without blaming them, and the team decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Words that judge a person rather than describe a system, each with a way to
# say the same thing about the conditions instead.
BLAME_WORDS: dict[str, str] = {
    "fault": "name the condition that allowed it (a missing check, a risky default)",
    "careless": "describe what made the risky action easy and the safe one hard",
    "carelessly": "describe what made the risky action easy and the safe one hard",
    "should have": "say what the process or tooling did not prompt for at that moment",
    "failed to": "say which step did not happen, and what would have made it happen",
    "mistake": "describe the step that did not work as intended, and why it looked right",
    "forgot": "name the step that relied on memory and the checklist or automation it lacks",
    "negligent": "describe the guard rail that was missing",
    "negligence": "describe the guard rail that was missing",
    "blame": "describe the contributing factors instead of a culprit",
    "to blame": "describe the contributing factors instead of a culprit",
    "human error": "ask what in the system made the error likely and its effect large",
    "sloppy": "describe what the review or tooling did not catch",
    "incompetent": "describe the knowledge or training the situation required",
    "screwed up": "describe the step that did not work as intended",
}

_WORD_PATTERNS = {
    word: re.compile(r"\b" + r"\s+".join(map(re.escape, word.split())) + r"\b", re.IGNORECASE)
    for word in BLAME_WORDS
}
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]")
# A sentence ends at . ! ? followed by space (not inside "mira.p"), or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_NAME = 3  # shorter names match too many ordinary words


@dataclass(frozen=True)
class Finding:
    sentence: str
    person: str  # the name or handle found
    words: tuple[str, ...]  # the blaming words found
    suggestion: str


def names_of(people: Iterable[tuple[str, str]]) -> list[str]:
    """The names to look for from (name, e-mail) pairs: the full name, each
    part of it, and the e-mail's local part."""
    found: set[str] = set()
    for name, email in people:
        name = name.strip()
        if len(name) >= MIN_NAME:
            found.add(name)
        found.update(part for part in re.split(r"[\s]+", name) if len(part) >= MIN_NAME)
        local = email.split("@", 1)[0]
        if len(local) >= MIN_NAME:
            found.add(local)
    # Longest first, so "Grace Hopper" is reported rather than "Grace".
    return sorted(found, key=lambda n: (-len(n), n.lower()))


def check(text: str, names: Iterable[str]) -> list[Finding]:
    """Each sentence that has a person's name or @handle and a blaming word."""
    patterns = [
        (name, re.compile(r"(?<![\w@])" + re.escape(name) + r"(?![\w])", re.IGNORECASE))
        for name in names
    ]
    findings = []
    for part in _SENTENCE_END.split(text):
        sentence = " ".join(part.split())
        if not sentence:
            continue
        words = tuple(w for w, p in _WORD_PATTERNS.items() if p.search(sentence))
        # "to blame" contains "blame": keep the longer phrase only.
        words = tuple(w for w in words if not any(w != o and w in o for o in words))
        if not words:
            continue
        person = _person_in(sentence, patterns)
        if person is None:
            continue
        findings.append(Finding(sentence, person, words, suggest(sentence, person, words)))
    return findings


def _person_in(sentence: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    handle = _HANDLE.search(sentence)
    if handle:
        return handle.group()
    for _name, pattern in patterns:
        found = pattern.search(sentence)
        if found:
            return found.group()  # as the sentence writes it
    return None


def suggest(sentence: str, person: str, words: tuple[str, ...]) -> str:
    """A systemic rewording: the person becomes their role, the judgement a question."""
    advice = "; ".join(BLAME_WORDS[w] for w in words)
    return (
        f"Write about the situation rather than {person}: refer to the role"
        f' ("the on-call engineer", "the deploy") and {advice}.'
    )
