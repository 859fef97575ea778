"""Paging end to end: an alert or an incident pages people through an
escalation policy on the jobs worker, the messages reach real local peers
(an SMTP server, HTTP receivers, the log channel), and acknowledging from a
signed e-mail link, the API or a timeout steers what happens next."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.comms.channels import log
from fireline.core.audit import AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.oncall.models import Notification
from tests.alerts.conftest import MakeIntegration, groups
from tests.alerts.test_ingest import pd_event
from tests.comms.conftest import Mailbox, Receiver
from tests.conftest import Persona
from tests.web.helpers import sign_in

Personas = dict[str, Persona]
RunJobs = Callable[[], int]
ACK_LINK = re.compile(r"Acknowledge: http://fireline\.test(/act/\S+)")


@pytest.fixture(autouse=True)
def _empty_log() -> None:
    log.clear()


def add_method(
    client: TestClient, who: Persona, kind: str, target: dict[str, Any], **extra: Any
) -> int:
    response = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": kind, "target": target, **extra},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    method_id: int = response.json()["id"]
    return method_id


def add_rule(
    client: TestClient, who: Persona, method_id: int, delay: int = 0, **extra: Any
) -> None:
    response = client.post(
        "/api/v1/me/notification-rules",
        json={"urgency": "high", "contact_method_id": method_id, "delay_minutes": delay, **extra},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text


def make_policy(
    client: TestClient,
    personas: Personas,
    *people: str,
    delay: int = 5,
    slug: str = "api-oncall",
    service: str | None = "api",
    **extra: Any,
) -> dict[str, Any]:
    steps = [
        {"delay_minutes": delay, "targets": [{"type": "user", "id": personas[p].user_id}]}
        for p in people
    ]
    response = client.post(
        "/api/v1/escalation-policies",
        json={"slug": slug, "name": slug.replace("-", " ").title(), "steps": steps, **extra},
        headers=personas["manager"].headers,
    )
    assert response.status_code == 201, response.text
    if service:
        linked = client.put(
            f"/api/v1/services/{service}/escalation-policy",
            json={"escalation_policy": slug},
            headers=personas["manager"].headers,
        )
        assert linked.status_code == 204, linked.text
    policy: dict[str, Any] = response.json()
    return policy


def logged_for(name: str, kind: str = "page") -> list[log.LoggedMessage]:
    return [m for m in log.recent(200) if m.name == name and m.message.kind == kind]


def timeline(client: TestClient, who: Persona, group_ref: str) -> list[dict[str, Any]]:
    detail = client.get(f"/api/v1/alert-groups/{group_ref}", headers=who.headers)
    assert detail.status_code == 200, detail.text
    events: list[dict[str, Any]] = detail.json()["timeline"]
    return events


def mails_to(mailbox: Mailbox, address: str) -> list[Message]:
    """Verification mails first, then the rest in order of arrival: a new
    contact method's verification and its first page go out together."""
    mails = [message_from_bytes(raw) for _, rcpt, raw in mailbox.messages if address in rcpt]
    return sorted(mails, key=lambda mail: mail["X-Fireline-Kind"] != "verify")


def body_of(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


def trigger(client: TestClient, key: str, **payload: Any) -> None:
    response = client.post("/v2/enqueue", json=pd_event(key, **payload))
    assert response.status_code == 202, response.text


def only_page(client: TestClient, who: Persona) -> dict[str, Any]:
    pages = client.get("/api/v1/pages", headers=who.headers).json()
    assert len(pages) == 1, pages
    page: dict[str, Any] = pages[0]
    return page


def test_the_page_email_acknowledge_link_stops_the_escalation(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    mailbox: Mailbox,
    clock: FixedClock,
    db: Database,
) -> None:
    responder, manager = personas["responder"], personas["manager"]
    email = add_method(client, responder, "email", {"address": "responder@example.com"})
    add_rule(client, responder, email)
    add_method(client, manager, "log", {"name": "manager phone"})
    make_policy(client, personas, "responder", "manager")
    key = make_integration("pagerduty")["key"]

    trigger(client, key)
    run_jobs()

    [verify, paged] = mails_to(mailbox, "responder@example.com")
    assert "Confirm" in verify["Subject"]
    assert paged["Subject"].startswith("[HIGH]") and "Checkout errors" in paged["Subject"]
    link = ACK_LINK.search(body_of(paged))
    assert link is not None, body_of(paged)
    [group] = groups(db)

    # Opening the link (a mail scanner might) only asks; the button acts.
    shown = client.get(link.group(1))
    assert shown.status_code == 200 and "<button" in shown.text
    assert groups(db)[0].status == "triggered"
    done = client.post(link.group(1))
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert groups(db)[0].status == "acknowledged"
    assert only_page(client, manager)["status"] == "acknowledged"

    clock.advance(minutes=6)
    run_jobs()
    assert logged_for("manager phone") == [], "step 2 ran after the acknowledgement"
    kinds = [e["kind"] for e in timeline(client, manager, group.ref)]
    for expected in ("paging", "page_step", "notified", "acknowledged"):
        assert expected in kinds, kinds
    assert (
        "Responder"
        in next(e for e in timeline(client, manager, group.ref) if e["kind"] == "acknowledged")[
            "text"
        ]
    )

    # A tampered token is refused without acting.
    forged = client.post(link.group(1)[:-3] + "AAA")
    assert forged.status_code == 400


def test_an_unacknowledged_page_climbs_the_steps_and_repeats(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    clock: FixedClock,
    db: Database,
) -> None:
    add_method(client, personas["responder"], "log", {"name": "responder phone"})
    add_method(client, personas["manager"], "log", {"name": "manager phone"})
    make_policy(client, personas, "responder", "manager", repeat=1)
    trigger(client, make_integration("pagerduty")["key"])

    seen = []
    for _ in range(6):
        run_jobs()
        seen.append((len(logged_for("responder phone")), len(logged_for("manager phone"))))
        clock.advance(minutes=5)
    # Step 1, step 2, both again (repeat=1), then nobody more.
    assert seen == [(1, 0), (1, 1), (2, 1), (2, 2), (2, 2), (2, 2)]
    kinds = [e["kind"] for e in timeline(client, personas["viewer"], groups(db)[0].ref)]
    assert kinds.count("page_step") == 4 and "page_spent" in kinds


def test_a_policy_edited_mid_page_does_not_change_the_page(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    clock: FixedClock,
) -> None:
    for name in ("responder", "manager", "admin"):
        add_method(client, personas[name], "log", {"name": name})
    make_policy(client, personas, "responder", "manager")
    trigger(client, make_integration("pagerduty")["key"])
    run_jobs()

    edited = client.patch(
        "/api/v1/escalation-policies/api-oncall",
        json={
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "user", "id": personas["admin"].user_id}]}
            ]
        },
        headers=personas["manager"].headers,
    )
    assert edited.status_code == 200, edited.text
    clock.advance(minutes=5)
    run_jobs()
    assert len(logged_for("manager")) == 1 and logged_for("admin") == []


def test_low_urgency_notifies_the_first_step_only(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    clock: FixedClock,
) -> None:
    add_method(client, personas["responder"], "log", {"name": "responder"})
    add_method(client, personas["manager"], "log", {"name": "manager"})
    make_policy(client, personas, "responder", "manager")
    trigger(client, make_integration("pagerduty")["key"], severity="warning")
    run_jobs()
    clock.advance(minutes=30)
    run_jobs()
    [message] = logged_for("responder")
    assert message.message.urgency == "low"
    assert logged_for("manager") == []


def test_a_failing_channel_is_retried_then_the_next_method_is_used(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    clock: FixedClock,
    receiver: Receiver,
    db: Database,
) -> None:
    responder = personas["responder"]
    hook = add_method(client, responder, "webhook", {"url": f"{receiver.url}/page"})
    add_method(client, responder, "log", {"name": "backup phone"})
    add_rule(client, responder, hook)
    make_policy(client, personas, "responder", delay=30)
    run_jobs()  # the verification message goes through first
    for _ in range(3):
        receiver.reply(503, "down for maintenance")
    trigger(client, make_integration("pagerduty")["key"])

    for _ in range(4):  # the worker's backoff is 10 s, then 20 s
        run_jobs()
        clock.advance(seconds=30)
    page_calls = [r for r in receiver.requests if r.path == "/page" and b'"page"' in r.body]
    assert len(page_calls) == 3
    [fallback] = logged_for("backup phone")
    assert fallback.message.ack_url and fallback.message.ack_url.startswith(
        "http://fireline.test/act/"
    )
    with db.session() as session:
        outcomes = [
            (n.channel, n.status)
            for n in session.scalars(
                select(Notification).where(Notification.kind == "page").order_by(Notification.id)
            )
        ]
    assert outcomes == [("webhook", "failed"), ("log", "sent")]
    events = timeline(client, personas["viewer"], groups(db)[0].ref)
    failed = [e for e in events if e["kind"] == "notify_failed"]
    assert len(failed) == 1 and "503" in failed[0]["text"]
    retries = [e for e in events if e["kind"] == "notify_retry"]
    assert len(retries) == 2 and all("trying again in" in e["text"] for e in retries)


def test_webhook_and_apprise_receivers_get_the_page(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    receiver: Receiver,
) -> None:
    add_method(client, personas["responder"], "webhook", {"url": f"{receiver.url}/hook"})
    add_method(
        client, personas["manager"], "apprise", {"url": f"json://127.0.0.1:{receiver.port}/apprise"}
    )
    response = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "both",
            "name": "Both",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [
                        {"type": "user", "id": personas["responder"].user_id},
                        {"type": "user", "id": personas["manager"].user_id},
                    ],
                }
            ],
        },
        headers=personas["manager"].headers,
    )
    assert response.status_code == 201, response.text
    client.put(
        "/api/v1/services/api/escalation-policy",
        json={"escalation_policy": "both"},
        headers=personas["manager"].headers,
    )
    trigger(client, make_integration("pagerduty")["key"], summary="Disk full on db-3")
    run_jobs()

    hook = [json.loads(r.body) for r in receiver.requests if r.path == "/hook"]
    page = next(b for b in hook if b["event"] == "page")
    assert "Disk full on db-3" in page["title"] and page["ack_url"].startswith(
        "http://fireline.test/act/"
    )
    apprise = [json.loads(r.body) for r in receiver.requests if r.path == "/apprise"]
    assert any("Disk full on db-3" in b["title"] for b in apprise), apprise


def test_acknowledge_timeout_pages_again(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
    clock: FixedClock,
) -> None:
    add_method(client, personas["responder"], "log", {"name": "responder"})
    make_policy(client, personas, "responder", delay=30, ack_timeout_minutes=10)
    trigger(client, make_integration("pagerduty")["key"])
    run_jobs()
    page = only_page(client, personas["viewer"])
    acked = client.post(
        f"/api/v1/pages/{page['id']}/acknowledge", headers=personas["responder"].headers
    )
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"

    clock.advance(minutes=9)
    run_jobs()
    assert len(logged_for("responder")) == 1
    clock.advance(minutes=1)
    run_jobs()
    assert len(logged_for("responder")) == 2
    assert only_page(client, personas["viewer"])["status"] == "active"


def test_escalate_and_reassign_by_hand(
    client: TestClient,
    personas: Personas,
    make_integration: MakeIntegration,
    run_jobs: RunJobs,
) -> None:
    for name in ("responder", "manager", "admin"):
        add_method(client, personas[name], "log", {"name": name})
    make_policy(client, personas, "responder", "manager", delay=30)
    trigger(client, make_integration("pagerduty")["key"])
    run_jobs()
    page_id = only_page(client, personas["viewer"])["id"]
    headers = personas["responder"].headers

    escalated = client.post(f"/api/v1/pages/{page_id}/escalate", headers=headers)
    assert escalated.status_code == 200, escalated.text
    run_jobs()
    assert len(logged_for("manager")) == 1

    client.post(f"/api/v1/pages/{page_id}/acknowledge", headers=personas["manager"].headers)
    reassigned = client.post(
        f"/api/v1/pages/{page_id}/reassign", json={"users": ["admin@example.com"]}, headers=headers
    )
    assert reassigned.status_code == 200 and reassigned.json()["status"] == "active"
    run_jobs()
    assert len(logged_for("admin")) == 1

    unknown = client.post(
        f"/api/v1/pages/{page_id}/reassign", json={"users": ["nobody@example.com"]}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "users[0]"
    wrong = client.post(f"/api/v1/pages/{page_id}/snooze", headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "action"
    viewer = client.post(f"/api/v1/pages/{page_id}/acknowledge", headers=personas["viewer"].headers)
    assert viewer.status_code == 403


def test_contact_methods_are_verified_by_their_link_and_can_be_tested(
    client: TestClient, personas: Personas, run_jobs: RunJobs
) -> None:
    viewer = personas["viewer"]
    method_id = add_method(client, viewer, "log", {"name": "viewer phone"})
    run_jobs()
    [verify] = logged_for("viewer phone", kind="verify")
    assert verify.message.link
    path = verify.message.link.removeprefix("http://fireline.test")
    assert (
        client.get("/api/v1/me/contact-methods", headers=viewer.headers).json()[0]["verified"]
        is False
    )
    assert client.post(path).status_code == 200
    assert (
        client.get("/api/v1/me/contact-methods", headers=viewer.headers).json()[0]["verified"]
        is True
    )

    tested = client.post(f"/api/v1/me/contact-methods/{method_id}/test", headers=viewer.headers)
    assert tested.status_code == 202
    run_jobs()
    assert [m.message.title for m in logged_for("viewer phone", kind="test")] == [
        "fireline test message"
    ]

    for body, field in (
        ({"kind": "pigeon", "target": {}}, "kind"),
        ({"kind": "email", "target": {"address": "not an address"}}, "target.address"),
        ({"kind": "webhook", "target": {"url": "ftp://example.com"}}, "target.url"),
    ):
        refused = client.post("/api/v1/me/contact-methods", json=body, headers=viewer.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == field, refused.json()
    other = client.post(
        f"/api/v1/me/contact-methods/{method_id}/test", headers=personas["responder"].headers
    )
    assert other.status_code == 404


def test_an_incident_gets_its_on_call_commander_and_pages_them(
    client: TestClient,
    personas: Personas,
    services: list[str],
    run_jobs: RunJobs,
    mailbox: Mailbox,
) -> None:
    responder, manager = personas["responder"], personas["manager"]
    add_method(client, responder, "email", {"address": "responder@example.com"})
    schedule = client.post(
        "/api/v1/schedules",
        json={
            "slug": "api-primary",
            "name": "API primary",
            "time_zone": "Europe/Berlin",
            "layers": [{"users": ["responder@example.com"], "handoff": "2026-01-05T09:00"}],
        },
        headers=manager.headers,
    )
    assert schedule.status_code == 201, schedule.text
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "api-oncall",
            "name": "API on-call",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "schedule", "id": schedule.json()["id"]}]}
            ],
        },
        headers=manager.headers,
    )
    assert policy.status_code == 201, policy.text
    client.put(
        "/api/v1/services/api/escalation-policy",
        json={"escalation_policy": "api-oncall"},
        headers=manager.headers,
    )

    declared = client.post(
        "/api/v1/incidents",
        json={
            "title": "Checkout failing",
            "type": "outage",
            "severity": "SEV2",
            "services": ["api"],
        },
        headers=manager.headers,
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()
    assert incident["commander"]["email"] == "responder@example.com", incident
    run_jobs()
    [_, paged] = mails_to(mailbox, "responder@example.com")
    assert incident["ref"] in paged["Subject"] and "Checkout failing" in paged["Subject"]

    page = only_page(client, manager)
    assert (page["subject_type"], page["status"], page["urgency"]) == ("incident", "active", "high")
    acked = client.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert acked.status_code == 200, acked.text
    events = client.get(f"/api/v1/incidents/{incident['ref']}/timeline", headers=manager.headers)
    kinds = [e["kind"] for e in events.json()]
    assert {"paging", "notified", "page_acknowledged"} <= set(kinds), kinds

    again = client.post(
        f"/api/v1/incidents/{incident['ref']}/page", json={}, headers=manager.headers
    )
    assert again.status_code == 409
    bad = client.post(
        f"/api/v1/incidents/{incident['ref']}/page",
        json={"escalation_policy": "nope"},
        headers=manager.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "escalation_policy"


def test_oncall_check_names_people_nobody_can_reach(client: TestClient, personas: Personas) -> None:
    manager = personas["manager"]
    add_method(client, personas["responder"], "log", {})
    created = client.post(
        "/api/v1/schedules",
        json={
            "slug": "ops",
            "name": "Ops",
            "time_zone": "UTC",
            "layers": [
                {
                    "users": ["viewer@example.com", "responder@example.com"],
                    "handoff": "2026-01-05T09:00",
                }
            ],
        },
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    warnings = client.get("/api/v1/oncall/check", headers=manager.headers).json()
    by_user = {w["user"]: w["message"] for w in warnings}
    assert "has no contact method" in by_user["Viewer"] and "schedule ops" in by_user["Viewer"]
    assert "has not verified" in by_user["Responder"]


def test_schedule_and_policy_input_is_checked_before_anything_is_stored(
    client: TestClient, personas: Personas
) -> None:
    manager = personas["manager"].headers
    far = client.post(
        "/api/v1/schedules",
        json={
            "slug": "ancient",
            "name": "Ancient",
            "time_zone": "Europe/Berlin",
            "layers": [{"users": ["responder@example.com"], "handoff": "0001-01-01T00:00"}],
        },
        headers=manager,
    )
    assert far.status_code == 422 and far.json()["error"]["field"] == "layers[0].handoff", far.text
    assert client.get("/api/v1/schedules/ancient", headers=manager).status_code == 404
    reserved = client.post(
        "/api/v1/schedules",
        json={"slug": "new", "name": "New", "time_zone": "UTC"},
        headers=manager,
    )
    assert reserved.status_code == 422 and reserved.json()["error"]["field"] == "slug"
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "new",
            "name": "New",
            "steps": [{"targets": [{"type": "user", "id": personas["responder"].user_id}]}],
        },
        headers=manager,
    )
    assert policy.status_code == 422 and policy.json()["error"]["field"] == "slug"


def test_a_policy_edit_refuses_null_where_the_policy_needs_a_value(
    client: TestClient, personas: Personas
) -> None:
    make_policy(client, personas, "responder", service=None)
    manager = personas["manager"].headers
    url = "/api/v1/escalation-policies/api-oncall"
    before = client.get(url, headers=manager).json()
    for field in ("name", "steps", "repeat", "description"):
        refused = client.patch(url, json={field: None, "ack_timeout_minutes": 3}, headers=manager)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == field
    assert client.get(url, headers=manager).json() == before
    # ack_timeout_minutes is the one that takes null: back to the default.
    cleared = client.patch(url, json={"ack_timeout_minutes": None}, headers=manager)
    assert cleared.status_code == 200 and cleared.json()["ack_timeout_minutes"] is None


def test_removing_a_notification_rule_is_audited(
    client: TestClient, personas: Personas, db: Database
) -> None:
    viewer = personas["viewer"]
    method_id = add_method(client, viewer, "log", {})
    add_rule(client, viewer, method_id, delay=2)
    [rule] = client.get("/api/v1/me/notification-rules", headers=viewer.headers).json()
    other = client.delete(
        f"/api/v1/me/notification-rules/{rule['id']}", headers=personas["responder"].headers
    )
    assert other.status_code == 404
    gone = client.delete(f"/api/v1/me/notification-rules/{rule['id']}", headers=viewer.headers)
    assert gone.status_code == 204
    assert client.get("/api/v1/me/notification-rules", headers=viewer.headers).json() == []
    with db.session() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_id == str(viewer.user_id))
            )
        )
    assert "notification_rule.removed" in actions


def test_pages_of_a_restricted_incident_stay_with_those_who_may_see_it(
    app: Any,
    client: TestClient,
    personas: Personas,
    services: list[str],
    run_jobs: RunJobs,
) -> None:
    add_method(client, personas["responder"], "log", {"name": "responder"})
    make_policy(client, personas, "responder")
    declared = client.post(
        "/api/v1/incidents",
        json={
            "title": "Stolen laptop with customer exports",
            "type": "outage",
            "severity": "SEV1",
            "services": ["api"],
            "restricted": True,
        },
        headers=personas["manager"].headers,
    )
    assert declared.status_code == 201, declared.text
    run_jobs()
    [paged] = logged_for("responder")
    assert paged.message.link == f"http://fireline.test/incidents/{declared.json()['ref']}"

    page = only_page(client, personas["responder"])  # the paged commander takes part
    outsider = personas["outsider"]
    assert client.get("/api/v1/pages", headers=outsider.headers).json() == []
    hidden = client.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=outsider.headers)
    assert hidden.status_code == 404
    for who, sees in ((outsider, False), (personas["responder"], True)):
        with TestClient(app) as browser:
            signed_in = sign_in(browser, who.email or "")
            assert signed_in.status_code == 303, signed_in.text
            listing = browser.get("/oncall/pages")
            assert listing.status_code == 200
            assert ("Stolen laptop" in listing.text) is sees, who
