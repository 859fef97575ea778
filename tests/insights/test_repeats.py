"""Repeat incidents: same service, similar title or contributing factors, within a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fireline.insights.repeats import Candidate, contributing_factors, find_repeats

T0 = datetime(2026, 3, 2, tzinfo=UTC)
D = timedelta(days=1)


def c(id: int, title: str, services: tuple[str, ...], day: float, factors: str = "") -> Candidate:
    return Candidate(id, f"INC-{id}", title, services, T0 + day * D, factors)


def test_a_similar_title_on_the_same_service_within_the_window_is_a_repeat() -> None:
    found = find_repeats(
        [
            c(1, "Connection pool exhausted on the main database", ("postgres",), 0),
            c(2, "Main database connection pool exhausted", ("postgres",), 10),
            c(3, "Main database connection pool exhausted", ("search",), 12),  # other service
            c(4, "Disk almost full on the primary", ("postgres",), 14),  # other trouble
            c(5, "Connection pool exhausted on the main database", ("postgres",), 60),  # too late
        ],
        start=T0,
        end=T0 + 90 * D,
    )
    assert [(r.incident.ref, r.earlier.ref, r.service, r.matched_on) for r in found] == [
        ("INC-2", "INC-1", "postgres", "title")
    ]
    assert found[0].score >= 80


def test_contributing_factors_match_when_titles_differ() -> None:
    body = "# Summary\nDown.\n\n## Contributing factors\n- Retry storm from mobile clients without backoff\n\n## What went well\nFast rollback."
    assert contributing_factors(body) == "- Retry storm from mobile clients without backoff"
    found = find_repeats(
        [
            c(1, "API errors", ("api",), 0, contributing_factors(body)),
            c(2, "Gateway 503s", ("api",), 5, "Retry storm from mobile clients without backoff"),
        ],
        start=T0,
        end=T0 + 30 * D,
    )
    assert [(r.incident.ref, r.matched_on) for r in found] == [("INC-2", "contributing factors")]


def test_earlier_incidents_before_the_period_count_but_are_not_reported() -> None:
    found = find_repeats(
        [
            c(1, "Search index lagging", ("search",), -5),
            c(2, "Search index lagging", ("search",), 2),
        ],
        start=T0,
        end=T0 + 30 * D,
    )
    assert [(r.incident.ref, r.earlier.ref) for r in found] == [("INC-2", "INC-1")]
    assert contributing_factors("no headings at all") == ""


def test_unwritten_drafts_have_no_contributing_factors_to_compare() -> None:
    draft = (
        "## Contributing factors\n\n"
        "> To write: Which conditions in systems, tools and processes made this possible?\n"
        "## What went well\n"
    )
    assert contributing_factors(draft) == ""
    found = find_repeats(
        [
            c(1, "API errors", ("api",), 0, contributing_factors(draft)),
            c(2, "Gateway 503s", ("api",), 5, contributing_factors(draft)),
        ],
        start=T0,
        end=T0 + 30 * D,
    )
    assert found == []
