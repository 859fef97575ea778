"""The Slack app with correctly (and incorrectly) signed requests, answered at
once, its work done by the jobs worker against a local stand-in for Slack's
Web API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.comms.links import sign_action
from fireline.comms.slack.commands import Command, CommandError, parse
from fireline.comms.slack.models import SlackChannel
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.core.signing import signing_key
from fireline.incidents.models import Incident, TimelineEvent
from fireline.oncall import paging
from fireline.oncall.models import EscalationPolicy, Page
from tests.comms.slack.conftest import FromSlack, SlackStandIn
from tests.conftest import Persona

Personas = dict[str, Persona]
Run = Callable[[], int]


def incident(db: Database, incident_id: int = 1) -> Incident:
    with db.session() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        _ = found.commander
        return found


def kinds(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(TimelineEvent.kind).order_by(TimelineEvent.id)))


def jobs(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(Job.id).where(Job.kind.like("slack.%"))).all())


def declared(from_slack: FromSlack, run_jobs: Run, personas: Personas) -> str:
    answer = from_slack.command("declare sev2 Checkout failing")
    assert answer.status_code == 200
    run_jobs()
    return "INC-1"


def test_unsigned_forged_and_stale_requests_are_refused(
    from_slack: FromSlack, db: Database, client: TestClient
) -> None:
    body = "command=%2Ffireline&text=declare+sev1+x&user_id=URESPONDER"
    form = "application/x-www-form-urlencoded"
    assert (
        client.post("/slack/events", content=body, headers={"Content-Type": form}).status_code
        == 401
    )
    assert from_slack.post(body, form, secret="not-the-secret").status_code == 401
    assert from_slack.post(body, form, age=600).status_code == 401  # a replay
    assert jobs(db) == 0


def test_slack_checks_the_url_and_gets_its_challenge_back(from_slack: FromSlack) -> None:
    answer = from_slack.post(
        json.dumps(
            {
                "type": "url_verification",
                "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            }
        ),
        "application/json",
    )
    assert answer.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer.text


def test_help_and_mistakes_are_answered_at_once_and_queue_nothing(
    from_slack: FromSlack, db: Database
) -> None:
    help_answer = from_slack.command("help")
    assert help_answer.status_code == 200 and "/fireline declare" in help_answer.json()["text"]
    wrong = from_slack.command("declare Checkout failing")
    assert "start with the severity" in wrong.json()["text"]
    assert "no command `launch`" in from_slack.command("launch rockets").json()["text"]
    assert jobs(db) == 0


def test_declare_answers_before_the_work_then_opens_the_incident_and_its_channel(
    from_slack: FromSlack, slack: SlackStandIn, db: Database, personas: Personas, run_jobs: Run
) -> None:
    answer = from_slack.command("declare sev2 Checkout failing")
    assert answer.status_code == 200
    assert answer.json()["text"] == "`/fireline declare`: on it."
    with db.session() as session:
        assert session.scalars(select(Incident)).all() == []  # the worker does the work
    run_jobs()

    found = incident(db)
    assert (found.title, found.severity) == ("Checkout failing", "SEV2")
    assert found.commander is not None and found.commander.email == "responder@example.com"
    [reply] = slack.responses
    assert "Declared" in reply["text"] and "INC-1" in reply["text"]

    [created] = slack.called("conversations.create")
    assert created["name"] == "inc-1-checkout-failing"
    [header] = slack.called("chat.postMessage")
    assert header["channel"] == "CINC1"
    assert header["blocks"][0]["text"]["text"] == "INC-1 Checkout failing"
    [pin] = slack.called("pins.add")
    assert pin["channel"] == "CINC1"
    [invite] = slack.called("conversations.invite")
    assert invite == {"channel": "CINC1", "users": "URESPONDER"}
    with db.session() as session:
        room = session.scalars(select(SlackChannel)).one()
        assert (room.incident_id, room.channel_id) == (1, "CINC1")
    assert "slack_channel" in kinds(db)


def test_commands_in_the_incident_channel_act_on_it_and_keep_the_header_current(
    from_slack: FromSlack, slack: SlackStandIn, db: Database, personas: Personas, run_jobs: Run
) -> None:
    declared(from_slack, run_jobs, personas)
    slack.calls.clear()

    from_slack.command("sev 1 card payments fail for everyone", channel="CINC1")
    run_jobs()
    assert incident(db).severity == "SEV1"
    [update] = slack.called("chat.update")
    assert update["ts"] and "SEV1" in json.dumps(update["blocks"])
    assert any("severity changed" in p["text"] for p in slack.called("chat.postMessage"))

    from_slack.command("note rolled back the payment adapter", channel="CINC1")
    from_slack.command("ic <@UADMIN|admin>", channel="CINC1")
    from_slack.command("status", channel="CINC1")
    run_jobs()
    found = incident(db)
    assert found.commander is not None and found.commander.email == "admin@example.com"
    assert "note" in kinds(db)
    [status] = [r["text"] for r in slack.responses if "Open in fireline" in r["text"]]
    assert "SEV1" in status and "Admin" in status

    from_slack.command("resolve INC-1")  # from anywhere, naming it
    run_jobs()
    assert incident(db).status == "resolved"


def test_people_act_with_their_own_role_and_strangers_not_at_all(
    from_slack: FromSlack, slack: SlackStandIn, db: Database, personas: Personas, run_jobs: Run
) -> None:
    declared(from_slack, run_jobs, personas)
    before = kinds(db)
    from_slack.command("note INC-1 hello", user="UVIEWER")
    from_slack.command("note INC-1 hello", user="USTRANGER")
    from_slack.command("note INC-99 hello")
    from_slack.command("note hello", channel="CGENERAL")
    run_jobs()
    # Replies go out side by side: in any order.
    answers = " | ".join(sorted(r["text"] for r in slack.responses[1:]))
    assert len(slack.responses) == 5
    for expected in (
        "needs the responder role",
        "not a fireline user",
        "no incident INC-99",
        "name the incident",
    ):
        assert expected in answers
    assert kinds(db) == before


def test_a_pinned_reaction_or_the_shortcut_adds_a_message_to_the_timeline(
    from_slack: FromSlack, slack: SlackStandIn, db: Database, personas: Personas, run_jobs: Run
) -> None:
    declared(from_slack, run_jobs, personas)
    slack.history["1700000100.000200"] = {"text": "DB failover finished", "user": "UADMIN"}
    reaction = {
        "type": "reaction_added",
        "user": "URESPONDER",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": "CINC1", "ts": "1700000100.000200"},
        "event_ts": "1700000101.000000",
    }
    assert from_slack.event(reaction).status_code == 200
    assert from_slack.event(reaction).status_code == 200  # pinned twice: noted once
    assert from_slack.event({**reaction, "reaction": "tada"}).status_code == 200
    from_slack.interaction(
        {
            "type": "message_action",
            "callback_id": "fireline_add_to_timeline",
            "team": {"id": "T1"},
            "user": {"id": "URESPONDER"},
            "channel": {"id": "CINC1"},
            "message": {
                "type": "message",
                "text": "Customers confirm checkout works",
                "user": "UADMIN",
                "ts": "1700000200.000100",
            },
            "response_url": f"{slack.url}/respond/x",
            "trigger_id": "1.2.3",
        }
    )
    run_jobs()
    with db.session() as session:
        notes = session.scalars(
            select(TimelineEvent.body)
            .where(TimelineEvent.kind == "note")
            .order_by(TimelineEvent.id)
        ).all()
    assert notes == [
        "From Slack: DB failover finished",
        "From Slack: Customers confirm checkout works",
    ]
    # Notes from Slack are not posted back to Slack.
    assert not any("From Slack" in p.get("text", "") for p in slack.called("chat.postMessage"))


def test_a_page_button_acts_as_its_signed_link(
    from_slack: FromSlack,
    slack: SlackStandIn,
    client: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    personas: Personas,
    run_jobs: Run,
) -> None:
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "ops",
            "name": "Ops",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [{"type": "user", "id": personas["responder"].user_id}],
                }
            ],
        },
        headers=personas["manager"].headers,
    )
    assert policy.status_code == 201, policy.text
    declared_incident = client.post(
        "/api/v1/incidents",
        headers=personas["admin"].headers,
        json={"title": "Paged", "type": "service_outage", "severity": "SEV1"},
    )
    assert declared_incident.status_code == 201
    with db.transaction() as session:
        started = paging.start(
            session,
            subject_type="incident",
            subject_id=1,
            title="INC-1 Paged",
            urgency="high",
            policy=session.scalars(select(EscalationPolicy)).one(),
            now=clock.now(),
        )
        page_id = started.id
        key = signing_key(session, settings)
    token = sign_action(
        key,
        "ack",
        "page",
        page_id,
        personas["responder"].user_id,
        clock.now() + timedelta(hours=1),
    )
    press = {
        "type": "block_actions",
        "user": {"id": "UVIEWER"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "fireline_ack", "value": token, "type": "button"}],
        "response_url": f"{slack.url}/respond/page",
    }
    assert from_slack.interaction(press).status_code == 200
    forged = {
        **press,
        "actions": [{"action_id": "fireline_ack", "value": token[:-4] + "AAAA", "type": "button"}],
    }
    assert from_slack.interaction(forged).status_code == 200
    run_jobs()
    with db.session() as session:
        acknowledged = session.get(Page, page_id)
        assert acknowledged is not None and acknowledged.status == "acknowledged"
    texts = [r["text"] for r in slack.responses]
    assert any(t.startswith("Acknowledged by Responder") for t in texts)
    assert any("not issued by this fireline" in t for t in texts)


def test_without_a_signing_secret_the_slack_app_is_off(
    database_url: str, db: Database, clock: FixedClock
) -> None:
    from fireline.web.app import create_app

    app = create_app(
        Settings(database_url=database_url, migrate_on_start=False), database=db, clock=clock
    )
    with TestClient(app) as client:
        answer = client.post("/slack/events", content="x")
    assert answer.status_code == 404
    assert "not set up" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("declare SEV1 Checkout down", Command("declare", severity="SEV1", text="Checkout down")),
        (
            "sev 2 INC-7 calmer now",
            Command("sev", incident_ref="INC-7", severity="SEV2", text="calmer now"),
        ),
        ("sev sev3", Command("sev", severity="SEV3")),
        ("ic <@U12345|ana> 42", Command("ic", incident_ref="INC-42", slack_user="U12345")),
        ("note inc-3 rolled back", Command("note", incident_ref="INC-3", text="rolled back")),
        ("resolve", Command("resolve")),
        ("STATUS 9", Command("status", incident_ref="INC-9")),
    ],
)
def test_commands_are_read_as_typed(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text", ["declare", "declare sev2", "sev", "sev high", "ic ana", "note", "deploy"]
)
def test_unreadable_commands_say_what_to_type(text: str) -> None:
    with pytest.raises(CommandError):
        parse(text)


def test_the_channel_header_buttons_act_as_whoever_presses_them(
    from_slack: FromSlack,
    slack: SlackStandIn,
    client: TestClient,
    db: Database,
    clock: FixedClock,
    personas: Personas,
    run_jobs: Run,
) -> None:
    declared(from_slack, run_jobs, personas)
    [header] = slack.called("chat.postMessage")
    buttons = [e["action_id"] for e in header["blocks"][2]["elements"]]
    assert buttons[:3] == [
        "fireline_incident_ack",
        "fireline_incident_escalate",
        "fireline_incident_resolve",
    ]

    def press(action_id: str, user: str = "URESPONDER") -> None:
        answer = from_slack.interaction(
            {
                "type": "block_actions",
                "user": {"id": user},
                "team": {"id": "T1"},
                "channel": {"id": "CINC1"},
                "actions": [{"action_id": action_id, "value": "INC-1", "type": "button"}],
                "response_url": f"{slack.url}/respond/header",
            }
        )
        assert answer.status_code == 200

    press("fireline_incident_escalate")  # nobody is paged yet
    run_jobs()
    assert "nobody is being paged for INC-1" in slack.responses[-1]["text"]

    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "slug": "ops",
            "name": "Ops",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "user", "id": personas["admin"].user_id}]}
            ],
        },
        headers=personas["manager"].headers,
    )
    assert policy.status_code == 201
    with db.transaction() as session:
        page_id = paging.start(
            session,
            subject_type="incident",
            subject_id=1,
            title="INC-1 Checkout failing",
            urgency="high",
            policy=session.scalars(select(EscalationPolicy)).one(),
            now=clock.now(),
        ).id
    press("fireline_incident_ack")
    run_jobs()
    with db.session() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.status == "acknowledged"
    assert any("acknowledged the page for INC-1" in r["text"] for r in slack.responses)

    press("fireline_incident_resolve", user="UVIEWER")  # a viewer may not
    run_jobs()
    assert incident(db).status != "resolved"
    press("fireline_incident_resolve")
    run_jobs()
    assert incident(db).status == "resolved"
