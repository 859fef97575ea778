"""The obligations API: attach, start the clock, answer conditions, submit,
detach; every change on the timeline; bad input named, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.security.models import ClassificationRecord
from fireline.security.obligations.models import IncidentObligation
from tests.conftest import START
from tests.security.obligations.conftest import CLASSIFIED, Personas, attach, declare, stages


def timeline(client: TestClient, who: Any, ref: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/incidents/{ref}/timeline", headers=who.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def test_attach_with_the_trigger_starts_the_clock_and_goes_on_the_timeline(
    client: TestClient, personas: Personas, ref: str, clock: FixedClock
) -> None:
    gdpr = attach(
        client,
        personas["responder"],
        ref,
        "gdpr",
        trigger_at="2026-03-01T23:00:00+01:00",  # 22:00 UTC, eleven hours before START
    )
    assert gdpr["source"] == "manual" and gdpr["attached_by"] == "Responder"
    [trigger] = gdpr["moments"]
    assert trigger["at"] == "2026-03-01T22:00:00Z" and trigger["time_zone"] == "UTC+01:00"
    authority = stages(gdpr)["authority"]
    assert authority["due_at"] == "2026-03-04T22:00:00Z"  # 72 h later
    assert authority["state"] == "open"
    # Data subjects: only when a high risk is confirmed, which nobody has yet.
    assert stages(gdpr)["data_subjects"]["state"] == "not_applicable"
    assert gdpr["next_deadline"] == {
        "stage": "authority",
        "due_at": "2026-03-04T22:00:00Z",
        "state": "open",
    }
    # The timeline runs by when things happened: the trigger comes before the declaration.
    events = [
        e
        for e in timeline(client, personas["viewer"], ref)
        if e["kind"] == "declared" or e["kind"].startswith("obligation_")
    ]
    assert [e["kind"] for e in events] == ["obligation_moment", "declared", "obligation_attached"]
    assert events[0]["occurred_at"] == "2026-03-01T22:00:00Z"
    assert events[0]["data"]["time_zone"] == "UTC+01:00"
    assert events[2]["body"].startswith("Obligation attached by hand: GDPR Art. 33/34.")


def test_a_suggested_obligation_starts_from_the_suggested_answers(
    client: TestClient, personas: Personas, ref: str, db: Database, clock: FixedClock
) -> None:
    incident_id = int(ref.removeprefix("INC-"))
    with db.transaction() as session:
        session.add(
            ClassificationRecord(
                incident_id=incident_id,
                values=CLASSIFIED,
                suggested_severity="SEV1",
                suggested_obligations=[
                    {"key": "gdpr", "reasons": ["personal data in the EEA"], "conditions": {}},
                    {
                        "key": "hipaa",
                        "reasons": ["health data of people in the US"],
                        "conditions": {"500_or_more": True, "under_500": False},
                    },
                    {"key": "no_such_thing", "reasons": ["from an older plan"]},
                ],
                classified_at=clock.now(),
            )
        )
    listed = client.get(f"/api/v1/incidents/{ref}/obligations", headers=personas["viewer"].headers)
    assert [s["key"] for s in listed.json()["suggestions"]] == ["gdpr", "hipaa"]

    hipaa = attach(
        client,
        personas["responder"],
        ref,
        "hipaa",
        reason="patients' records were on the share",
        trigger_at=START.isoformat(),
    )
    assert hipaa["source"] == "suggested"
    answers = {c["key"]: c["answer"] for c in hipaa["conditions"]}
    assert answers == {"over_500_in_a_state": None, "500_or_more": True, "under_500": False}
    assert stages(hipaa)["hhs"]["state"] == "open"
    assert stages(hipaa)["hhs_log"]["state"] == "not_applicable"
    listed = client.get(f"/api/v1/incidents/{ref}/obligations", headers=personas["viewer"].headers)
    assert [s["key"] for s in listed.json()["suggestions"]] == ["gdpr"]


def test_conditions_change_which_stages_apply_and_are_recorded(
    client: TestClient, personas: Personas, ref: str
) -> None:
    attach(client, personas["responder"], ref, "nydfs", trigger_at=START.isoformat())
    path = f"/api/v1/incidents/{ref}/obligations/nydfs"
    answered = client.patch(
        f"{path}/conditions",
        headers=personas["responder"].headers,
        json={"conditions": {"ransom": True}, "reason": "the board approved the payment"},
    )
    assert answered.status_code == 200, answered.text
    assert stages(answered.json())["ransom"]["state"] == "waiting"  # not paid yet
    paid = client.post(
        f"{path}/moments",
        headers=personas["responder"].headers,
        json={"moment": "ransom_paid", "at": "2026-03-02T08:00:00", "time_zone": "Europe/Berlin"},
    )
    assert paid.status_code == 201, paid.text
    ransom = stages(paid.json())["ransom"]
    assert ransom["due_at"] == "2026-03-03T07:00:00Z"  # 08:00 in Berlin is 07:00 UTC, + 24 h
    assert ransom["state"] == "due_soon"
    events = timeline(client, personas["viewer"], ref)
    conditions = next(e for e in events if e["kind"] == "obligation_conditions")
    assert conditions["data"]["before"] == {"ransom": None}
    assert conditions["data"]["after"] == {"ransom": True}
    assert "the board approved the payment" in conditions["body"]


def test_a_submission_chains_the_next_stage_and_late_is_shown_late(
    client: TestClient, personas: Personas, ref: str, clock: FixedClock
) -> None:
    attach(
        client,
        personas["responder"],
        ref,
        "nis2",
        trigger_at=(START - timedelta(hours=30)).isoformat(),
    )
    path = f"/api/v1/incidents/{ref}/obligations/nis2/submissions"
    early = client.post(
        path,
        headers=personas["responder"].headers,
        json={
            "stage": "early_warning",
            "at": (START - timedelta(hours=2)).isoformat(),
            "authority": "BSI (CSIRT)",
            "reference": "BSI-2026-0412",
        },
    )
    assert early.status_code == 201, early.text
    warning = stages(early.json())["early_warning"]
    assert warning["state"] == "submitted_late"  # 28 h after awareness, not 24
    assert warning["submission"]["reference"] == "BSI-2026-0412"
    assert warning["submission"]["due_at"] == "2026-03-02T03:00:00Z"
    events = timeline(client, personas["viewer"], ref)
    submitted = next(e for e in events if e["kind"] == "obligation_submitted")
    assert "late by 4h 0m" in submitted["body"] and submitted["data"]["late"] is True

    notified = client.post(
        path,
        headers=personas["responder"].headers,
        json={"stage": "notification", "at": START.isoformat(), "authority": "BSI (CSIRT)"},
    )
    final = stages(notified.json())["final_report"]
    assert final["state"] == "open" and final["due_at"] == "2026-04-02T09:00:00Z"
    again = client.post(
        path,
        headers=personas["responder"].headers,
        json={"stage": "notification", "at": START.isoformat(), "authority": "BSI"},
    )
    assert again.status_code == 409 and again.json()["error"]["field"] == "stage"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "authority", "at": "2026-03-02T08:00:00", "authority": "CNIL"}, "at"),
        ({"stage": "authority", "at": "2026-03-02T10:00:00Z", "authority": "CNIL"}, "at"),
        ({"stage": "authority", "at": "yesterday", "authority": "CNIL"}, "at"),
        ({"stage": "authorty", "at": "2026-03-02T08:00:00Z", "authority": "CNIL"}, "stage"),
        ({"stage": "data_subjects", "at": "2026-03-02T08:00:00Z", "authority": "x"}, "stage"),
        ({"stage": "authority", "at": "2026-03-02T08:00:00Z", "authority": "  "}, "authority"),
        ({"stage": "authority", "at": "2026-03-02T08:00:00Z", "authority": "x" * 301}, "authority"),
        (
            {
                "stage": "authority",
                "at": "2026-03-02T08:00:00",
                "time_zone": "Mars/Olympus",
                "authority": "CNIL",
            },
            "time_zone",
        ),
        (
            {
                "stage": "authority",
                "at": "2026-03-02T08:00:00Z",
                "authority": "CNIL",
                "document_sha256": "ab" * 32,
            },
            "document_sha256",
        ),
        (
            {"stage": "authority", "at": "2026-03-02T08:00:00Z", "authority": "CNIL", "to": "x"},
            "to",
        ),
    ],
)
def test_bad_submissions_name_the_field_and_write_nothing(
    client: TestClient, personas: Personas, ref: str, db: Database, body: dict[str, Any], field: str
) -> None:
    attach(client, personas["responder"], ref, "gdpr", trigger_at=START.isoformat())
    before = len(timeline(client, personas["viewer"], ref))
    response = client.post(
        f"/api/v1/incidents/{ref}/obligations/gdpr/submissions",
        headers=personas["responder"].headers,
        json=body,
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert len(timeline(client, personas["viewer"], ref)) == before
    with db.session() as session:
        row = session.scalars(select(IncidentObligation)).one()
        assert row.submissions == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"key": "gdrp", "reason": "EU data"}, 422, "key"),
        ({"key": "gdpr", "reason": " "}, 422, "reason"),
        (
            {"key": "gdpr", "reason": "x", "conditions": {"high_risk": "maybe"}},
            422,
            "conditions.high_risk",
        ),
        ({"key": "gdpr", "reason": "x", "conditions": {"ransom": True}}, 422, "conditions"),
        ({"key": "gdpr", "reason": "x", "trigger_at": "2026-03-02T08:00:00"}, 422, "trigger_at"),
        ({"key": "gdpr", "reason": "x", "trigger_at": "2026-03-03T08:00:00Z"}, 422, "trigger_at"),
        ({"key": "gdpr", "reason": "x" * 5001}, 422, "reason"),
    ],
)
def test_bad_attachments_name_the_field_and_write_nothing(
    client: TestClient,
    personas: Personas,
    ref: str,
    db: Database,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = client.post(
        f"/api/v1/incidents/{ref}/obligations", headers=personas["responder"].headers, json=body
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    with db.session() as session:
        assert session.scalars(select(IncidentObligation)).all() == []
        assert session.scalars(select(Job).where(Job.kind.like("obligation.%"))).all() == []


def test_an_obligation_attaches_once_and_detaching_is_recorded_with_the_reason(
    client: TestClient, personas: Personas, ref: str
) -> None:
    attach(client, personas["responder"], ref, "gdpr")
    twice = client.post(
        f"/api/v1/incidents/{ref}/obligations",
        headers=personas["responder"].headers,
        json={"key": "gdpr", "reason": "again"},
    )
    assert twice.status_code == 409 and twice.json()["error"]["field"] == "key"
    path = f"/api/v1/incidents/{ref}/obligations/gdpr/detach"
    silent = client.post(path, headers=personas["responder"].headers, json={"reason": ""})
    assert silent.status_code == 422 and silent.json()["error"]["field"] == "reason"
    detached = client.post(
        path,
        headers=personas["responder"].headers,
        json={"reason": "only pseudonymised test data was exposed"},
    )
    assert detached.status_code == 200, detached.text
    assert detached.json()["detach_reason"] == "only pseudonymised test data was exposed"
    listed = client.get(f"/api/v1/incidents/{ref}/obligations", headers=personas["viewer"].headers)
    assert listed.json()["obligations"] == []
    history = client.get(
        f"/api/v1/incidents/{ref}/obligations?include_detached=true",
        headers=personas["viewer"].headers,
    ).json()["obligations"]
    assert [(o["key"], o["detached_by"]) for o in history] == [("gdpr", "Responder")]
    event = [e for e in timeline(client, personas["viewer"], ref) if "obligation" in e["kind"]][-1]
    assert event["kind"] == "obligation_detached" and "pseudonymised" in event["body"]
    # Detached, it may be attached again (a new decision, with its own reason).
    attach(client, personas["responder"], ref, "gdpr")


def test_viewers_read_and_responders_act(client: TestClient, personas: Personas, ref: str) -> None:
    attach(client, personas["responder"], ref, "gdpr", trigger_at=START.isoformat())
    read = client.get(f"/api/v1/incidents/{ref}/obligations", headers=personas["viewer"].headers)
    assert read.status_code == 200
    refused = client.post(
        f"/api/v1/incidents/{ref}/obligations/gdpr/detach",
        headers=personas["viewer"].headers,
        json={"reason": "not ours"},
    )
    assert refused.status_code == 403


def test_restricted_incidents_obligations_stay_hidden(
    client: TestClient, personas: Personas
) -> None:
    secret = declare(client, personas["responder"], restricted=True)
    attach(client, personas["responder"], secret, "gdpr", trigger_at=START.isoformat())
    outsider = personas["outsider"].headers
    assert (
        client.get(f"/api/v1/incidents/{secret}/obligations", headers=outsider).status_code == 404
    )
    assert client.get("/api/v1/obligations", headers=outsider).json() == []
    mine = client.get("/api/v1/obligations", headers=personas["responder"].headers).json()
    assert [(d["incident"], d["stage"]) for d in mine] == [(secret, "authority")]


def test_open_deadlines_across_incidents_soonest_first(
    client: TestClient, personas: Personas
) -> None:
    leak = declare(client, personas["responder"], type="leaked_credential")
    ransom = declare(client, personas["responder"])
    attach(client, personas["responder"], leak, "gdpr", trigger_at=START.isoformat())
    attach(
        client,
        personas["responder"],
        ransom,
        "dora",
        trigger_at=START.isoformat(),
        reason="major ICT incident at a payment institution",
    )
    client.post(
        f"/api/v1/incidents/{ransom}/obligations/dora/moments",
        headers=personas["responder"].headers,
        json={"moment": "aware", "at": (START - timedelta(hours=22)).isoformat()},
    )
    listed = client.get("/api/v1/obligations", headers=personas["viewer"].headers).json()
    assert [(d["incident"], d["stage"], d["state"]) for d in listed] == [
        (ransom, "initial", "due_soon"),  # 24 h after awareness: in two hours
        (leak, "authority", "open"),
    ]
    assert listed[0]["seconds_left"] == 2 * 3600
    assert listed[0]["obligation_name"] == "DORA Art. 19"


def test_presets_and_the_plan_obligations_are_offered(
    client: TestClient, personas: Personas
) -> None:
    offered = client.get("/api/v1/obligations/presets", headers=personas["viewer"].headers)
    assert offered.status_code == 200
    keys = [(o["key"], o["origin"]) for o in offered.json()]
    assert keys == [
        (key, "preset") for key in ("gdpr", "nis2", "dora", "sec_8k", "hipaa", "nydfs", "circia")
    ]
    gdpr = offered.json()[0]
    assert gdpr["stages"][0]["clocks"] == [["trigger", "72h"]]


def test_unknown_obligations_and_moments_name_the_field(
    client: TestClient, personas: Personas, ref: str
) -> None:
    attach(client, personas["responder"], ref, "gdpr")
    headers = personas["responder"].headers
    missing = client.post(
        f"/api/v1/incidents/{ref}/obligations/nis2/moments",
        headers=headers,
        json={"at": START.isoformat()},
    )
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "key"
    wrong = client.post(
        f"/api/v1/incidents/{ref}/obligations/gdpr/moments",
        headers=headers,
        json={"moment": "ransom_paid", "at": START.isoformat()},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "moment"
    nothing = client.patch(
        f"/api/v1/incidents/{ref}/obligations/gdpr/conditions",
        headers=headers,
        json={"conditions": {}},
    )
    assert nothing.status_code == 422 and nothing.json()["error"]["field"] == "conditions"
