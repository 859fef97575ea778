"""Words for CACAO steps that carry no fireline data: keys, titles, a phase
guessed from what the step says, and commands written out as Markdown.
Pure."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from fireline.playbooks.cacao_common import ACTIVITY_PHASES

DEFAULT_PHASE = "analysis"

# Word beginnings that say which phase a step belongs to. The earliest one
# in the text wins: "Notify the owner that the host is isolated" is about
# telling, not isolating.
PHASE_WORDS = {
    "containment": (
        "contain", "isolat", "block", "quarantin", "disabl", "disconnect", "revok",
        "suspend", "lock", "segment", "sinkhole", "deny",
    ),
    "eradication": (
        "eradicat", "remov", "delet", "wipe", "clean", "reimag", "re-imag", "rotat",
        "purg", "uninstall", "kill",
    ),
    "recovery": (
        "recover", "restor", "rebuild", "reconnect", "re-enabl", "reenabl", "unblock",
        "return to service", "bring back",
    ),
    "mitigation": (
        "mitigat", "rollback", "roll back", "failover", "fail over", "hotfix", "throttl",
        "rate limit", "rate-limit",
    ),
    "communication": (
        "notif", "inform", "communicat", "email", "e-mail", "announc", "status page",
        "messag", "escalat",
    ),
    "detection": ("detect", "alert", "monitor", "triag"),
    "analysis": (
        "analy", "investigat", "look up", "lookup", "search", "query", "hunt", "scan",
        "enrich", "examin", "assess", "review", "identif", "determin", "collect", "check",
        "verify", "confirm",
    ),
    "post_incident": (
        "lesson", "post-mortem", "postmortem", "post mortem", "retrospective",
        "post-incident", "post incident", "debrief",
    ),
    "preparation": ("prepar", "train", "exercis"),
}  # fmt: skip
_PHASE_PATTERN = re.compile(
    r"\b("
    + "|".join(re.escape(word) for words in PHASE_WORDS.values() for word in words)
    + r")[\w-]*",
    re.IGNORECASE,
)
_WORD_PHASE = {word: phase for phase, words in PHASE_WORDS.items() for word in words}

# Fence languages, only for highlighting in the incident page.
LANGUAGES = {
    "bash": "bash",
    "powershell": "powershell",
    "ssh": "sh",
    "caldera-cmd": "sh",
    "http-api": "http",
    "openc2-http": "http",
    "sigma": "yaml",
    "yara": "yara",
    "jupyter": "json",
    "elastic": "json",
    "kestrel": "kestrel",
}


def guess_phase(sources: Iterable[tuple[str, str]], activities: Iterable[str]) -> tuple[str, str]:
    """(phase, why) from the first of ``(where, text)`` that names one, then
    from the CACAO activities of the step's commands."""
    for where, text in sources:
        match = _PHASE_PATTERN.search(text)
        if match:
            word = match.group(1).lower()
            return _WORD_PHASE[word], f"guessed from “{match.group(0)}” in its {where}"
    for activity in activities:
        if activity in ACTIVITY_PHASES:
            return ACTIVITY_PHASES[activity], f"guessed from its activity {activity}"
    return DEFAULT_PHASE, f"its name and description name no phase, so it is {DEFAULT_PHASE}"


def slug(text: str, limit: int = 60) -> str:
    """A key from a name: "Block MAC address" -> block_mac_address."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if len(key) > limit:
        cut = key[:limit]
        key = cut.rsplit("_", 1)[0] if "_" in cut else cut
    return key.strip("_")


class Keys:
    """Unique step keys, made from titles."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def reserve(self, key: str) -> bool:
        if key in self.used:
            return False
        self.used.add(key)
        return True

    def make(self, text: str, fallback: str) -> str:
        base = slug(text) or fallback
        key, number = base, 2
        while key in self.used:
            key, number = f"{base}_{number}", number + 1
        self.used.add(key)
        return key


def short(text: str, limit: int) -> str:
    """The first line of ``text``, cut at a word to at most ``limit`` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def code(text: str) -> str:
    """Inline Markdown code that survives backticks in the text."""
    fence = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)


def decode_b64(value: str) -> tuple[str | None, str]:
    """(text, "") or (None, why it is not text)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None, "is not valid base64"
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, f"holds {len(raw)} bytes that are not UTF-8 text"


def command_text(command: Mapping[str, Any]) -> tuple[str, str]:
    """The text of a command's ``command`` or ``command_b64``, and a problem."""
    if isinstance(command.get("command"), str):
        return command["command"], ""
    if isinstance(command.get("command_b64"), str):
        text, problem = decode_b64(command["command_b64"])
        if text is None:
            return "", f"its command_b64 {problem} and is left out"
        return text, ""
    return "", ""


def http_request_text(command: Mapping[str, Any]) -> tuple[str, str]:
    """An http-api or openc2-http command as an HTTP request, and a problem."""
    lines = [str(command.get("command", ""))]
    for name, values in _dict(command.get("headers")).items():
        lines.extend(f"{name}: {value}" for value in _listed(values))
    body, problem = request_body(command)
    if body:
        lines.extend(["", body])
    return "\n".join(lines), problem


def request_body(command: Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(command.get("content"), str):
        return command["content"], ""
    if isinstance(command.get("content_b64"), str):
        text, problem = decode_b64(command["content_b64"])
        if text is None:
            return "", f"its content_b64 {problem} and is left out"
        return text, ""
    return "", ""


def written_command(command: Mapping[str, Any]) -> tuple[str, str]:
    """A command that fireline does not run, as Markdown for a person."""
    kind = str(command.get("type"))
    if kind in ("http-api", "openc2-http"):
        text, problem = http_request_text(command)
    else:
        text, problem = command_text(command)
    heading = f"**{kind} command**"
    if isinstance(command.get("description"), str) and command["description"].strip():
        heading += f": {command['description'].strip()}"
    if not text.strip():
        return heading, problem
    return f"{heading}\n\n{code_block(text, LANGUAGES.get(kind, ''))}", problem


def header_values(headers: Any) -> dict[str, str]:
    """CACAO lists each header's values; one header line joins them."""
    return {str(name): ", ".join(_listed(values)) for name, values in _dict(headers).items()}


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _listed(values: Any) -> list[str]:
    if isinstance(values, list):
        return [str(value) for value in values]
    return [str(values)]
