"""Whatever a client sends to the API is answered with a 2xx or a 4xx, never
a 500.

schemathesis reads the API's own OpenAPI description and sends every
operation requests drawn from it: ones that fit the description and ones
that break it (wrong types, nulls, missing and unknown fields, values past
their bounds). They go to the demo organisation with real references in the
URLs (an incident with evidence and playbooks, a schedule, a policy, an
alert group...), so that they reach the code behind the 404s. Generation is
derandomized: the same requests every run, so a failure can be replayed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from sqlalchemy import select

from fireline import demo
from fireline.alerts.models import AlertGroup, Integration
from fireline.comms.status.models import Component, ComponentGroup, PublicIncident
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.incidents.models import Incident
from fireline.oncall.models import EscalationPolicy, Page, Schedule
from fireline.playbooks.models import PlaybookRun
from fireline.security.evidence.models import EvidenceItem
from tests.conftest import FixedClock

# Left out: revoking tokens and changing roles would take the run's own
# credentials away half-way, and every later request would be a 401.
LEFT_OUT = r"^/api/v1/(tokens|users/\{ref\}/role)"
# Requests drawn for each operation, in each of the two modes (fitting the
# description, and breaking it).
EXAMPLES = 12


@dataclass(frozen=True)
class Demo:
    token: str
    # The path parameters to use under each path prefix, longest prefix first.
    known: list[tuple[str, dict[str, Any]]]

    def parameters_for(self, path: str) -> dict[str, Any]:
        for prefix, values in self.known:
            if path.startswith(prefix):
                return values
        return {}


@pytest.fixture
def demo_organisation(db: Database, clock: FixedClock, settings: Settings) -> Demo:
    with db.transaction() as session:
        login = demo.seed(session, now=clock.now(), password="a demo password", settings=settings)
        item = session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).first()
        assert item is not None, "the demo has evidence"
        incident = session.get_one(Incident, item.incident_id)
        run = session.scalars(
            select(PlaybookRun).where(PlaybookRun.incident_id == incident.id)
        ).first()
        assert run is not None and run.steps, "the demo's security incident runs a playbook"

        def first(model: Any) -> Any:
            row = session.scalars(select(model).order_by(model.id)).first()
            assert row is not None, f"the demo has a {model.__name__}"
            return row

        known = {
            "/api/v1/incidents/{ref}": {
                "ref": incident.ref,
                "item_ref": item.ref,
                "run_id": run.id,
                "step_key": run.steps[0].step_key,
            },
            "/api/v1/evidence/{item_ref}": {"item_ref": item.ref},
            "/api/v1/schedules/{ref}": {"ref": first(Schedule).slug},
            "/api/v1/escalation-policies/{ref}": {"ref": first(EscalationPolicy).slug},
            "/api/v1/services/{ref}": {"ref": "checkout"},
            "/api/v1/alert-groups/{ref}": {"ref": first(AlertGroup).ref},
            "/api/v1/integrations/{integration_id}": {"integration_id": first(Integration).id},
            "/api/v1/pages/{page_id}": {"page_id": first(Page).id},
            "/api/v1/playbooks/{key}": {"key": "phishing"},
            "/api/v1/exercises/scenarios/{key}": {"key": "api-key-exposure"},
            "/api/v1/status/components/{ref}": {"ref": first(Component).code},
            "/api/v1/status/groups/{ref}": {"ref": first(ComponentGroup).code},
            "/api/v1/status/incidents/{code}": {"code": first(PublicIncident).code},
        }
    return Demo(login.token, sorted(known.items(), key=lambda kv: -len(kv[0])))


def test_no_request_is_answered_with_a_server_error(app: Any, demo_organisation: Demo) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {demo_organisation.token}"}
    failures: list[str] = []
    for result in schema.exclude(path_regex=LEFT_OUT).get_all_operations():
        operation = result.ok()
        known = demo_organisation.parameters_for(operation.path)
        for mode in GenerationMode:
            cases = operation.as_strategy(mode, path_parameters=known or None)

            @given(cases)
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def send(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

            try:
                send()
            except Unsatisfiable:
                pass  # nothing in this operation can be drawn to break its description
            except (Exception, FailureGroup) as failure:  # each is reported below
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
