"""The post-mortem draft: the plan's template filled with what fireline knows.

Pure: plain facts and the template in, Markdown out. Sections about facts
(summary, impact, timeline, detection, response, action items) are written
out; the sections that need the team's judgement carry their prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fireline.postmortems.schema import TemplateSection

PROMPT_MARK = "To write:"


@dataclass(frozen=True)
class KeyEvent:
    at: datetime
    what: str


@dataclass(frozen=True)
class ActionFact:
    title: str
    owner: str | None
    due_date: date | None
    priority: str
    status: str
    ticket_url: str = ""


@dataclass(frozen=True)
class Facts:
    ref: str
    title: str
    summary: str
    severity: str
    severity_name: str
    type_name: str
    time_zone: str
    started_at: datetime
    declared_at: datetime
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    services: tuple[str, ...] = ()
    commander: str | None = None
    roles: tuple[tuple[str, str], ...] = ()  # (role name, person)
    alert_groups: tuple[str, ...] = ()  # titles of the alert groups attached
    records: int | None = None  # from a security classification, if any
    people: int | None = None
    data_kinds: tuple[str, ...] = ()
    events: tuple[KeyEvent, ...] = ()
    playbooks: tuple[tuple[str, int, int], ...] = ()  # (name, settled steps, total)
    action_items: tuple[ActionFact, ...] = field(default_factory=tuple)


def title_of(facts: Facts) -> str:
    return f"{facts.ref}: {facts.title}"


def draft(facts: Facts, sections: list[TemplateSection]) -> str:
    parts = [f"# Post-mortem: {title_of(facts)}", ""]
    for section in sections:
        parts += [f"## {section.heading}", "", _section(facts, section).rstrip(), ""]
    return "\n".join(parts).rstrip() + "\n"


def _section(facts: Facts, section: TemplateSection) -> str:
    writer = _WRITERS.get(section.key)
    text = writer(facts) if writer else ""
    if section.prompt:
        text = (text + "\n\n" if text else "") + f"> {PROMPT_MARK} {section.prompt}"
    return text or f"> {PROMPT_MARK} fill in this section."


def _when(facts: Facts, moment: datetime | None) -> str:
    if moment is None:
        return "not recorded"
    return moment.astimezone(ZoneInfo(facts.time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def span(delta: timedelta | None) -> str:
    if delta is None:
        return "not recorded"
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None


def _summary(facts: Facts) -> str:
    lines = [
        f"A {facts.severity} ({facts.severity_name}) {facts.type_name.lower()} incident:"
        f" {facts.title}."
    ]
    if facts.summary.strip():
        lines += ["", facts.summary.strip()]
    return "\n".join(lines)


def _impact(facts: Facts) -> str:
    rows = [
        ("Started", _when(facts, facts.started_at)),
        ("Resolved", _when(facts, facts.resolved_at)),
        (
            "Duration of impact",
            span(_between(facts.started_at, facts.mitigated_at or facts.resolved_at)),
        ),
        ("Time to resolve", span(_between(facts.started_at, facts.resolved_at))),
        ("Affected services", ", ".join(facts.services) or "none recorded"),
    ]
    if facts.records is not None:
        rows.append(("Records affected", f"{facts.records:,}"))
    if facts.people is not None:
        rows.append(("People affected", f"{facts.people:,}"))
    if facts.data_kinds:
        rows.append(("Data involved", ", ".join(facts.data_kinds)))
    return "\n".join(f"- **{label}:** {value}" for label, value in rows)


def _timeline(facts: Facts) -> str:
    if not facts.events:
        return "No key events were recorded."
    lines = [f"| Time ({facts.time_zone}) | Event |", "|---|---|"]
    zone = ZoneInfo(facts.time_zone)
    for event in facts.events:
        what = event.what.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {event.at.astimezone(zone):%Y-%m-%d %H:%M} | {what} |")
    return "\n".join(lines)


def _detection(facts: Facts) -> str:
    detected = facts.detected_at or facts.declared_at
    how = (
        "Monitoring alerted: " + "; ".join(facts.alert_groups) + "."
        if facts.alert_groups
        else "No alert was attached to the incident: it was declared by a person."
    )
    return "\n".join(
        [
            how,
            "",
            f"- **Detected:** {_when(facts, detected)}"
            f" ({span(_between(facts.started_at, detected))} after it started)",
            f"- **Declared:** {_when(facts, facts.declared_at)}",
            f"- **Acknowledged:** {_when(facts, facts.acknowledged_at)}",
        ]
    )


def _response(facts: Facts) -> str:
    lines = [f"- **Commander:** {facts.commander or 'none'}"]
    lines += [f"- **{role}:** {person}" for role, person in facts.roles]
    lines.append(
        f"- **Mitigated:** {_when(facts, facts.mitigated_at)}"
        f" ({span(_between(facts.declared_at, facts.mitigated_at))} after declaration)"
    )
    for name, settled, total in facts.playbooks:
        lines.append(f"- **Playbook:** {name}, {settled} of {total} steps settled")
    return "\n".join(lines)


def _action_items(facts: Facts) -> str:
    if not facts.action_items:
        return "No action items yet: add them on the post-mortem page."
    lines = ["| Action | Owner | Due | Priority | Status |", "|---|---|---|---|---|"]
    for item in facts.action_items:
        title = item.title.replace("|", "\\|")
        if item.ticket_url:
            title = f"[{title}]({item.ticket_url})"
        due = item.due_date.isoformat() if item.due_date else "–"
        lines.append(
            f"| {title} | {item.owner or 'unassigned'} | {due} | {item.priority}"
            f" | {item.status.replace('_', ' ')} |"
        )
    return "\n".join(lines)


_WRITERS = {
    "summary": _summary,
    "impact": _impact,
    "timeline": _timeline,
    "detection": _detection,
    "response": _response,
    "action_items": _action_items,
}
