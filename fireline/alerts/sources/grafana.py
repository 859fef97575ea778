"""Grafana-managed alerting's webhook, ``version: "1"``: the Alertmanager
envelope plus ``orgId``, ``title``, ``state``, ``message``, and per alert
``dashboardURL``, ``panelURL``, ``silenceURL``, ``values`` and ``valueString``.

Grafana's notifier is Alertmanager's underneath, so each alert is read by the
Alertmanager parser and only Grafana's additions are handled here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.alerts.shape import AlertIn, Link, SourceError
from fireline.alerts.sources.alertmanager import context_of, envelope, parse_alert

VERSION = "1"
# ``message`` is left out: it is the rendered text of the whole notification.
ENVELOPE_KEYS = ("receiver", "groupKey", "externalURL", "orgId", "title", "state")
LINK_FIELDS = (("dashboardURL", "dashboard"), ("panelURL", "panel"), ("silenceURL", "silence"))
VALUE_FIELDS = ("values", "valueString")


def parse(body: object, now: datetime) -> list[AlertIn]:
    notification, alerts = envelope(body, VERSION)
    context = context_of(notification, ENVELOPE_KEYS)
    times: dict[object, datetime | None] = {}
    parsed = []
    for i, item in enumerate(alerts):
        try:
            alert = parse_alert(item, context, times)
        except SourceError as exc:
            raise exc.within(f"alerts[{i}]") from None
        alert.links.extend(_links(item))
        values = _values(item)
        if values:
            alert.annotations = {**alert.annotations, **values}
        parsed.append(alert)
    return parsed


def _links(item: dict[str, Any]) -> list[Link]:
    # Grafana sends "" for a URL it has none of (a rule without a dashboard).
    return [
        Link(href, text)
        for field, text in LINK_FIELDS
        if isinstance(href := item.get(field), str) and href
    ]


def _values(item: dict[str, Any]) -> dict[str, Any]:
    """The query results that fired the rule, shown next to the annotations."""
    return {field: item[field] for field in VALUE_FIELDS if item.get(field) not in (None, "", {})}
