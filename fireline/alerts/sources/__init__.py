"""One pure parser per monitoring source: decoded JSON in, :class:`AlertIn` out.

No parser does I/O or touches the database, so each can be tested on captured
bodies alone and run on a 10 MB notification without holding anything else up.

- ``alertmanager``: Prometheus Alertmanager's webhook, version "4".
- ``grafana``: Grafana-managed alerting's webhook, version "1".
- ``pagerduty``: PagerDuty Events API v2 and Change Events.
- ``generic``: any JSON, read through a per-integration JMESPath mapping.
- ``heartbeat``: the alerts a missed heartbeat raises and clears.

:data:`PARSERS` holds the sources whose parser needs nothing but the body and
the time; the others take their mapping or key generator as well."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fireline.alerts.shape import AlertIn
from fireline.alerts.sources import alertmanager, grafana

Parser = Callable[[object, datetime], list[AlertIn]]

PARSERS: dict[str, Parser] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
}
