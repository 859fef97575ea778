"""Alertmanager-style label matchers: ``name="value"``, ``!=``, ``=~``, ``!~``.

Regular expressions are anchored at both ends, as in Alertmanager, and a
missing label matches as the empty string."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

OPS = ("=~", "!~", "!=", "=")
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.S)


class MatcherError(ValueError):
    pass


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})", re.S)


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: str, value: str) -> Matcher:
        if op not in OPS:
            raise MatcherError(f"unknown operator {op!r}: expected one of =, !=, =~, !~")
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = _compiled(value)
            except re.error as exc:
                raise MatcherError(f"{name}{op}: invalid regular expression: {exc}") from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Matcher:
        return cls.make(str(data["name"]), str(data["op"]), str(data["value"]))

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    found = _MATCHER.match(text)
    if not found:
        raise MatcherError(
            f'cannot read {text.strip()!r}: expected name="value", name!="value", '
            'name=~"regex" or name!~"regex"'
        )
    name, op, raw = found.groups()
    return Matcher.make(name, op, _unquote(raw))


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        body = raw[1:-1]
        return re.sub(r"\\(.)", r"\1", body)
    return raw


def parse_matchers(text: str) -> list[Matcher]:
    """A comma-separated list, optionally in braces: ``{a="1", b=~"x|y"}``."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    return [parse_matcher(part) for part in _split(body) if part.strip()]


def _split(body: str) -> Iterable[str]:
    """Split on commas outside quotes, so values may hold commas."""
    part: list[str] = []
    quote: str | None = None
    escaped = False
    for char in body:
        if escaped:
            part.append(char)
            escaped = False
            continue
        if char == "\\":
            part.append(char)
            escaped = True
            continue
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ",":
            yield "".join(part)
            part = []
            continue
        part.append(char)
    if quote:
        raise MatcherError("a quoted value is not closed")
    yield "".join(part)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
