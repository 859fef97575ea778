"""``/fireline …`` as typed in Slack, read into a command. Pure.

    /fireline declare sev1-4 TITLE        declare an incident (you are its commander)
    /fireline status [INC-n]              where the incident stands
    /fireline sev 1-4 [INC-n] [reason]    change its severity
    /fireline ic @someone [INC-n]         hand command to someone
    /fireline note [INC-n] TEXT           add a note to the timeline
    /fireline resolve [INC-n]             resolve it
    /fireline help

In an incident's own channel the incident is implied; elsewhere name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HELP = """*fireline* commands:
• `/fireline declare sev2 Checkout failing` declare an incident (you take command)
• `/fireline status [INC-42]` where it stands
• `/fireline sev 1 [INC-42] [why]` change the severity
• `/fireline ic @someone [INC-42]` hand over command
• `/fireline note [INC-42] what happened` add a note to the timeline
• `/fireline resolve [INC-42]` resolve it
In an incident's channel the incident is implied."""

NAMES = ("declare", "status", "sev", "ic", "note", "resolve", "help")
_REF = re.compile(r"(?i)^(?:INC-)?(\d{1,9})$")
_SEV = re.compile(r"(?i)^(?:sev)?([1-9])$")
# Slack writes a mention as <@U123ABC> or <@U123ABC|name>.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>$")


class CommandError(ValueError):
    """What the person typed cannot be read; the message says what to type."""


@dataclass(frozen=True)
class Command:
    name: str
    incident_ref: str | None = None  # "INC-42" when named
    severity: str | None = None  # "SEV2"
    slack_user: str | None = None  # a mentioned Slack user id
    text: str = ""


def _ref(word: str) -> str | None:
    match = _REF.match(word)
    return f"INC-{int(match[1])}" if match else None


def parse(raw: str) -> Command:
    words = raw.strip().split()
    if not words:
        return Command("help")
    name, rest = words[0].lower(), words[1:]
    if name not in NAMES:
        raise CommandError(f"no command `{words[0]}`; try `/fireline help`")
    if name == "help":
        return Command("help")
    if name == "declare":
        severity = _severity(rest[0]) if rest else None
        if severity:
            rest = rest[1:]
        title = " ".join(rest).strip()
        if severity is None:
            raise CommandError("start with the severity: `/fireline declare sev2 Checkout failing`")
        if not title:
            raise CommandError("say what is wrong: `/fireline declare sev2 Checkout failing`")
        return Command("declare", severity=severity, text=title[:300])
    if name == "sev":
        severity = _severity(rest[0]) if rest else None
        if severity is None:
            raise CommandError("give the new severity: `/fireline sev 1 [INC-42] [why]`")
        ref, rest = _leading_ref(rest[1:])
        return Command("sev", incident_ref=ref, severity=severity, text=" ".join(rest))
    if name == "ic":
        mention = _MENTION.match(rest[0]) if rest else None
        if mention is None:
            raise CommandError("mention who takes command: `/fireline ic @someone [INC-42]`")
        ref, _ = _leading_ref(rest[1:])
        return Command("ic", incident_ref=ref, slack_user=mention[1])
    ref, rest = _leading_ref(rest)
    if name == "note":
        text = " ".join(rest).strip()
        if not text:
            raise CommandError("write the note: `/fireline note [INC-42] what happened`")
        return Command("note", incident_ref=ref, text=text[:10_000])
    return Command(name, incident_ref=ref)


def _severity(word: str) -> str | None:
    match = _SEV.match(word)
    return f"SEV{match[1]}" if match else None


def _leading_ref(words: list[str]) -> tuple[str | None, list[str]]:
    if words and (ref := _ref(words[0])):
        return ref, words[1:]
    return None, words
