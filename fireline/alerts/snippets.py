"""Copy-paste setup for each source: where to send, and how to say it in the
source's own configuration language."""

from __future__ import annotations

import json


def ingestion_url(base_url: str, kind: str, key: str) -> str:
    base = base_url.rstrip("/")
    if kind == "pagerduty":
        return f"{base}/v2/enqueue"
    if kind == "heartbeat":
        return f"{base}/ping/{key}"
    return f"{base}/ingest/{key}"


def setup_snippet(base_url: str, kind: str, key: str) -> str:
    base = base_url.rstrip("/")
    url = ingestion_url(base, kind, key)
    if kind == "alertmanager":
        return (
            "# alertmanager.yml\n"
            "receivers:\n"
            "  - name: fireline\n"
            "    webhook_configs:\n"
            f"      - url: {base}/ingest\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            f"            credentials: {key}\n"
            "route:\n"
            "  receiver: fireline\n"
            "  group_by: [alertname, service]\n"
        )
    if kind == "grafana":
        return (
            "Grafana → Alerting → Contact points → New contact point\n"
            "  Integration: Webhook\n"
            f"  URL: {base}/ingest\n"
            "  HTTP Method: POST\n"
            "  Authorization Header - Scheme: Bearer\n"
            f"  Authorization Header - Credentials: {key}\n"
        )
    if kind == "pagerduty":
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {
                "summary": "Disk almost full on db-1",
                "source": "db-1",
                "severity": "warning",
            },
        }
        return (
            "# Any PagerDuty Events API v2 client: set its base URL to "
            f"{base} and use this routing key.\n"
            f"curl -sS -X POST {url} -H 'Content-Type: application/json' \\\n"
            f"  -d '{json.dumps(event)}'\n"
        )
    if kind == "heartbeat":
        return (
            "# At the end of the job that must keep running (cron, backup, batch):\n"
            f"curl -fsS -m 10 --retry 3 {url}\n"
        )
    if kind == "change":
        change = {"summary": "Deploy api v1.4.2", "source": "ci", "kind": "deploy"}
        return (
            "# From the deploy pipeline:\n"
            f"curl -sS -X POST {url} -H 'Content-Type: application/json' \\\n"
            f"  -d '{json.dumps(change)}'\n"
            f"# PagerDuty Change Events clients: POST to {base}/v2/change/enqueue with routing_key {key}\n"
        )
    sample = {
        "id": "disk-db-1",
        "title": "Disk almost full on db-1",
        "level": "warning",
        "state": "alerting",
    }
    return (
        f"curl -sS -X POST {url} -H 'Content-Type: application/json' \\\n"
        f"  -d '{json.dumps(sample)}'\n"
        "# Map fields on the integration page: dedup_key=id, summary=title, severity=level, status=state\n"
    )
