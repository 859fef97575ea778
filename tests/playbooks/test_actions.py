"""A playbook step's HTTP action, sent by the worker to a real receiver."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from tests.comms.conftest import Receiver
from tests.conftest import Persona
from tests.incidents.test_api import declare
from tests.playbooks.conftest import EDR_TOKEN
from tests.playbooks.test_runs import close_task, runs, step

ACTION_PLAYBOOK = """key: block-host
name: Block a host
types: [insider_threat]
steps:
  - key: block
    title: Block the host at the EDR
    phase: containment
    action:
      endpoint: {endpoint}
      method: POST
      path: /tenants/{{{{ secrets.TENANT }}}}/block
      headers:
        Content-Type: application/json
        X-Incident: "{{{{ incident.ref }}}}"
      body: '{{"incident": "{{{{ incident.ref }}}}", "severity": "{{{{ incident.severity }}}}", "step": "{{{{ step.key }}}}"}}'
  - key: confirm
    title: Confirm the host is offline
    phase: containment
    after: [block]
"""


def _store(client: TestClient, admin: Persona, endpoint: str = "edr") -> None:
    stored = client.post(
        "/api/v1/playbooks",
        json={"source": ACTION_PLAYBOOK.format(endpoint=endpoint)},
        headers=admin.headers,
    )
    assert stored.status_code == 201, stored.text


def test_the_action_is_sent_with_its_templates_and_settles_the_step(
    client: TestClient,
    personas: dict[str, Persona],
    receiver: Receiver,
    run_jobs: Callable[[], int],
) -> None:
    _store(client, personas["admin"])
    responder = personas["responder"]
    ref = declare(client, responder, type="insider_threat", severity="2").json()["ref"]
    [run] = [r for r in runs(client, ref, responder) if r["playbook"] == "block-host"]
    assert step(run, "block")["status"] == "running"
    run_jobs()
    request = receiver.last
    assert (request.method, request.path) == ("POST", "/tenants/acme-prod/block")
    assert request.headers["authorization"] == f"Bearer {EDR_TOKEN}"
    assert request.headers["x-incident"] == ref
    assert json.loads(request.body) == {"incident": ref, "severity": "SEV2", "step": "block"}
    [run] = [r for r in runs(client, ref, responder) if r["playbook"] == "block-host"]
    assert step(run, "block")["status"] == "done"
    assert step(run, "confirm")["status"] == "open"
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=responder.headers).text
    assert '"kind":"playbook_action"' in timeline.replace(" ", "")
    assert EDR_TOKEN not in timeline


def test_a_failing_endpoint_is_retried_then_left_to_a_person(
    client: TestClient,
    personas: dict[str, Persona],
    receiver: Receiver,
    run_jobs: Callable[[], int],
    clock: FixedClock,
) -> None:
    _store(client, personas["admin"])
    responder = personas["responder"]
    for _ in range(3):
        receiver.reply(503, "maintenance")
    ref = declare(client, responder, type="insider_threat", severity="2").json()["ref"]
    for _ in range(3):
        run_jobs()
        clock.advance(minutes=30)
    assert len(receiver.requests) == 3
    [run] = [r for r in runs(client, ref, responder) if r["playbook"] == "block-host"]
    block = step(run, "block")
    assert block["status"] == "open" and "503" in block["note"]
    # The person does it by hand; the run goes on.
    assert close_task(client, ref, block["task_id"], responder).status_code == 200
    run_jobs()
    assert len(receiver.requests) == 3


def test_a_refusal_or_a_missing_endpoint_is_not_retried(
    client: TestClient,
    personas: dict[str, Persona],
    receiver: Receiver,
    run_jobs: Callable[[], int],
    clock: FixedClock,
) -> None:
    _store(client, personas["admin"])
    receiver.reply(403, "forbidden")
    responder = personas["responder"]
    ref = declare(client, responder, type="insider_threat", severity="2").json()["ref"]
    run_jobs()
    clock.advance(hours=1)
    run_jobs()
    assert len(receiver.requests) == 1
    [run] = [r for r in runs(client, ref, responder) if r["playbook"] == "block-host"]
    assert step(run, "block")["status"] == "open" and "403" in step(run, "block")["note"]

    _store(client, personas["admin"], endpoint="siem")
    other = declare(client, responder, type="insider_threat", severity="2").json()["ref"]
    run_jobs()
    [run] = [r for r in runs(client, other, responder) if r["playbook"] == "block-host"]
    assert "'siem' is not configured" in step(run, "block")["note"]
    assert len(receiver.requests) == 1
