"""STIX 2.1 patterns for observables, both ways. Pure.

Writing: one equality comparison per observable,
``[ipv4-addr:value = '203.0.113.7']`` or ``[file:hashes.'SHA-256' = '…']``.

Reading: only what maps back onto observables without losing meaning, that
is equality comparisons joined by ``OR`` (inside one ``[…]`` or between
several). ``AND``, ``FOLLOWEDBY``, qualifiers and other operators describe
something more specific than a list of observables, so such a pattern is
refused with the reason, never imported as something it is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fireline.security.observables.normalise import Observable

# (type, hash algorithm) -> the object path a pattern compares.
_WRITE_PATHS = {
    ("ipv4-addr", None): "ipv4-addr:value",
    ("ipv6-addr", None): "ipv6-addr:value",
    ("domain-name", None): "domain-name:value",
    ("url", None): "url:value",
    ("email-addr", None): "email-addr:value",
    ("file", "MD5"): "file:hashes.MD5",
    ("file", "SHA-1"): "file:hashes.'SHA-1'",
    ("file", "SHA-256"): "file:hashes.'SHA-256'",
    ("file", None): "file:name",
    ("user-account", None): "user-account:account_login",
    ("windows-registry-key", None): "windows-registry-key:key",
}
# The object paths read back, quotes removed: -> (type, hash algorithm).
_READ_PATHS = {
    "ipv4-addr:value": ("ipv4-addr", None),
    "ipv6-addr:value": ("ipv6-addr", None),
    "domain-name:value": ("domain-name", None),
    "url:value": ("url", None),
    "email-addr:value": ("email-addr", None),
    "file:hashes.MD5": ("file", "MD5"),
    "file:hashes.SHA-1": ("file", "SHA-1"),
    "file:hashes.SHA1": ("file", "SHA-1"),
    "file:hashes.SHA-256": ("file", "SHA-256"),
    "file:hashes.SHA256": ("file", "SHA-256"),
    "file:name": ("file", None),
    "user-account:account_login": ("user-account", None),
    "user-account:user_id": ("user-account", None),
    "windows-registry-key:key": ("windows-registry-key", None),
}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<open>\[) | (?P<close>\]) |
      (?P<string>'(?:[^'\\]|\\.)*') |
      (?P<path>[a-z0-9][a-z0-9-]*:[A-Za-z0-9_]+(?:\.(?:[A-Za-z0-9_-]+|'[^']*'))*) |
      (?P<equals>=(?!=)) |
      (?P<word>[A-Za-z_]+|!=|<=|>=|<|>|\S)
    )""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class UnsupportedPattern(Exception):
    """A pattern that is not a list of observables; the message says why."""


@dataclass(frozen=True)
class Comparison:
    type: str
    hash_algorithm: str | None
    value: str


def pattern_of(observable: Observable) -> str:
    """The indicator pattern of an observable of any type but ``text``."""
    path = _WRITE_PATHS[(observable.type, observable.hash_algorithm)]
    return f"[{path} = '{_quote(observable.value)}']"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def read_pattern(pattern: str) -> list[Comparison]:
    """The comparisons of a pattern made only of ``path = 'value'`` joined by OR."""
    tokens = _tokens(pattern)
    found: list[Comparison] = []
    position = 0
    expect_expression = True
    while position < len(tokens):
        kind, text = tokens[position]
        if expect_expression:
            if kind != "open":
                raise UnsupportedPattern(f"expected '[' where {text!r} is")
            position = _read_brackets(tokens, position + 1, found)
        elif kind == "word" and text.upper() == "OR":
            position += 1
        else:
            raise UnsupportedPattern(_why(text))
        expect_expression = not expect_expression
    if expect_expression:
        raise UnsupportedPattern("the pattern is empty or ends with OR")
    return found


def _tokens(pattern: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(pattern):
        if pattern[position:].strip() == "":
            break
        match = _TOKEN.match(pattern, position)
        if match is None or match.lastgroup is None:
            raise UnsupportedPattern("not a STIX pattern")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _read_brackets(tokens: list[tuple[str, str]], position: int, found: list[Comparison]) -> int:
    """Comparisons up to the closing ']'; returns the position after it."""
    while True:
        if position + 2 >= len(tokens):
            raise UnsupportedPattern("a '[' without its comparison or its ']'")
        (path_kind, path), (eq_kind, eq), (value_kind, value) = tokens[position : position + 3]
        if path_kind != "path":
            raise UnsupportedPattern(f"expected an object path like ipv4-addr:value, not {path!r}")
        if eq_kind != "equals":
            raise UnsupportedPattern(f"only '=' comparisons are read, not {eq!r}")
        if value_kind != "string":
            raise UnsupportedPattern(f"only quoted string values are read, not {value!r}")
        found.append(_comparison(path, _ESCAPE.sub(r"\1", value[1:-1])))
        position += 3
        kind, text = tokens[position] if position < len(tokens) else ("end", "")
        if kind == "close":
            return position + 1
        if kind == "word" and text.upper() == "OR":
            position += 1
            continue
        raise UnsupportedPattern(_why(text) if text else "a '[' without its ']'")


def _comparison(path: str, value: str) -> Comparison:
    plain = path.replace("'", "")
    if plain not in _READ_PATHS:
        raise UnsupportedPattern(f"{path} is not a property fireline keeps observables of")
    type_, algorithm = _READ_PATHS[plain]
    return Comparison(type_, algorithm, value)


def _why(text: str) -> str:
    if text.upper() in ("AND", "FOLLOWEDBY"):
        return f"{text.upper()} describes a combination, not a list of observables"
    if text.upper() in ("WITHIN", "REPEATS", "START", "STOP"):
        return f"qualifiers ({text.upper()}) are not read"
    return f"unexpected {text!r}; only comparisons joined by OR are read"
