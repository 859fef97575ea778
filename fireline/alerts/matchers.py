"""Alertmanager-style label matchers: ``name="value"``, ``!=``, ``=~``, ``!~``.

Regular expressions are anchored at both ends, as in Alertmanager, and a
missing label matches as the empty string, so ``team=""`` selects alerts
without a team and ``team!=""`` those with one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

OPS = ("=~", "!~", "!=", "=")
REGEX_OPS = ("=~", "!~")
# Wider than Prometheus' label names: generic webhooks bring keys such as
# ``k8s.namespace`` or ``team-name`` and those must be matchable too.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
# The longest operators come first in the alternation so ``=~`` is not read as ``=``.
_MATCHER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*", re.S)
# What a backslash escapes inside a quoted value; any other backslash is kept
# as written, so regexes such as ``db\.prod`` need no doubling.
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}


class MatcherError(ValueError):
    pass


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Routing runs every matcher on every alert: compile each pattern once.
    return re.compile(f"(?:{pattern})")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One condition on one label; constructing it validates it."""

    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise MatcherError(f"{self.name!r} is not a label name")
        if self.op not in OPS:
            raise MatcherError(f"unknown operator {self.op!r}: expected one of =, !=, =~, !~")
        if not isinstance(self.value, str):
            raise MatcherError(f"{self.name}{self.op}: the value must be a string")
        if self.op in REGEX_OPS:
            try:
                regex = _compiled(self.value)
            except re.error as exc:
                raise MatcherError(
                    f"{self.name}{self.op}: invalid regular expression: {exc}"
                ) from None
            # The dataclass is frozen; this is its own construction.
            object.__setattr__(self, "_regex", regex)

    @classmethod
    def make(cls, name: str, op: str, value: str) -> Matcher:
        return cls(name, op, value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None  # set in __post_init__ for both regex operators
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Matcher:
        try:
            return cls(data["name"], data["op"], data["value"])
        except (KeyError, TypeError):
            raise MatcherError("a stored matcher needs a name, an op and a value") from None

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{_quote(self.value)}"'


def _quote(value: str) -> str:
    """The inverse of :func:`_unquote`: only backslashes that would read as an
    escape are doubled, so ``db\\.prod`` shows as typed."""
    text = re.sub(r'\\(?=["\\n]|\Z)', r"\\\\", value)
    return text.replace('"', '\\"').replace("\n", "\\n")


def parse_matcher(text: str) -> Matcher:
    """One matcher: ``name="value"``, ``name=value``, ``name!~"a|b"``."""
    found = _MATCHER.fullmatch(text)
    if not found:
        raise MatcherError(
            f'cannot read {text.strip()!r}: expected name="value", name!="value", '
            'name=~"regex" or name!~"regex"'
        )
    name, op, raw = found.groups()
    if op == "=" and raw.startswith(("=", "~")):  # PromQL habits: ==, or =~ spaced out
        raise MatcherError(f"cannot read {text.strip()!r}: the operators are =, !=, =~ and !~")
    return Matcher(name, op, _unquote(raw, f"{name}{op}"))


def _unquote(raw: str, where: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _unescape(raw[1:-1], where)
    if raw[:1] == '"':
        raise MatcherError(f"{where}: the quoted value is not closed")
    if '"' in raw:
        raise MatcherError(f'{where}: a value with " in it must be quoted, as "a\\"b"')
    return raw


def _unescape(body: str, where: str) -> str:
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == '"':
            raise MatcherError(f'{where}: unescaped " inside the value; write \\"')
        if char != "\\":
            out.append(char)
            continue
        following = next(chars, "")
        if not following:  # the closing quote was itself escaped
            raise MatcherError(f"{where}: the quoted value is not closed")
        escaped = _ESCAPES.get(following)
        if escaped is None:
            out.append("\\" + following)  # not an escape: kept verbatim, as Alertmanager does
        else:
            out.append(escaped)
    return "".join(out)


def parse_matchers(text: str) -> list[Matcher]:
    """A comma-separated list, optionally in braces: ``{a="1", b=~"x|y"}``."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    return [parse_matcher(part) for part in _split(body) if part.strip()]


def _split(body: str) -> Iterator[str]:
    """Split on commas outside quotes, so values may hold commas."""
    part: list[str] = []
    quoted = False
    escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            yield "".join(part)
            part = []
            continue
        part.append(char)
    if quoted:
        raise MatcherError("a quoted value is not closed")
    yield "".join(part)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
