"""Markdown for notes, rendered safely: raw HTML is escaped, never passed through,
and markdown-it refuses javascript:, vbscript: and data: links."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = (
    MarkdownIt("commonmark", {"html": False, "linkify": False})
    .enable("strikethrough")
    .enable("table")
)


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))
