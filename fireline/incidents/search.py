"""Full-text search over incident titles, summaries and timeline notes.

SQLite uses the FTS5 table that migration 0004 keeps current; PostgreSQL uses
the generated tsvector columns. Both only return incidents the caller may see,
and mark the matching words for highlighting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Table,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput
from fireline.incidents.models import Incident, TimelineEvent
from fireline.incidents.queries import visible_to

# Control characters never typed into a note, so they can mark matches safely
# and be swapped for <mark> after the text around them has been escaped.
START, STOP = "\x02", "\x03"
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


@dataclass(frozen=True)
class Hit:
    incident: Incident
    source: str  # "incident" or "note"
    snippet: Markup


def words_of(query: str) -> list[str]:
    found = WORD.findall(query)
    if not found:
        raise InvalidInput("type one or more words to search for", field="q")
    return found[:MAX_WORDS]


def fts5_query(words: list[str]) -> str:
    """Every word must match; the last one may be the start of a word (typing)."""
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def highlight(raw: str) -> Markup:
    return Markup(str(escape(raw)).replace(START, "<mark>").replace(STOP, "</mark>"))


# The FTS5 table exists only in migrations; this describes it for queries.
_fts = Table(
    "incident_search",
    MetaData(),
    Column("body"),
    Column("incident_id"),
    Column("source"),
    Column("row_id"),
)


def search(session: Session, principal: Principal, query: str, limit: int = 20) -> list[Hit]:
    """Matches the caller may see, best first; restricted incidents never take a place."""
    words = words_of(query)
    rows = (_postgres if session.get_bind().dialect.name == "postgresql" else _sqlite)(
        session, principal, words, limit
    )
    incidents = {
        i.id: i
        for i in session.scalars(select(Incident).where(Incident.id.in_({r[0] for r in rows})))
    }
    return [
        Hit(incidents[incident_id], source, highlight(snippet))
        for incident_id, source, snippet in rows
    ]


# Relevance is ranked among the newest matches only: ranking every match of a
# common word costs time in proportion to the whole history, while a responder
# searching almost always wants the recent incidents.
CANDIDATES = 1000


def _sqlite(
    session: Session, principal: Principal, words: list[str], limit: int
) -> list[tuple[int, str, str]]:
    newest = (
        select(
            _fts.c.incident_id,
            _fts.c.source,
            func.snippet(literal_column("incident_search"), 0, START, STOP, "…", 16).label(
                "snippet"
            ),
            literal_column("rank").label("rank"),
        )
        .where(text("incident_search MATCH :query"))
        .order_by(literal_column("incident_search.rowid").desc())
        .limit(CANDIDATES)
        .subquery()
    )
    statement = (
        select(newest.c.incident_id, newest.c.source, newest.c.snippet)
        .join(Incident, Incident.id == newest.c.incident_id)
        .where(visible_to(principal))
        .order_by(newest.c.rank)
        .limit(limit)
    )
    rows = session.execute(statement, {"query": fts5_query(words)})
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _postgres(
    session: Session, principal: Principal, words: list[str], limit: int
) -> list[tuple[int, str, str]]:
    """Every word must match and the last may be a prefix, as in the FTS5 query.

    The last word is first taken whole: a prefix query expands to every
    lexeme that starts with it, which for a short prefix in a large history
    means merging many posting lists. Only when the whole word finds too
    little is it read as a prefix of a word still being typed."""
    terms = [t for t in (re.sub(r"[^\w]", "", w) for w in words) if t]
    whole = _postgres_query(session, principal, " & ".join(terms), limit)
    if len(whole) >= limit:
        return whole
    return _postgres_query(session, principal, " & ".join([*terms[:-1], f"{terms[-1]}:*"]), limit)


def _postgres_query(
    session: Session, principal: Principal, tsquery: str, limit: int
) -> list[tuple[int, str, str]]:
    query = func.to_tsquery("simple", tsquery)
    options = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=8"
    incident_vector: ColumnElement[Any] = literal_column("incidents.search_vector")
    note_vector: ColumnElement[Any] = literal_column("timeline_events.search_vector")
    newest_titles = (
        select(
            Incident.id.label("incident_id"),
            literal("incident").label("source"),
            (Incident.title + " " + Incident.summary).label("body"),
            func.ts_rank(incident_vector, query).label("rank"),
        )
        .where(incident_vector.op("@@")(query), visible_to(principal))
        .order_by(Incident.id.desc())
        .limit(CANDIDATES)
    )
    newest_notes = (
        select(
            TimelineEvent.incident_id,
            literal("note"),
            TimelineEvent.body,
            func.ts_rank(note_vector, query),
        )
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(TimelineEvent.kind == "note", note_vector.op("@@")(query), visible_to(principal))
        .order_by(TimelineEvent.id.desc())
        .limit(CANDIDATES)
    )
    best = newest_titles.union_all(newest_notes).subquery()
    top = select(best).order_by(best.c.rank.desc()).limit(limit).subquery()
    # Headlines are costly, so only the few rows shown get one.
    statement = select(
        top.c.incident_id, top.c.source, func.ts_headline("simple", top.c.body, query, options)
    ).order_by(top.c.rank.desc())
    return [(int(r[0]), str(r[1]), str(r[2])) for r in session.execute(statement)]
