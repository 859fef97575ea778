"""Alert pages through HTTP: the live list, the group page and its forms,
integrations with their shown-once key and the mapping "try it" box, routing
rules, silences, maintenance windows and changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fireline.alerts.rule_views import RULE_FIELDS
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.people.models import User
from tests.alerts.conftest import MakeIntegration, groups
from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}
HTMX = {"hx-request": "true"}
KEY = re.compile(r'<code id="new-key">([0-9a-f]{32})</code>')
DETAILS = re.compile(r'<a href="(/alerts/integrations/\d+)">Integration details</a>')


def pd_event(key: str, summary: str = "Checkout errors", **extra: Any) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": extra.pop("dedup_key", summary.lower().replace(" ", "-")),
        "payload": {"summary": summary, "source": "web-1", "severity": "critical", **extra},
    }


def send(client: TestClient, key: str, summary: str = "Checkout errors", **extra: Any) -> None:
    response = client.post("/v2/enqueue", json=pd_event(key, summary, **extra))
    assert response.status_code == 202, response.text


@pytest.fixture
def pd_key(make_integration: MakeIntegration) -> str:
    key: str = make_integration("pagerduty", name="checkout PD")["key"]
    return key


def test_every_alert_page_needs_a_sign_in(client: TestClient, personas: dict[str, Persona]) -> None:
    for path in (
        "/alerts",
        "/alerts/groups",
        "/alerts/AG-1",
        "/alerts/integrations",
        "/alerts/integrations/1",
        "/alerts/rules",
        "/alerts/silences",
        "/alerts/maintenance",
        "/alerts/changes",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


def test_a_pagerduty_event_shows_in_the_live_list_and_on_its_page(
    client: TestClient, personas: dict[str, Persona], pd_key: str
) -> None:
    send(client, pd_key, "Checkout errors", component="payments")
    sign_in(client, "viewer@example.com")

    listing = client.get("/alerts")
    assert listing.status_code == 200
    page = listing.text
    assert "AG-1 Checkout errors" in page and "API" in page and "critical" in page
    assert 'hx-get="/alerts/groups?status=open&amp;service="' in page
    assert 'hx-trigger="every 5s"' in page and "triggered" in page
    partial = client.get("/alerts/groups?status=open").text
    assert "<html" not in partial and "AG-1 Checkout errors" in partial

    group = client.get("/alerts/AG-1").text
    assert "Checkout errors" in group and "high urgency" in group
    assert "component=payments" in group and "source=web-1" in group  # label chips
    assert "Raw payload" in group and "&#34;summary&#34;: &#34;Checkout errors&#34;" in group
    assert "opened" in group and 'hx-get="/alerts/AG-1/timeline"' in group
    assert "Recent changes to API" in group and "No deploys" in group
    # A viewer reads: no buttons, no silence form.
    assert ">Acknowledge<" not in group and ">Resolve<" not in group
    assert "Silence similar" not in group


def test_list_filters_by_status_and_service(
    client: TestClient, personas: dict[str, Persona], make_integration: MakeIntegration
) -> None:
    api_key = make_integration("pagerduty")["key"]
    db_key = make_integration("pagerduty", service="db")["key"]
    send(client, api_key, "Checkout errors")
    send(client, db_key, "Replica lag")
    sign_in(client, "responder@example.com")
    token = page_token(client, "/alerts/AG-2")
    client.post("/alerts/AG-2/acknowledge", data={"csrf_token": token})

    assert "Replica lag" in client.get("/alerts?status=acknowledged").text
    assert "Replica lag" not in client.get("/alerts?status=triggered").text
    only_api = client.get("/alerts?status=open&service=api").text
    assert "Checkout errors" in only_api and "Replica lag" not in only_api
    assert "No alert groups match." in client.get("/alerts?status=resolved").text
    bad = client.get("/alerts?status=exploded")
    assert bad.status_code == 200 and "expected open or one of" in bad.text
    assert 'id="filter-status-error"' in bad.text and "Checkout errors" in bad.text


def test_acknowledge_and_resolve_through_the_forms(
    client: TestClient, personas: dict[str, Persona], pd_key: str, db: Database
) -> None:
    send(client, pd_key)
    sign_in(client, "responder@example.com")
    page = client.get("/alerts/AG-1").text
    assert ">Acknowledge<" in page and ">Resolve<" in page and ">Escalate<" in page
    token = page_token(client, "/alerts/AG-1")

    acked = client.post("/alerts/AG-1/acknowledge", data={"csrf_token": token})
    assert acked.status_code == 200  # followed the 303 back to the group
    assert '<strong id="group-status" class="status-acknowledged">acknowledged</strong>' in (
        acked.text
    )
    assert "acknowledged by Responder" in acked.text and ">Acknowledge<" not in acked.text
    assert groups(db)[0].status == "acknowledged"
    assert "acknowledged" in client.get("/alerts").text

    resolved = client.post(
        "/alerts/AG-1/resolve", data={"csrf_token": token, "note": "rolled back"}
    )
    assert "resolved by Responder: rolled back" in resolved.text
    assert ">Resolve<" not in resolved.text and groups(db)[0].status == "resolved"

    # Acting on a resolved group explains itself instead of failing.
    late = client.post("/alerts/AG-1/acknowledge", data={"csrf_token": token}, headers=HTML)
    assert late.status_code == 409 and "AG-1 is already resolved" in late.text


def test_viewers_get_no_buttons_and_a_403(
    client: TestClient, personas: dict[str, Persona], pd_key: str, db: Database
) -> None:
    send(client, pd_key)
    sign_in(client, "viewer@example.com")
    assert ">Acknowledge<" not in client.get("/alerts/AG-1").text
    token = page_token(client, "/alerts/AG-1")
    for action in ("acknowledge", "resolve", "escalate", "silence"):
        refused = client.post(f"/alerts/AG-1/{action}", data={"csrf_token": token}, headers=HTML)
        assert refused.status_code == 403, action
        assert "needs the responder role" in refused.text
    assert groups(db)[0].status == "triggered"


def test_forms_need_the_csrf_token(
    client: TestClient, personas: dict[str, Persona], pd_key: str, db: Database
) -> None:
    send(client, pd_key)
    sign_in(client, "responder@example.com")
    refused = client.post("/alerts/AG-1/acknowledge", data={"csrf_token": "forged"}, headers=HTML)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert groups(db)[0].status == "triggered"


def test_missing_group_is_a_404_page(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "viewer@example.com")
    for ref in ("AG-99", "nonsense"):
        response = client.get(f"/alerts/{ref}", headers=HTML)
        assert response.status_code == 404 and f"no alert group {ref}" in response.text


def test_silence_similar_from_the_group_page(
    client: TestClient, personas: dict[str, Persona], pd_key: str, clock: FixedClock
) -> None:
    send(client, pd_key, "Disk full", component="db", dedup_key="a")
    send(client, pd_key, "Disk full", component="db", dedup_key="b", **{"class": "x"})
    sign_in(client, "responder@example.com")
    page = client.get("/alerts/AG-1").text
    prefilled = re.search(r'id="silence-matchers" name="matchers" [^>]*value="([^"]*)"', page)
    assert prefilled, "no silence form"
    assert prefilled.group(1) == (
        "service=&#34;api&#34;, component=&#34;db&#34;, severity=&#34;critical&#34;, "
        "source=&#34;web-1&#34;"
    )
    token = page_token(client, "/alerts/AG-1")

    bad = client.post(
        "/alerts/AG-1/silence",
        data={"csrf_token": token, "matchers": "service is api", "duration": "4h", "comment": "x"},
    )
    assert bad.status_code == 422
    assert 'id="silence-matchers-error"' in bad.text and "cannot read" in bad.text
    assert 'value="service is api"' in bad.text
    assert '<details class="silence-similar" open>' in bad.text
    no_comment = client.post(
        "/alerts/AG-1/silence",
        data={"csrf_token": token, "matchers": 'service="api"', "duration": "4h", "comment": ""},
    )
    assert no_comment.status_code == 422 and 'id="silence-comment-error"' in no_comment.text

    made = client.post(
        "/alerts/AG-1/silence",
        data={
            "csrf_token": token,
            "matchers": 'service="api", component="db"',
            "duration": "4h",
            "comment": "disk cleanup running",
        },
    )
    assert made.status_code == 200 and made.url.path == "/alerts/silences"
    assert "service=&#34;api&#34;, component=&#34;db&#34;" in made.text
    assert "disk cleanup running" in made.text and "active" in made.text
    assert "2026-03-02 13:00 UTC" in made.text  # four hours after the clock's 09:00

    # The next matching alert is recorded but pages nobody.
    clock.advance(minutes=1)
    send(client, pd_key, "Disk full again", component="db", dedup_key="c", group="other")
    assert "silenced" in client.get("/alerts?status=silenced").text


def test_silences_page_create_errors_and_expire(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    with db.transaction() as session:
        session.execute(
            update(User).where(User.email == "responder@example.com").values(time_zone="Asia/Tokyo")
        )
    sign_in(client, "responder@example.com")
    token = page_token(client, "/alerts/silences")
    assert "No active or pending silences" in client.get("/alerts/silences").text

    bad = client.post(
        "/alerts/silences",
        data={"csrf_token": token, "matchers": 'team=~"(db"', "ends_in": "1h", "comment": "x"},
    )
    assert bad.status_code == 422
    assert 'id="silence-matchers-error"' in bad.text and "invalid regular expression" in bad.text
    assert 'value="team=~&#34;(db&#34;"' in bad.text
    bad_duration = client.post(
        "/alerts/silences",
        data={"csrf_token": token, "matchers": 'team="db"', "ends_in": "soon", "comment": "x"},
    )
    assert bad_duration.status_code == 422
    assert 'id="silence-ends_in-error"' in bad_duration.text
    assert "expected a duration like 30m" in bad_duration.text
    # Midnight on 1 January of the year 1 in Tokyo is in the year 0 in UTC.
    too_early = client.post(
        "/alerts/silences",
        data={"csrf_token": token, "matchers": 'team="db"', "starts_at": "0001-01-01T00:00"},
    )
    assert too_early.status_code == 422 and 'id="silence-starts_at-error"' in too_early.text
    assert "expected a date between the years 1 and 9999" in too_early.text

    # A pending silence, typed in the viewer's zone (Tokyo is UTC+9).
    made = client.post(
        "/alerts/silences",
        data={
            "csrf_token": token,
            "matchers": 'team="db"',
            "starts_at": "2026-03-03T09:00",
            "ends_at": "2026-03-03T12:00",
            "comment": "planned failover",
        },
    )
    assert made.status_code == 200
    assert "pending" in made.text and "2026-03-03 09:00 JST" in made.text
    assert "planned failover" in made.text and "Responder" in made.text
    listed = client.get("/api/v1/silences", headers=personas["viewer"].headers).json()
    assert listed[0]["starts_at"].startswith("2026-03-03T00:00")

    expired = client.post(f"/alerts/silences/{listed[0]['id']}/expire", data={"csrf_token": token})
    assert expired.status_code == 200 and "planned failover" not in expired.text
    missing = client.post("/alerts/silences/999/expire", data={"csrf_token": token}, headers=HTML)
    assert missing.status_code == 404


def test_integration_is_created_with_its_key_shown_once(
    client: TestClient, personas: dict[str, Persona], services: list[str], db: Database
) -> None:
    sign_in(client, "manager@example.com")
    token = page_token(client, "/alerts/integrations")
    created = client.post(
        "/alerts/integrations",
        data={"csrf_token": token, "service": "api", "kind": "pagerduty", "name": "Checkout PD"},
    )
    assert created.status_code == 200
    found = KEY.search(created.text)
    assert found, created.text
    key = found.group(1)
    details = DETAILS.search(created.text)
    assert details
    path = details.group(1)
    assert "/v2/enqueue</code>" in created.text  # the ingestion URL
    assert f"&#34;routing_key&#34;: &#34;{key}&#34;" in created.text  # the setup snippet
    assert f"…{key[-4:]}" in created.text

    listing = client.get("/alerts/integrations").text
    assert "Checkout PD" in listing and f"…{key[-4:]}" in listing and key not in listing
    detail = client.get(path).text
    assert "Checkout PD" in detail and key not in detail and "Rotate key" in detail

    # The key works.
    send(client, key)
    assert groups(db)[0].title == "Checkout errors"

    rotated = client.post(f"{path}/rotate", data={"csrf_token": token})
    new_key = KEY.search(rotated.text)
    assert new_key and new_key.group(1) != key
    assert client.post("/v2/enqueue", json=pd_event(key)).status_code == 400

    unconfirmed = client.post(f"{path}/revoke", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and 'id="revoke-confirm-error"' in unconfirmed.text
    assert "tick the box" in unconfirmed.text
    revoked = client.post(f"{path}/revoke", data={"csrf_token": token, "confirm": "yes"})
    assert revoked.status_code == 200 and "revoked" in revoked.text
    assert "Rotate key" not in revoked.text
    assert client.post("/v2/enqueue", json=pd_event(new_key.group(1))).status_code == 400


def test_integration_form_errors_sit_beside_their_field(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    sign_in(client, "manager@example.com")
    token = page_token(client, "/alerts/integrations")
    no_service = client.post(
        "/alerts/integrations", data={"csrf_token": token, "service": "", "kind": "grafana"}
    )
    assert no_service.status_code == 422
    assert 'id="integration-service-error"' in no_service.text
    assert '<option value="grafana" selected>' in no_service.text
    unknown = client.post(
        "/alerts/integrations", data={"csrf_token": token, "service": "nope", "kind": "grafana"}
    )
    assert unknown.status_code == 404 and "no service nope" in unknown.text
    assert 'id="integration-service-error"' in unknown.text
    heartbeat = client.post(
        "/alerts/integrations",
        data={
            "csrf_token": token,
            "service": "db",
            "kind": "heartbeat",
            "name": "nightly backup",
            "heartbeat_period_seconds": "5",
        },
    )
    assert heartbeat.status_code == 422
    assert 'id="integration-heartbeat_period_seconds-error"' in heartbeat.text
    assert (
        "expected 10 seconds to a year" in heartbeat.text
        and 'value="nightly backup"' in heartbeat.text
    )
    not_a_number = client.post(
        "/alerts/integrations",
        data={
            "csrf_token": token,
            "service": "db",
            "kind": "heartbeat",
            "heartbeat_grace_seconds": "lots",
        },
    )
    assert not_a_number.status_code == 422 and "expected a whole number" in not_a_number.text
    made = client.post(
        "/alerts/integrations",
        data={
            "csrf_token": token,
            "service": "db",
            "kind": "heartbeat",
            "heartbeat_period_seconds": "600",
        },
    )
    assert "/ping/" in made.text and "curl -fsS" in made.text
    found = DETAILS.search(made.text)
    assert found
    detail = client.get(found.group(1)).text
    assert "a ping every 600 s, 60 s grace" in detail


def test_only_managers_create_integrations(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    sign_in(client, "responder@example.com")
    page = client.get("/alerts/integrations").text
    assert "Create integration" not in page
    token = page_token(client, "/alerts/integrations")
    refused = client.post(
        "/alerts/integrations",
        data={"csrf_token": token, "service": "api", "kind": "grafana"},
        headers=HTML,
    )
    assert refused.status_code == 403 and "needs the manager role" in refused.text


def test_mapping_editor_and_try_it_box(
    client: TestClient, personas: dict[str, Persona], make_integration: MakeIntegration
) -> None:
    integration = make_integration("generic", name="webhook")
    path = f"/alerts/integrations/{integration['id']}"
    sign_in(client, "manager@example.com")
    page = client.get(path).text
    assert 'placeholder="title || summary || message || name"' in page
    assert f'hx-post="{path}/try"' in page and f'formaction="{path}/try"' in page
    token = page_token(client, path)
    payload = (
        '{"items": [{"key": "cpu-1", "msg": "CPU hot <b>", "state": "ok", '
        '"tags": ["env:prod", "team:infra"]}]}'
    )
    mapping = {
        "mapping.alerts": "items",
        "mapping.dedup_key": "key",
        "mapping.summary": "msg",
        "mapping.status": "state",
    }

    tried = client.post(
        f"{path}/try", data={"csrf_token": token, "payload": payload, **mapping}, headers=HTMX
    )
    assert tried.status_code == 200 and "<html" not in tried.text
    assert 'id="try-table"' in tried.text and "This payload makes 1 alert:" in tried.text
    assert "cpu-1" in tried.text and "CPU hot &lt;b&gt;" in tried.text
    assert "resolve" in tried.text and "env=prod" in tried.text and "team=infra" in tried.text

    broken = client.post(
        f"{path}/try",
        data={"csrf_token": token, "payload": payload, **mapping, "mapping.summary": "msg[["},
        headers=HTMX,
    )
    assert 'id="try-error"' in broken.text and "<strong>mapping.summary</strong>" in broken.text
    assert "not a valid JMESPath expression" in broken.text
    not_json = client.post(
        f"{path}/try", data={"csrf_token": token, "payload": "{nope"}, headers=HTMX
    )
    assert "<strong>payload</strong>: not valid JSON" in not_json.text

    # Without JavaScript the same button posts the form and gets the whole page back.
    whole = client.post(f"{path}/try", data={"csrf_token": token, "payload": payload, **mapping})
    assert "<html" in whole.text and 'id="try-table"' in whole.text
    assert 'value="msg"' in whole.text and "cpu-1" in whole.text

    bad_save = client.post(
        f"{path}/mapping", data={"csrf_token": token, **mapping, "mapping.severity": "[["}
    )
    assert bad_save.status_code == 422
    assert 'id="mapping-mapping-severity-error"' in bad_save.text
    assert 'value="items"' in bad_save.text  # the rest of the input is kept
    saved = client.post(
        f"{path}/mapping",
        data={"csrf_token": token, **mapping, "mapping.resolved_values": "ok, fixed"},
    )
    assert saved.status_code == 200 and "Mapping saved." in saved.text
    stored = client.get(
        f"/api/v1/integrations/{integration['id']}", headers=personas["viewer"].headers
    ).json()
    assert stored["mapping"] == {
        "alerts": "items",
        "dedup_key": "key",
        "summary": "msg",
        "status": "state",
        "resolved_values": ["ok", "fixed"],
    }

    # Viewers may try a mapping but not save one.
    client.cookies.clear()
    sign_in(client, "viewer@example.com")
    viewer_page = client.get(path).text
    assert "Save mapping" not in viewer_page and "Try it" in viewer_page
    token = page_token(client, path)
    viewer_try = client.post(
        f"{path}/try", data={"csrf_token": token, "payload": payload, **mapping}, headers=HTMX
    )
    assert "cpu-1" in viewer_try.text
    assert (
        client.post(f"{path}/mapping", data={"csrf_token": token}, headers=HTML).status_code == 403
    )


def test_routing_rules_create_errors_and_delete(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    sign_in(client, "manager@example.com")
    token = page_token(client, "/alerts/rules")
    assert "No routing rules" in client.get("/alerts/rules").text
    made = client.post(
        "/alerts/rules",
        data={
            "csrf_token": token,
            "name": "Databases to db",
            "matchers": 'team=~"db|storage", severity="critical"',
            "service": "db",
            "urgency": "high",
            "escalation_policy": "db-oncall",
            "incident_action": "none",
        },
    )
    assert made.status_code == 200
    assert "Databases to db" in made.text and "db-oncall" in made.text
    assert "team=~&#34;db|storage&#34;, severity=&#34;critical&#34;" in made.text

    bad = client.post(
        "/alerts/rules", data={"csrf_token": token, "name": "Broken", "matchers": "team"}
    )
    assert bad.status_code == 422 and 'id="rule-matchers-error"' in bad.text
    assert 'value="Broken"' in bad.text
    declare = client.post(
        "/alerts/rules",
        data={"csrf_token": token, "name": "Declare", "incident_action": "declare"},
    )
    assert declare.status_code == 422 and 'id="rule-incident_severity-error"' in declare.text
    unknown = client.post(
        "/alerts/rules", data={"csrf_token": token, "name": "X", "service": "nope"}
    )
    assert unknown.status_code == 404 and 'id="rule-service-error"' in unknown.text

    rules = client.get("/api/v1/routing-rules", headers=personas["viewer"].headers).json()
    deleted = client.post(f"/alerts/rules/{rules[0]['id']}/delete", data={"csrf_token": token})
    assert "No routing rules" in deleted.text

    client.cookies.clear()
    sign_in(client, "responder@example.com")
    assert "Add rule" not in client.get("/alerts/rules").text


def test_maintenance_windows_in_the_viewers_zone(
    client: TestClient, personas: dict[str, Persona], services: list[str], db: Database
) -> None:
    with db.transaction() as session:
        session.execute(
            update(User)
            .where(User.email == "responder@example.com")
            .values(time_zone="America/New_York")
        )
    sign_in(client, "responder@example.com")
    token = page_token(client, "/alerts/maintenance")
    base = {"csrf_token": token, "service": "db", "title": "Postgres upgrade"}
    backwards = client.post(
        "/alerts/maintenance",
        data={**base, "starts_at": "2026-03-02T05:00", "ends_at": "2026-03-02T04:00"},
    )
    assert backwards.status_code == 422 and 'id="window-ends_at-error"' in backwards.text
    assert 'value="Postgres upgrade"' in backwards.text
    garbled = client.post(
        "/alerts/maintenance", data={**base, "starts_at": "tomorrow", "ends_at": ""}
    )
    assert garbled.status_code == 422 and 'id="window-starts_at-error"' in garbled.text

    # 04:00 to 06:00 in New York (UTC-5) holds the clock's 09:00 UTC.
    made = client.post(
        "/alerts/maintenance",
        data={
            **base,
            "starts_at": "2026-03-02T04:00",
            "ends_at": "2026-03-02T06:00",
            "repeat": "weekly",
        },
    )
    assert made.status_code == 200
    assert "Postgres upgrade" in made.text and "DB" in made.text
    assert "2026-03-02 04:00 EST" in made.text and "active" in made.text and "weekly" in made.text
    window_id = client.get(
        "/api/v1/maintenance-windows", headers=personas["viewer"].headers
    ).json()[0]["id"]
    gone = client.post(f"/alerts/maintenance/{window_id}/delete", data={"csrf_token": token})
    assert "No maintenance windows" in gone.text


def test_changes_page_and_recent_changes_on_the_group(
    client: TestClient, personas: dict[str, Persona], make_integration: MakeIntegration, pd_key: str
) -> None:
    change_key = make_integration("change", service="api")["key"]
    db_change_key = make_integration("change", service="db")["key"]
    for key, summary in ((change_key, "Deploy api v1.4.2"), (db_change_key, "Vacuum settings")):
        response = client.post(
            f"/ingest/{key}",
            json={
                "summary": summary,
                "source": "ci",
                "kind": "deploy",
                "links": [{"href": "javascript:alert(1)", "text": "sneaky"}],
            },
        )
        assert response.status_code == 202, response.text
    send(client, pd_key)
    sign_in(client, "viewer@example.com")
    everything = client.get("/alerts/changes").text
    assert "Deploy api v1.4.2" in everything and "Vacuum settings" in everything
    assert "javascript:" not in everything
    only_db = client.get("/alerts/changes?service=db").text
    assert "Vacuum settings" in only_db and "Deploy api v1.4.2" not in only_db
    unknown = client.get("/alerts/changes?service=nope")
    assert unknown.status_code == 200 and "no service nope" in unknown.text

    group = client.get("/alerts/AG-1").text
    assert "Deploy api v1.4.2" in group and "Vacuum settings" not in group


def test_payload_text_is_escaped(
    client: TestClient, personas: dict[str, Persona], pd_key: str
) -> None:
    event = pd_event(pd_key, "<script>alert(1)</script>")
    event["links"] = [{"href": "javascript:alert(1)", "text": "bad"}, {"href": "https://x.test"}]
    assert client.post("/v2/enqueue", json=event).status_code == 202
    sign_in(client, "viewer@example.com")
    for path in ("/alerts", "/alerts/AG-1"):
        page = client.get(path).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    group = client.get("/alerts/AG-1").text
    assert 'href="javascript:' not in group and 'href="https://x.test"' in group


def test_odd_form_input_never_makes_a_500(
    client: TestClient, personas: dict[str, Persona], pd_key: str, db: Database
) -> None:
    send(client, pd_key)
    sign_in(client, "manager@example.com")
    token = page_token(client, "/alerts/integrations")
    generic = client.post(
        "/api/v1/integrations",
        json={"service": "api", "kind": "generic"},
        headers=personas["manager"].headers,
    ).json()["id"]
    odd_values = (
        "\x00",
        "9" * 40,
        "x" * 30_000,
        "-1",
        "1e400",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        '{"a": [',
        "😀",
    )
    mapping_fields = tuple(f"mapping.{name}" for name in ("alerts", "summary", "resolved_values"))
    forms = {
        "/alerts/integrations": (
            "service",
            "kind",
            "name",
            "group_by",
            "heartbeat_period_seconds",
            "heartbeat_grace_seconds",
        ),
        f"/alerts/integrations/{generic}/mapping": mapping_fields,
        f"/alerts/integrations/{generic}/try": ("payload", *mapping_fields),
        "/alerts/rules": RULE_FIELDS,
        "/alerts/silences": ("matchers", "starts_at", "ends_in", "comment"),
        "/alerts/maintenance": (
            "service",
            "title",
            "starts_at",
            "ends_at",
            "repeat",
            "repeat_until",
        ),
        "/alerts/AG-1/silence": ("matchers", "duration", "comment"),
        "/alerts/AG-1/escalate": ("note",),
    }
    sane = {
        "service": "api",
        "kind": "heartbeat",
        "name": "n",
        "matchers": 'alertname="x"',
        "comment": "c",
        "ends_in": "1h",
        "duration": "1h",
        "title": "t",
        "starts_at": "2026-03-03T10:00",
        "ends_at": "2026-03-03T11:00",
        "payload": '{"summary": "x"}',
    }
    for path, fields in forms.items():
        for field in fields:
            for value in odd_values:
                data = {"csrf_token": token, **sane, field: value}
                response = client.post(path, data=data, headers=HTML, follow_redirects=False)
                assert response.status_code < 500, (path, field, value[:20], response.text[-300:])
    assert len(groups(db)) == 1  # and the group they were about is still there
