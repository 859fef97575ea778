"""Small charts drawn as SVG on the server: columns over time, a line for a
trend with dashed reference lines, and horizontal bars for rankings.

Pure: numbers in, markup out; no JavaScript. Each chart is one ``<svg
role="img">`` whose ``aria-label`` says what it shows in words, with a
``<title>`` and a ``<desc>``; every bar and point carries its own ``<title>``,
which browsers show as a tooltip. Colours come from presentation attributes,
not inline styles, which the pages' Content-Security-Policy forbids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 40, 48
# Distinguishable for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#d55e00", "#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#999999")
AXIS, GRID, INK, REFERENCE = "#555", "#ddd", "#222", "#6a3d9a"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
TITLE_FONT = 'font-family="system-ui, sans-serif" font-size="13" font-weight="bold"'

Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Reference:
    label: str
    value: float
    source: str


def plain(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def nice_scale(top: float, ticks: int = 4) -> tuple[float, float]:
    """An axis maximum at or above ``top`` and a round step that divides it."""
    if top <= 0:
        return 1.0, 0.25 if ticks >= 4 else 0.5
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(top / step - 1e-9), step


def _text(
    x: float, y: float, content: str, anchor: str = "start", colour: str = INK, font: str = FONT
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}" {font}>'
        f"{escape(content)}</text>"
    )


def _frame(title: str, summary: str, height: int, body: list[str], width: int = WIDTH) -> Markup:
    label = f"{title}. {summary}" if summary else title
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>"
        + _text(LEFT, 18, title, font=TITLE_FONT)
        + "".join(body)
        + "</svg>"
    )


def _y_axis(top: float, step: float, height: int, fmt: Format, unit: str) -> list[str]:
    plot_bottom = height - BOTTOM
    parts = []
    value = 0.0
    while value <= top + 1e-9:
        y = plot_bottom - (value / top) * (plot_bottom - TOP)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, fmt(value), anchor="end"))
        value += step
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{plot_bottom}" stroke="{AXIS}"/>'
        f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{WIDTH - RIGHT}" y2="{plot_bottom}" '
        f'stroke="{AXIS}"/>'
    )
    middle = (TOP + plot_bottom) / 2
    parts.append(
        f'<text transform="translate(14 {middle:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="{INK}" {FONT}>{escape(unit)}</text>'
    )
    return parts


def _x_labels(labels: Sequence[str], height: int) -> list[str]:
    band = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / 14))  # about 14 labels fit side by side
    return [
        _text(LEFT + band * (i + 0.5), height - BOTTOM + 16, label, anchor="middle")
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def _legend(names: Sequence[str], y: float) -> list[str]:
    parts, x = [], float(LEFT)
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, name))
        x += 22 + 7 * len(name)
    return parts


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str,
    fmt: Format = plain,
) -> Markup:
    """Stacked columns: one per label, one segment per series."""
    height = HEIGHT
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top, step = nice_scale(max(totals, default=0))
    plot_bottom, plot_height = height - BOTTOM, height - BOTTOM - TOP
    band = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = _y_axis(top, step, height, fmt, unit)
    for i, label in enumerate(labels):
        base = 0.0
        x = LEFT + band * i + band * 0.15
        for index, one in enumerate(series):
            value = one.values[i] or 0
            if value <= 0:
                continue
            y = plot_bottom - (base + value) / top * plot_height
            bar = value / top * plot_height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{band * 0.7:.1f}" height="{bar:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{escape(f'{label}: {fmt(value)} {one.name}')}</title></rect>"
            )
            base += value
    body += _x_labels(labels, height)
    body += _legend([s.name for s in series], height - 10)
    summary = ", ".join(f"{label}: {fmt(t)}" for label, t in zip(labels, totals, strict=True))
    return _frame(title, f"{unit} per period. {summary}" if labels else "No data.", height, body)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str,
    fmt: Format = plain,
    references: Sequence[Reference] = (),
) -> Markup:
    """Lines through the known points (a gap where a value is missing), with
    dashed horizontal reference lines labelled with their source. The scale
    always shows the lowest reference; higher ones that would flatten the
    data are named below the chart instead."""
    height = HEIGHT + 16 * len(references)
    known = [v for s in series for v in s.values if v is not None]
    lowest = min((r.value for r in references), default=0.0)
    top, step = nice_scale(max([*known, lowest * 1.2]) if known or references else 0)
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    band = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = _y_axis(top, step, HEIGHT, fmt, unit)

    def y_of(value: float) -> float:
        return plot_bottom - value / top * plot_height

    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + band * (i + 0.5), y_of(value)
            runs[-1].append((x, y))
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(f'{labels[i]}: {fmt(value)} ({one.name})')}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
    notes = []
    for reference in references:
        text = f"{reference.label} ({reference.source})"
        if reference.value <= top:
            y = y_of(reference.value)
            body.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                f'stroke="{REFERENCE}" stroke-width="1.5" stroke-dasharray="6 4" '
                f'class="reference"><title>{escape(text)}</title></line>'
            )
            body.append(
                f'<text x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end" '
                f'fill="{REFERENCE}" {FONT}>{escape(text)}</text>'
            )
        else:
            notes.append(f"Above the scale: {text}")
    body += _x_labels(labels, HEIGHT)
    body += _legend([s.name for s in series], HEIGHT - 10)
    for n, note in enumerate(notes):
        body.append(_text(LEFT, HEIGHT + 8 + 16 * n, note, colour=REFERENCE))
    described = [
        f"{labels[i]}: {fmt(v)}" for s in series for i, v in enumerate(s.values) if v is not None
    ]
    refs = "; ".join(f"{r.label} ({r.source})" for r in references)
    summary = ", ".join(described) or "No data."
    if refs:
        summary += f" Reference lines: {refs}."
    return _frame(title, summary, height, body)


def bar_chart(
    title: str, items: Sequence[tuple[str, float]], *, unit: str, fmt: Format = plain
) -> Markup:
    """Horizontal bars, one per item, longest first as given."""
    row, label_width = 26, 170
    height = TOP + row * max(len(items), 1) + 28
    top, _ = nice_scale(max((v for _, v in items), default=0))
    span = WIDTH - RIGHT - LEFT - label_width - 40
    body = []
    for i, (label, value) in enumerate(items):
        y = TOP + row * i
        length = value / top * span
        body.append(_text(LEFT + label_width - 8, y + 15, label, anchor="end"))
        body.append(
            f'<rect x="{LEFT + label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[2]}"><title>{escape(f"{label}: {fmt(value)} {unit}")}</title></rect>'
        )
        body.append(_text(LEFT + label_width + length + 6, y + 15, fmt(value)))
    if not items:
        body.append(_text(LEFT, TOP + 16, "Nothing in this period."))
    body.append(_text(LEFT + label_width, height - 8, unit))
    summary = ", ".join(f"{label}: {fmt(v)}" for label, v in items) or "No data."
    return _frame(title, f"{unit}. {summary}", height, body)
