"""Grafana-managed alerting's webhook, ``version: "1"``: the Alertmanager
envelope plus ``orgId``, ``title``, ``state``, ``message``, and per alert
``dashboardURL``, ``panelURL``, ``silenceURL`` and ``values``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.alerts.shape import AlertIn, Link
from fireline.alerts.sources.alertmanager import envelope, parse_alert

VERSION = "1"
LINK_FIELDS = (("dashboardURL", "dashboard"), ("panelURL", "panel"), ("silenceURL", "silence"))


def parse(body: Any, now: datetime) -> list[AlertIn]:
    notification, alerts = envelope(body, VERSION)
    context = {
        key: notification[key]
        for key in ("receiver", "groupKey", "externalURL", "orgId", "title", "state")
        if notification.get(key) is not None
    }
    parsed = []
    for i, item in enumerate(alerts):
        alert = parse_alert(item, f"alerts[{i}]", context)
        for field, text in LINK_FIELDS:
            href = item.get(field)
            if isinstance(href, str) and href:
                alert.links.append(Link(href, text))
        values = item.get("values")
        if isinstance(values, dict) and values:
            alert.annotations = {**alert.annotations, "values": values}
        parsed.append(alert)
    return parsed
