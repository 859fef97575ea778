"""The status page's history as an Atom 1.0 feed (RFC 4287): one entry per
public incident or maintenance, updated when its latest update was posted,
its content every update, newest first.

Built with ElementTree so every title and body is escaped by the serializer,
not by hand. Entry ids are the incidents' page addresses: stable, unique and
what a reader opens.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fireline.comms.status.models import PublicIncident, StatusPageSettings
from fireline.comms.status.overall import component_label
from fireline.web.markdown import render_markdown

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _stamp(value: datetime) -> str:
    # RFC 3339 as Atom requires; UTC keeps readers from guessing.
    return value.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds").replace("+00:00", "Z")


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def last_updated(incident: PublicIncident) -> datetime:
    """When the incident last changed: its newest update, else itself."""
    stamps = [u.at for u in incident.updates] + [incident.updated_at]
    return max(stamps)


def _content(incident: PublicIncident, zone: ZoneInfo) -> str:
    """The updates as HTML, newest first; the feed escapes it once more as text."""
    parts = []
    for update in incident.updates:
        when = update.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        parts.append(
            f"<p><strong>{component_label(update.status)}</strong> · <small>{when}</small></p>"
            f"{render_markdown(update.body)}"
        )
    return "\n".join(parts)


def build(
    incidents: Sequence[PublicIncident],
    *,
    settings: StatusPageSettings,
    base_url: str,
    self_url: str,
    now: datetime,
    title_suffix: str = "",
) -> bytes:
    try:
        zone = ZoneInfo(settings.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    page_url = f"{base_url}/status"
    _child(feed, "id", self_url)
    _child(feed, "title", f"{settings.name} status history{title_suffix}")
    newest = max((last_updated(i) for i in incidents), default=settings.updated_at or now)
    _child(feed, "updated", _stamp(newest))
    _child(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _child(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _child(feed, "author")
    _child(author, "name", settings.name)
    _child(author, "uri", page_url)
    for incident in incidents:
        _entry(feed, incident, base_url, zone)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, incident: PublicIncident, base_url: str, zone: ZoneInfo) -> None:
    url = f"{base_url}/status/incidents/{incident.code}"
    entry = _child(feed, "entry")
    _child(entry, "id", url)
    prefix = "Maintenance: " if incident.kind == "maintenance" else ""
    _child(entry, "title", f"{prefix}{incident.name}")
    _child(entry, "published", _stamp(incident.created_at))
    _child(entry, "updated", _stamp(last_updated(incident)))
    _child(entry, "link", rel="alternate", type="text/html", href=url)
    for component in incident.components:
        _child(entry, "category", term=component.code, label=component.name)
    _child(entry, "content", _content(incident, zone), type="html")
