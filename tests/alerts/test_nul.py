"""NUL characters in JSON bodies, replaced before parsing."""

from __future__ import annotations

import orjson
import pytest

from fireline.alerts.sources.common import replace_nul


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "a\x00b\x00",
        "\\\x00",  # a backslash, then NUL
        "\\\\\x00",
        "\\u0000",  # the characters of the escape, not a NUL
        "\\\\u0000",
        "no nul at all",
    ],
)
def test_every_nul_and_nothing_else_is_replaced(text: str) -> None:
    body = orjson.dumps({text: [text, {"nested": text}]})
    expected = text.replace("\x00", "\ufffd")
    assert orjson.loads(replace_nul(body)) == {expected: [expected, {"nested": expected}]}


def test_a_body_without_nul_is_returned_as_it_is() -> None:
    body = b'{"summary": "disk full"}'
    assert replace_nul(body) is body


def test_depth_costs_nothing() -> None:
    """Replaced on the bytes: a body nested as deep as the parser allows works."""
    body = b'{"a":' * 1000 + b'"\\u0000"' + b"}" * 1000
    value = orjson.loads(replace_nul(body))
    for _ in range(1000):
        value = value["a"]
    assert value == "\ufffd"
