"""Subscribers of the status page against real peers: the double opt-in and
update mails through an SMTP server on 127.0.0.1, webhooks to an HTTP
receiver, the links in the mails, and a maintenance's own timers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.comms.status import components, service, subscriptions
from fireline.comms.status.models import Component, PublicIncident, Subscriber
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.web.app import create_app
from tests.comms.conftest import Mailbox, Receiver
from tests.conftest import Persona

Personas = dict[str, Persona]

BASE = "http://fireline.test"


@pytest.fixture
def settings(database_url: str, smtp_server: Mailbox) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url=BASE,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_from="status@fireline.test",
        outbound_allow_private=True,
    )


def make_components(db: Database, clock: FixedClock, *names: str) -> list[str]:
    with db.transaction() as session:
        return [
            components.create_component(session, None, clock.now(), name=name).code
            for name in names
        ]


def open_incident(db: Database, clock: FixedClock, name: str, statuses: dict[str, str]) -> str:
    with db.transaction() as session:
        public = service.open_incident(
            session,
            None,
            clock.now(),
            name=name,
            body=f"We are looking into {name}.",
            components=statuses,
        )
        return public.code


def mails(mailbox: Mailbox) -> list[EmailMessage]:
    found = []
    for _, _, raw in mailbox.messages:
        parsed = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link(text: str, kind: str) -> str:
    match = re.search(rf"{re.escape(BASE)}(/status/{kind}/\S+)", text)
    assert match, f"no {kind} link in {text!r}"
    return match[1]


def subscribe(client: TestClient, email: str, *codes: str) -> str:
    response = client.post(
        "/status/subscribe", data={"kind": "email", "email": email, "component": list(codes)}
    )
    assert response.status_code == 200, response.text
    return response.text


def confirmed(
    client: TestClient, mailbox: Mailbox, run: Callable[[], int], email: str, *codes: str
) -> None:
    subscribe(client, email, *codes)
    run()
    [mail] = [m for m in mails(mailbox) if m["To"] == email]
    path = link(text_of(mail), "subscribe/confirm")
    assert client.post(path).status_code == 200
    mailbox.messages.clear()


def test_double_opt_in_then_updates_by_mail_until_one_click_unsubscribe(
    client: TestClient, db: Database, clock: FixedClock, mailbox: Mailbox, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    [api] = make_components(db, clock, "API")
    page = subscribe(client, "ana@example.com")
    assert "Check your inbox" in page

    # Nothing goes to an address before it confirms.
    open_incident(db, clock, "Slow checkout", {api: "degraded_performance"})
    run_jobs()
    [confirmation] = mails(mailbox)
    assert confirmation["To"] == "ana@example.com"
    assert confirmation["List-Unsubscribe"] is None
    confirm_path = link(text_of(confirmation), "subscribe/confirm")
    # Opening the link (as a mail scanner would) changes nothing; the button does.
    opened = client.get(confirm_path)
    assert opened.status_code == 200 and "ana@example.com" in opened.text
    with db.session() as session:
        assert session.scalars(select(Subscriber.confirmed_at)).one() is None
    assert client.post(confirm_path).status_code == 200
    mailbox.messages.clear()

    code = open_incident(db, clock, "Checkout is down", {api: "major_outage"})
    run_jobs()
    [update] = mails(mailbox)
    assert update["Subject"] == "[Status] Checkout is down: Investigating"
    body = text_of(update)
    assert "We are looking into Checkout is down." in body
    assert "API: Major outage" in body
    assert f"{BASE}/status/incidents/{code}" in body
    unsubscribe_url = update["List-Unsubscribe"].strip().strip("<>")
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert update.get_body(preferencelist=("html",)) is not None

    # A mail client's one-click unsubscribe (RFC 8058).
    one_click = client.post(
        unsubscribe_url.removeprefix(BASE), content=b"List-Unsubscribe=One-Click"
    )
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    mailbox.messages.clear()
    open_incident(db, clock, "Another one", {api: "partial_outage"})
    run_jobs()
    assert mails(mailbox) == []


def test_subscribers_of_some_components_hear_only_of_theirs(
    client: TestClient, db: Database, clock: FixedClock, mailbox: Mailbox, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    api, web = make_components(db, clock, "API", "Website")
    confirmed(client, mailbox, run_jobs, "api@example.com", api)
    confirmed(client, mailbox, run_jobs, "all@example.com")
    open_incident(db, clock, "Website slow", {web: "degraded_performance"})
    open_incident(db, clock, "API errors", {api: "partial_outage"})
    run_jobs()
    received = sorted((m["To"], m["Subject"]) for m in mails(mailbox))
    assert received == [
        ("all@example.com", "[Status] API errors: Investigating"),
        ("all@example.com", "[Status] Website slow: Investigating"),
        ("api@example.com", "[Status] API errors: Investigating"),
    ]


def test_subscribing_again_tells_a_stranger_nothing_and_sends_nothing(
    client: TestClient, db: Database, clock: FixedClock, mailbox: Mailbox, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    confirmed(client, mailbox, run_jobs, "ana@example.com")
    again = subscribe(client, "ana@example.com")
    fresh = subscribe(client, "bo@example.com")
    assert again.replace("ana@example.com", "X") == fresh.replace("bo@example.com", "X")
    run_jobs()
    assert [m["To"] for m in mails(mailbox)] == ["bo@example.com"]


def test_an_address_gets_one_confirmation_mail_per_quarter_hour(
    client: TestClient, db: Database, clock: FixedClock, mailbox: Mailbox, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    """Entering someone's address again and again does not flood their inbox."""
    for _ in range(3):
        subscribe(client, "ana@example.com")
    run_jobs()
    assert [m["To"] for m in mails(mailbox)] == ["ana@example.com"]
    clock.advance(minutes=14)
    subscribe(client, "ana@example.com")
    run_jobs()
    assert len(mails(mailbox)) == 1
    clock.advance(minutes=1)
    subscribe(client, "ana@example.com")
    run_jobs()
    assert [m["To"] for m in mails(mailbox)] == ["ana@example.com"] * 2
    path = link(text_of(mails(mailbox)[1]), "subscribe/confirm")
    assert client.post(path).status_code == 200
    with db.session() as session:
        [subscriber] = session.scalars(select(Subscriber))
        assert subscriber.confirmed_at is not None


def test_the_public_form_limits_each_client(
    settings: Settings, db: Database, clock: FixedClock
) -> None:
    limited = settings.model_copy(update={"status_subscribe_per_hour": 3})
    with TestClient(create_app(limited, database=db, clock=clock)) as client:
        for n in range(3):
            subscribe(client, f"user{n}@example.com")
        response = client.post(
            "/status/subscribe", data={"kind": "webhook", "url": "https://hooks.example/x"}
        )
        assert response.status_code == 429
        assert "Too many subscriptions from your address; try again in 20 minutes" in response.text
        assert 1190 <= int(response.headers["Retry-After"]) <= 1200
        assert 'value="https://hooks.example/x"' in response.text  # what was typed is kept
    with db.session() as session:
        assert sorted(s.target for s in session.scalars(select(Subscriber))) == [
            f"user{n}@example.com" for n in range(3)
        ]


def test_links_cannot_be_forged_or_used_for_another_purpose(
    client: TestClient, db: Database, clock: FixedClock, mailbox: Mailbox, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    subscribe(client, "ana@example.com")
    run_jobs()
    confirm_path = link(text_of(mails(mailbox)[0]), "subscribe/confirm")
    token = confirm_path.rsplit("/", 1)[1]
    subscriber_id, mac = token.split(".")
    for bad in (
        f"/status/unsubscribe/{token}",  # a confirm token does not unsubscribe
        f"/status/subscribe/confirm/{subscriber_id}.{mac[:-2]}AA",
        f"/status/subscribe/confirm/{int(subscriber_id) + 1}.{mac}",
        "/status/subscribe/confirm/not-a-token",
    ):
        response = client.post(bad)
        assert response.status_code == 404, bad
        assert "This link is not valid" in response.text
    with db.session() as session:
        [subscriber] = session.scalars(select(Subscriber))
        assert subscriber.confirmed_at is None


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"kind": "email", "email": "not-an-address"}, "email", "one address like"),
        ({"kind": "email", "email": "ana@example.com", "component": "nope"}, "", "no component"),
        ({"kind": "webhook", "url": "ftp://example.com/x"}, "url", "http"),
        ({"kind": "pigeon"}, "", "expected email or webhook"),
    ],
)
def test_bad_subscriptions_are_refused_beside_their_field_and_store_nothing(
    client: TestClient, db: Database, form: dict[str, str], field: str, message: str
) -> None:
    response = client.post("/status/subscribe", data=form)
    assert response.status_code == 422
    assert message in response.text
    if field:
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text)
    with db.session() as session:
        assert session.scalars(select(Subscriber)).all() == []


def test_a_webhook_subscriber_gets_statuspage_shaped_updates(
    client: TestClient, db: Database, clock: FixedClock, receiver: Receiver, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    [api] = make_components(db, clock, "API")
    response = client.post(
        "/status/subscribe", data={"kind": "webhook", "url": f"{receiver.url}/hook"}
    )
    assert response.status_code == 200 and "Webhook subscribed" in response.text
    code = open_incident(db, clock, "API errors", {api: "partial_outage"})
    run_jobs()
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.header("Idempotency-Key")
    body = json.loads(request.body)
    assert body["page"]["status_indicator"] == "major"
    assert body["page"]["status_description"] == "Partial System Outage"
    incident = body["incident"]
    assert (incident["id"], incident["name"], incident["status"]) == (
        code,
        "API errors",
        "investigating",
    )
    [update] = incident["incident_updates"]
    assert update["affected_components"] == [
        {"code": api, "name": "API", "old_status": "operational", "new_status": "partial_outage"}
    ]
    unsubscribe = body["meta"]["unsubscribe"].removeprefix(BASE)
    assert client.post(unsubscribe).status_code == 200
    with db.session() as session:
        assert session.scalars(select(Subscriber)).all() == []


def test_a_failing_webhook_is_retried_and_delivered_once(
    client: TestClient, db: Database, clock: FixedClock, receiver: Receiver, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    client.post("/status/subscribe", data={"kind": "webhook", "url": f"{receiver.url}/hook"})
    receiver.reply(503, "busy")
    open_incident(db, clock, "API errors", {})
    run_jobs()
    assert len(receiver.requests) == 1
    clock.advance(minutes=10)
    run_jobs()
    assert len(receiver.requests) == 2
    keys = {r.header("Idempotency-Key") for r in receiver.requests}
    assert len(keys) == 1  # the receiver can tell the retry from a new update


def test_a_maintenance_starts_and_completes_on_its_own(
    db: Database, clock: FixedClock, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    [db_code] = make_components(db, clock, "Database")
    start, end = clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=2)
    with db.transaction() as session:
        service.schedule_maintenance(
            session,
            None,
            clock.now(),
            name="Database upgrade",
            body="We upgrade the database.",
            scheduled_for=start,
            scheduled_until=end,
            components=[db_code],
        )

    def state() -> tuple[str, str]:
        with db.session() as session:
            maintenance = session.scalars(select(PublicIncident)).one()
            component = session.scalars(select(Component)).one()
            return maintenance.status, component.status

    run_jobs()
    assert state() == ("scheduled", "operational")
    clock.advance(hours=1, seconds=1)
    run_jobs()
    assert state() == ("in_progress", "under_maintenance")
    clock.advance(hours=1)
    run_jobs()
    assert state() == ("completed", "operational")
    with db.session() as session:
        statuses = [u.status for u in session.scalars(select(PublicIncident)).one().updates]
    assert statuses == ["completed", "in_progress", "scheduled"]


def test_audience_matches_components(db: Database, clock: FixedClock) -> None:
    api, web = make_components(db, clock, "API", "Website")
    with db.transaction() as session:
        mine = Subscriber(
            kind="email",
            target="a@example.com",
            component_codes=[api],
            nonce="n",
            confirmed_at=clock.now(),
            created_at=clock.now(),
        )
        session.add(mine)
        session.flush()
        incident = service.open_incident(
            session,
            None,
            clock.now(),
            name="Website",
            body="slow",
            components={web: "degraded_performance"},
            notify=False,
        )
        assert subscriptions.audience(session, incident) == []
        everyone = service.open_incident(
            session,
            None,
            clock.now(),
            name="Everything",
            body="odd",
            notify=False,
        )
        assert subscriptions.audience(session, everyone) == [mine]


def test_the_subscribers_api(client: TestClient, personas: Personas, receiver: Receiver) -> None:
    assert client.post("/api/v1/status/subscribers", json={"email": "ana@example.com"}).json() == {
        "status": "pending"
    }
    hook = f"{receiver.url}/secret-path-token"
    assert client.post("/api/v1/status/subscribers", json={"webhook_url": hook}).json() == {
        "status": "subscribed"
    }
    for bad in ({}, {"email": "a@example.com", "webhook_url": hook}, {"email": "x", "extra": 1}):
        refused = client.post("/api/v1/status/subscribers", json=bad)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["message"]
    refused = client.post("/api/v1/status/subscribers", json={"email": "not an address"})
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "email")

    assert client.get("/api/v1/status/subscribers").status_code == 401
    viewer = personas["viewer"].headers
    assert client.get("/api/v1/status/subscribers", headers=viewer).status_code == 403
    manager = personas["manager"].headers
    listed = client.get("/api/v1/status/subscribers", headers=manager).json()
    assert [(s["kind"], s["confirmed_at"] is None) for s in listed] == [
        ("email", True),
        ("webhook", False),
    ]
    assert "secret-path-token" not in str(listed)
    gone = client.delete(f"/api/v1/status/subscribers/{listed[0]['id']}", headers=manager)
    assert gone.status_code == 204 and gone.content == b""  # a 204 has no body
    assert len(client.get("/api/v1/status/subscribers", headers=manager).json()) == 1
    again = client.delete(f"/api/v1/status/subscribers/{listed[0]['id']}", headers=manager)
    assert again.status_code == 404
    trail = client.get("/api/v1/audit", headers=personas["admin"].headers).json()
    assert "status.subscriber_removed" in str(trail)
