"""Pure pieces of the jobs mechanism: retry delays and error summaries."""

from __future__ import annotations

import random

import pytest

from fireline.core.jobs.backoff import retry_delay
from fireline.core.jobs.worker import ERROR_SUMMARY_LENGTH, describe_error


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [retry_delay(n, rng).total_seconds() for n in range(1, 12)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(3600, 10 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(retry_delay(3, rng).total_seconds(), 3) for _ in range(20)}) > 1
    with pytest.raises(ValueError):
        retry_delay(0)


def test_backoff_is_reproducible_from_the_injected_random_source() -> None:
    first = [retry_delay(n, random.Random(42)) for n in range(1, 6)]
    again = [retry_delay(n, random.Random(42)) for n in range(1, 6)]
    assert first == again
    assert retry_delay(2, random.Random(0), base=1, cap=1).total_seconds() <= 1


def test_error_summary_keeps_type_and_first_line() -> None:
    error = ValueError("the provider refused\n[parameters: {'to': 'ada@example.com'}]")
    assert describe_error(error) == "ValueError: the provider refused"
    assert describe_error(KeyError()) == "KeyError"
    assert len(describe_error(RuntimeError("x" * 5000))) == ERROR_SUMMARY_LENGTH


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("404 for url 'https://hooks.slack.com/services/T0/B0/s3cr3t'", "s3cr3t"),
        ("cannot reach https://bob:s3cr3t@hooks.example.com", "s3cr3t"),
        ("smtp login failed: password=s3cr3t", "s3cr3t"),
        ("refused access_token: s3cr3t; retry later", "s3cr3t"),
        ("sent Authorization: Bearer s3cr3t", "s3cr3t"),
    ],
)
def test_error_summary_drops_secrets(message: str, secret: str) -> None:
    summary = describe_error(RuntimeError(message))
    assert secret not in summary
    assert summary.startswith("RuntimeError: ")


def test_error_summary_keeps_what_helps_an_operator() -> None:
    summary = describe_error(RuntimeError("404 for https://hooks.slack.com/services/T0/B0/x"))
    assert summary == "RuntimeError: 404 for https://hooks.slack.com/…"
    assert describe_error(OSError("see https://example.com")).endswith("https://example.com")
