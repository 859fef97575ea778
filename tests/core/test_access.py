"""Every API endpoint refuses the callers it should.

The table below names the least role each operation needs. A new endpoint
that is not in the table fails ``test_every_operation_is_declared``, so
nobody can add a route without deciding who may call it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from fireline.people.models import Role
from tests.conftest import Persona

PUBLIC = "public"
MINIMUM_ROLE: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/api/v1/me"): "viewer",
    ("GET", "/api/v1/users"): "viewer",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/{ref}"): "viewer",
    ("PUT", "/api/v1/users/{ref}/role"): "admin",
    ("GET", "/api/v1/teams"): "viewer",
    ("POST", "/api/v1/teams"): "manager",
    ("GET", "/api/v1/teams/{slug}"): "viewer",
    ("POST", "/api/v1/teams/{slug}/members"): "manager",
    ("DELETE", "/api/v1/teams/{slug}/members/{user_ref}"): "manager",
    ("GET", "/api/v1/tokens"): "viewer",
    ("POST", "/api/v1/tokens"): "viewer",
    ("DELETE", "/api/v1/tokens/{token_id}"): "viewer",
    ("GET", "/api/v1/jobs"): "manager",
    ("GET", "/api/v1/jobs/counts"): "viewer",
    ("POST", "/api/v1/jobs/{job_id}/retry"): "admin",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/audit/verify"): "admin",
    ("GET", "/api/v1/incidents"): "viewer",
    ("POST", "/api/v1/incidents"): "responder",
    ("GET", "/api/v1/incidents/{ref}"): "viewer",
    ("GET", "/api/v1/incidents/search"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/timeline"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/status"): "responder",
    ("POST", "/api/v1/incidents/{ref}/severity"): "responder",
    ("POST", "/api/v1/incidents/{ref}/type"): "responder",
    ("POST", "/api/v1/incidents/{ref}/resolve"): "responder",
    ("POST", "/api/v1/incidents/{ref}/milestones"): "responder",
    ("POST", "/api/v1/incidents/{ref}/roles"): "responder",
    ("DELETE", "/api/v1/incidents/{ref}/roles/{role}/{user_ref}"): "responder",
    ("POST", "/api/v1/incidents/{ref}/notes"): "responder",
    ("POST", "/api/v1/incidents/{ref}/page"): "responder",
    ("PUT", "/api/v1/incidents/{ref}/follow"): "viewer",
    ("DELETE", "/api/v1/incidents/{ref}/follow"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/tasks"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/tasks"): "responder",
    ("PATCH", "/api/v1/incidents/{ref}/tasks/{task_id}"): "responder",
    ("GET", "/api/v1/incidents/{ref}/action-items"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/action-items"): "responder",
    ("PATCH", "/api/v1/incidents/{ref}/action-items/{item_id}"): "responder",
    ("GET", "/api/v1/action-items"): "viewer",
    ("GET", "/api/v1/action-items/closure"): "viewer",
    ("GET", "/api/v1/postmortems"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/postmortem"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/postmortem"): "responder",
    ("PUT", "/api/v1/incidents/{ref}/postmortem"): "responder",
    ("POST", "/api/v1/incidents/{ref}/postmortem/reviewers"): "responder",
    ("DELETE", "/api/v1/incidents/{ref}/postmortem/reviewers/{user_ref}"): "responder",
    ("POST", "/api/v1/incidents/{ref}/postmortem/submit"): "responder",
    # ... and being one of its named reviewers.
    ("POST", "/api/v1/incidents/{ref}/postmortem/reviews"): "responder",
    ("POST", "/api/v1/incidents/{ref}/postmortem/publish"): "responder",
    ("GET", "/api/v1/incidents/{ref}/postmortem/export"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/links"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/related"): "responder",
    ("POST", "/api/v1/incidents/{ref}/parent"): "responder",
    ("POST", "/api/v1/incidents/{ref}/merge"): "responder",
    ("GET", "/api/v1/services"): "viewer",
    ("POST", "/api/v1/services"): "manager",
    ("GET", "/api/v1/services/{ref}"): "viewer",
    ("GET", "/api/v1/integrations"): "viewer",
    ("POST", "/api/v1/integrations"): "manager",
    ("GET", "/api/v1/integrations/{integration_id}"): "viewer",
    ("PATCH", "/api/v1/integrations/{integration_id}"): "manager",
    ("POST", "/api/v1/integrations/{integration_id}/rotate"): "manager",
    ("POST", "/api/v1/integrations/{integration_id}/revoke"): "manager",
    ("POST", "/api/v1/integrations/try-mapping"): "viewer",
    ("GET", "/api/v1/alert-groups"): "viewer",
    ("GET", "/api/v1/alert-groups/{ref}"): "viewer",
    ("POST", "/api/v1/alert-groups/{ref}/acknowledge"): "responder",
    ("POST", "/api/v1/alert-groups/{ref}/resolve"): "responder",
    ("POST", "/api/v1/alert-groups/{ref}/escalate"): "responder",
    ("POST", "/api/v1/alerts"): "responder",
    ("GET", "/api/v1/routing-rules"): "viewer",
    ("POST", "/api/v1/routing-rules"): "manager",
    ("DELETE", "/api/v1/routing-rules/{rule_id}"): "manager",
    ("GET", "/api/v1/silences"): "viewer",
    ("POST", "/api/v1/silences"): "responder",
    ("POST", "/api/v1/silences/{silence_id}/expire"): "responder",
    ("GET", "/api/v1/maintenance-windows"): "viewer",
    ("POST", "/api/v1/maintenance-windows"): "responder",
    ("DELETE", "/api/v1/maintenance-windows/{window_id}"): "responder",
    ("GET", "/api/v1/changes"): "viewer",
    ("GET", "/api/v1/schedules"): "viewer",
    ("POST", "/api/v1/schedules"): "manager",
    ("GET", "/api/v1/schedules/{ref}"): "viewer",
    ("POST", "/api/v1/schedules/{ref}/layers"): "manager",
    ("DELETE", "/api/v1/schedules/{ref}/layers/{layer_id}"): "manager",
    ("POST", "/api/v1/schedules/{ref}/overrides"): "responder",
    ("DELETE", "/api/v1/schedules/{ref}/overrides/{override_id}"): "responder",
    ("GET", "/api/v1/schedules/{ref}/shifts"): "viewer",
    ("GET", "/api/v1/oncall"): "viewer",
    ("GET", "/api/v1/escalation-policies"): "viewer",
    ("POST", "/api/v1/escalation-policies"): "manager",
    ("GET", "/api/v1/escalation-policies/{ref}"): "viewer",
    ("PATCH", "/api/v1/escalation-policies/{ref}"): "manager",
    ("PUT", "/api/v1/services/{ref}/escalation-policy"): "manager",
    ("GET", "/api/v1/pages"): "viewer",
    ("GET", "/api/v1/me/contact-methods"): "viewer",
    ("POST", "/api/v1/me/contact-methods"): "viewer",
    ("POST", "/api/v1/me/contact-methods/{method_id}/test"): "viewer",
    ("DELETE", "/api/v1/me/contact-methods/{method_id}"): "viewer",
    ("GET", "/api/v1/me/notification-rules"): "viewer",
    ("POST", "/api/v1/me/notification-rules"): "viewer",
    ("DELETE", "/api/v1/me/notification-rules/{rule_id}"): "viewer",
    ("GET", "/api/v1/oncall/check"): "viewer",
    ("GET", "/api/v1/oncall/load"): "viewer",
    ("GET", "/api/v1/insights"): "viewer",
    ("POST", "/api/v1/schedules/{ref}/layers/import"): "manager",
    ("GET", "/api/v1/schedules/{ref}/calendar-feeds"): "viewer",
    ("POST", "/api/v1/schedules/{ref}/calendar-feeds"): "viewer",
    ("DELETE", "/api/v1/schedules/{ref}/calendar-feeds/{feed_id}"): "viewer",
    ("GET", "/api/v1/me/calendar-feeds"): "viewer",
    ("POST", "/api/v1/me/calendar-feeds"): "viewer",
    ("DELETE", "/api/v1/me/calendar-feeds/{feed_id}"): "viewer",
    ("GET", "/calendar/{token}.ics"): PUBLIC,
    ("POST", "/api/v1/pages/{page_id}/{action}"): "responder",
    ("POST", "/api/v1/pages/{page_id}/reassign"): "responder",
    # The status page: public reading in Statuspage's shape, and subscribing.
    ("GET", "/api/v2/summary.json"): PUBLIC,
    ("GET", "/api/v2/status.json"): PUBLIC,
    ("GET", "/api/v2/components.json"): PUBLIC,
    ("GET", "/api/v2/incidents.json"): PUBLIC,
    ("GET", "/api/v2/incidents/unresolved.json"): PUBLIC,
    ("GET", "/api/v2/scheduled-maintenances.json"): PUBLIC,
    ("GET", "/api/v2/scheduled-maintenances/active.json"): PUBLIC,
    ("GET", "/api/v2/scheduled-maintenances/upcoming.json"): PUBLIC,
    ("POST", "/api/v1/status/subscribers"): PUBLIC,
    ("GET", "/api/v1/status/subscribers"): "manager",
    ("DELETE", "/api/v1/status/subscribers/{subscriber_id}"): "manager",
    ("GET", "/api/v1/status/page"): "viewer",
    ("PATCH", "/api/v1/status/page"): "manager",
    ("GET", "/api/v1/status/groups"): "viewer",
    ("POST", "/api/v1/status/groups"): "manager",
    ("PATCH", "/api/v1/status/groups/{ref}"): "manager",
    ("GET", "/api/v1/status/components"): "viewer",
    ("POST", "/api/v1/status/components"): "manager",
    ("GET", "/api/v1/status/components/{ref}"): "viewer",
    ("PATCH", "/api/v1/status/components/{ref}"): "manager",
    ("PUT", "/api/v1/status/components/{ref}/status"): "responder",
    ("GET", "/api/v1/status/incidents"): "viewer",
    ("POST", "/api/v1/status/incidents"): "responder",
    ("GET", "/api/v1/status/incidents/{code}"): "viewer",
    ("POST", "/api/v1/status/incidents/{code}/updates"): "responder",
    ("POST", "/api/v1/status/maintenances"): "responder",
    ("GET", "/api/v1/status/templates"): "viewer",
    ("POST", "/api/v1/status/templates"): "manager",
    ("POST", "/api/v1/incidents/{ref}/public-updates"): "responder",
    ("GET", "/api/v1/incidents/{ref}/stakeholder-updates"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/stakeholder-updates"): "responder",
    ("GET", "/api/v1/chat-rooms"): "admin",
    ("POST", "/api/v1/chat-rooms"): "admin",
    ("POST", "/api/v1/chat-rooms/{room_id}/test"): "admin",
    ("DELETE", "/api/v1/chat-rooms/{room_id}"): "admin",
    ("GET", "/api/v1/maturity"): "viewer",
    ("GET", "/api/v1/plan/document"): "viewer",
    ("GET", "/api/v1/compliance/report"): "manager",
    ("PUT", "/api/v1/maturity/answers"): "manager",
    ("GET", "/api/v1/exercises/scenarios"): "viewer",
    ("POST", "/api/v1/exercises/scenarios"): "admin",
    ("POST", "/api/v1/exercises/scenarios/validate"): "viewer",
    ("GET", "/api/v1/exercises/scenarios/{key}"): "viewer",
    ("DELETE", "/api/v1/exercises/scenarios/{key}"): "admin",
    ("GET", "/api/v1/exercises/runs"): "viewer",
    ("POST", "/api/v1/exercises/runs"): "manager",
    ("GET", "/api/v1/exercises/runs/{run_id}"): "viewer",
    ("POST", "/api/v1/exercises/runs/{run_id}/objectives/{position}"): "manager",
    ("POST", "/api/v1/exercises/runs/{run_id}/finish"): "manager",
    ("GET", "/api/v1/exercises/runs/{run_id}/report"): "viewer",
    ("GET", "/api/v1/playbooks"): "viewer",
    ("POST", "/api/v1/playbooks"): "admin",
    ("POST", "/api/v1/playbooks/validate"): "viewer",
    ("POST", "/api/v1/playbooks/import"): "admin",
    ("GET", "/api/v1/playbooks/{key}"): "viewer",
    ("PUT", "/api/v1/playbooks/{key}"): "admin",
    ("DELETE", "/api/v1/playbooks/{key}"): "admin",
    ("GET", "/api/v1/playbooks/{key}/export"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/playbooks"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/playbooks"): "responder",
    ("POST", "/api/v1/incidents/{ref}/playbooks/{run_id}/steps/{step_key}/skip"): "responder",
    ("GET", "/api/v1/incidents/{ref}/classification"): "viewer",
    ("PUT", "/api/v1/incidents/{ref}/classification"): "responder",
    ("POST", "/api/v1/incidents/{ref}/classification/decision"): "responder",
    ("GET", "/api/v1/incidents/{ref}/approvals"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/approvals"): "responder",
    ("POST", "/api/v1/incidents/{ref}/approvals/{approval_id}/decisions"): "responder",
    ("POST", "/api/v1/incidents/{ref}/approvals/{approval_id}/carried-out"): "responder",
    ("POST", "/api/v1/incidents/{ref}/approvals/{approval_id}/withdraw"): "responder",
    ("GET", "/api/v1/incidents/{ref}/confidential-notes"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/confidential-notes"): "responder",
    # Evidence: the base role below, and a security role on the incident (or admin).
    ("GET", "/api/v1/incidents/{ref}/evidence"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/evidence"): "responder",
    ("POST", "/api/v1/incidents/{ref}/evidence/upload"): "responder",
    ("GET", "/api/v1/incidents/{ref}/evidence/report.json"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/evidence/report.pdf"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/evidence/{item_ref}"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/evidence/{item_ref}/download"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/evidence/{item_ref}/custody"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/evidence/{item_ref}/custody"): "responder",
    ("GET", "/api/v1/evidence/verify"): "viewer",
    ("GET", "/api/v1/evidence/{item_ref}"): "viewer",
    # Observables: read by all who may see the incident, changed by responders.
    ("GET", "/api/v1/incidents/{ref}/observables"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/observables"): "responder",
    ("GET", "/api/v1/incidents/{ref}/observables/sightings"): "viewer",
    ("PATCH", "/api/v1/incidents/{ref}/observables/{observable_id}"): "responder",
    ("DELETE", "/api/v1/incidents/{ref}/observables/{observable_id}"): "responder",
    ("GET", "/api/v1/incidents/{ref}/techniques"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/techniques"): "responder",
    ("DELETE", "/api/v1/incidents/{ref}/techniques/{technique}"): "responder",
    ("GET", "/api/v1/incidents/{ref}/stix"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/stix"): "responder",
    # Obligations: everyone who may see the incident sees them; responders act.
    ("GET", "/api/v1/obligations"): "viewer",
    ("GET", "/api/v1/obligations/presets"): "viewer",
    ("GET", "/api/v1/incidents/{ref}/obligations"): "viewer",
    ("POST", "/api/v1/incidents/{ref}/obligations"): "responder",
    ("POST", "/api/v1/incidents/{ref}/obligations/{key}/moments"): "responder",
    ("PATCH", "/api/v1/incidents/{ref}/obligations/{key}/conditions"): "responder",
    ("POST", "/api/v1/incidents/{ref}/obligations/{key}/submissions"): "responder",
    ("POST", "/api/v1/incidents/{ref}/obligations/{key}/detach"): "responder",
    ("POST", "/api/v1/incidents/{ref}/obligation-documents"): "responder",
    # ... and a security role on the incident (or admin) to download what was sent.
    ("GET", "/api/v1/incidents/{ref}/obligation-documents/{sha256}"): "viewer",
}


# HTML pages are not in the OpenAPI document. The page areas below declare
# each page route's least role here in the same way, so a new page cannot
# appear without a decision either.
PAGE_AREAS = (
    "/oncall",
    "/statuspage",
    "/settings/chat",
    "/security",
    "/incidents/{ref}/evidence",
    "/incidents/{ref}/obligations",
    "/playbooks",
    "/postmortems",
    "/exercises",
    "/maturity",
    "/insights",
    "/compliance",
)
PAGE_MINIMUM_ROLE: dict[tuple[str, str], str] = {
    ("GET", "/insights"): "viewer",
    ("GET", "/insights/export.csv"): "viewer",
    ("GET", "/security/deadlines"): "viewer",
    ("GET", "/incidents/{ref}/obligations"): "viewer",
    ("POST", "/incidents/{ref}/obligations/attach"): "responder",
    ("POST", "/incidents/{ref}/obligations/{key}/moment"): "responder",
    ("POST", "/incidents/{ref}/obligations/{key}/conditions"): "responder",
    ("POST", "/incidents/{ref}/obligations/{key}/submit"): "responder",
    ("POST", "/incidents/{ref}/obligations/{key}/detach"): "responder",
    ("GET", "/maturity"): "viewer",
    ("GET", "/compliance"): "manager",
    ("GET", "/compliance/report.pdf"): "manager",
    ("POST", "/maturity"): "manager",
    ("GET", "/maturity/report"): "viewer",
    ("GET", "/maturity/report.pdf"): "viewer",
    ("GET", "/exercises"): "viewer",
    ("POST", "/exercises"): "manager",
    ("GET", "/exercises/scenarios/new"): "admin",
    ("POST", "/exercises/scenarios/new"): "admin",
    ("GET", "/exercises/scenarios/{key}"): "viewer",
    ("POST", "/exercises/scenarios/{key}/delete"): "admin",
    ("GET", "/exercises/{run_id}"): "viewer",
    ("GET", "/exercises/{run_id}/report.md"): "viewer",
    ("GET", "/exercises/{run_id}/report.pdf"): "viewer",
    ("POST", "/exercises/{run_id}/objectives/{position}"): "manager",
    ("POST", "/exercises/{run_id}/finish"): "manager",
    ("GET", "/postmortems"): "viewer",
    ("GET", "/postmortems/actions"): "viewer",
    ("GET", "/postmortems/{ref}"): "viewer",
    ("GET", "/postmortems/{ref}/export"): "viewer",
    ("POST", "/postmortems/{ref}/{action}"): "responder",
    ("GET", "/playbooks"): "viewer",
    ("GET", "/playbooks/new"): "admin",
    ("POST", "/playbooks/new"): "admin",
    ("GET", "/playbooks/{key}"): "viewer",
    ("GET", "/playbooks/{key}/edit"): "admin",
    ("POST", "/playbooks/{key}/edit"): "admin",
    ("POST", "/playbooks/{key}/delete"): "admin",
    ("GET", "/incidents/{ref}/evidence"): "viewer",
    ("POST", "/incidents/{ref}/evidence/upload"): "responder",
    ("POST", "/incidents/{ref}/evidence/external"): "responder",
    ("GET", "/incidents/{ref}/evidence/report.pdf"): "viewer",
    ("GET", "/incidents/{ref}/evidence/report.json"): "viewer",
    ("GET", "/incidents/{ref}/evidence/{item_ref}"): "viewer",
    ("GET", "/incidents/{ref}/evidence/{item_ref}/download"): "viewer",
    ("POST", "/incidents/{ref}/evidence/{item_ref}/custody"): "responder",
    ("GET", "/statuspage"): "viewer",
    ("GET", "/statuspage/components"): "manager",
    ("POST", "/statuspage/components"): "manager",
    ("GET", "/statuspage/components/{component_id}"): "manager",
    ("POST", "/statuspage/components/{component_id}"): "manager",
    ("POST", "/statuspage/components/{component_id}/status"): "responder",
    ("POST", "/statuspage/groups"): "manager",
    ("GET", "/statuspage/incidents/new"): "responder",
    ("POST", "/statuspage/incidents/new"): "responder",
    ("GET", "/statuspage/incidents/{code}"): "viewer",
    ("POST", "/statuspage/incidents/{code}/updates"): "responder",
    ("GET", "/statuspage/maintenance/new"): "responder",
    ("POST", "/statuspage/maintenance/new"): "responder",
    ("GET", "/statuspage/templates"): "viewer",
    ("POST", "/statuspage/templates"): "manager",
    ("GET", "/statuspage/settings"): "manager",
    ("POST", "/statuspage/settings"): "manager",
    ("GET", "/settings/chat"): "admin",
    ("POST", "/settings/chat"): "admin",
    ("POST", "/settings/chat/{room_id}/test"): "admin",
    ("POST", "/settings/chat/{room_id}/remove"): "admin",
    ("GET", "/oncall"): "viewer",
    ("GET", "/oncall/schedules/new"): "manager",
    ("POST", "/oncall/schedules/new"): "manager",
    ("GET", "/oncall/schedules/{slug}"): "viewer",
    ("POST", "/oncall/schedules/{slug}/layers"): "manager",
    ("POST", "/oncall/schedules/{slug}/layers/{layer_id}/remove"): "manager",
    ("POST", "/oncall/schedules/{slug}/overrides"): "responder",
    ("POST", "/oncall/schedules/{slug}/overrides/{override_id}/remove"): "responder",
    ("GET", "/oncall/policies"): "viewer",
    ("GET", "/oncall/policies/new"): "manager",
    ("POST", "/oncall/policies/new"): "manager",
    ("GET", "/oncall/policies/{slug}"): "viewer",
    ("GET", "/oncall/policies/{slug}/edit"): "manager",
    ("POST", "/oncall/policies/{slug}/edit"): "manager",
    ("GET", "/oncall/me"): "viewer",
    ("POST", "/oncall/me/contact-methods"): "viewer",
    ("POST", "/oncall/me/contact-methods/{method_id}/test"): "viewer",
    ("POST", "/oncall/me/contact-methods/{method_id}/remove"): "viewer",
    ("POST", "/oncall/me/notification-rules"): "viewer",
    ("POST", "/oncall/me/notification-rules/{rule_id}/remove"): "viewer",
    ("GET", "/oncall/pages"): "viewer",
    ("POST", "/oncall/pages/{page_id}/{action}"): "responder",
    ("POST", "/oncall/pages/{page_id}/reassign"): "responder",
}


def operations(client: TestClient) -> list[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def concrete(path: str) -> str:
    """Fill path parameters with an id nobody has, so no call changes the personas."""
    return re.sub(r"\{[^}]+\}", "999999", path)


def test_every_operation_is_declared(client: TestClient) -> None:
    undeclared = [op for op in operations(client) if op not in MINIMUM_ROLE]
    assert undeclared == [], "declare the least role for these operations in MINIMUM_ROLE"
    stale = [op for op in MINIMUM_ROLE if op not in operations(client)]
    assert stale == []


@pytest.mark.parametrize("persona", ["anonymous", *[r.value for r in Role]])
def test_each_operation_admits_exactly_the_right_roles(
    client: TestClient, personas: dict[str, Persona], persona: str
) -> None:
    caller = personas[persona]
    for (method, path), needed in MINIMUM_ROLE.items():
        response = client.request(method, concrete(path), headers=caller.headers, json={})
        status = response.status_code
        where = f"{persona} {method} {path} -> {status} {response.text[:200]}"
        assert status < 500, where
        if needed == PUBLIC:
            assert status not in (401, 403), where
        elif persona == "anonymous":
            assert status == 401, where
            assert response.json()["error"]["code"] == "not_authenticated", where
        elif Role(persona).allows(Role(needed)):
            assert status not in (401, 403), where
        else:
            assert status == 403, where
            assert response.json()["error"]["code"] == "forbidden", where


def page_operations(client: TestClient) -> list[tuple[str, str]]:
    # Included routers are resolved lazily; iter_route_contexts walks them as served.
    routes = iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
    return sorted(
        (method, route.path)
        for route in routes
        if route.path
        and not getattr(route, "include_in_schema", True)
        and any(route.path == area or route.path.startswith(area + "/") for area in PAGE_AREAS)
        for method in route.methods or ()
    )


def test_every_page_is_declared(client: TestClient) -> None:
    undeclared = [op for op in page_operations(client) if op not in PAGE_MINIMUM_ROLE]
    assert undeclared == [], "declare the least role for these pages in PAGE_MINIMUM_ROLE"
    stale = [op for op in PAGE_MINIMUM_ROLE if op not in page_operations(client)]
    assert stale == []


@pytest.mark.parametrize("persona", ["anonymous", *[r.value for r in Role]])
def test_each_page_admits_exactly_the_right_roles(
    client: TestClient, personas: dict[str, Persona], persona: str
) -> None:
    """Pages answer with pages: a sign-in redirect, or a 403 page naming the role."""
    caller = personas[persona]
    headers = {**caller.headers, "accept": "text/html"}
    for (method, path), needed in PAGE_MINIMUM_ROLE.items():
        response = client.request(method, concrete(path), headers=headers, follow_redirects=False)
        status = response.status_code
        where = f"{persona} {method} {path} -> {status} {response.text[:200]}"
        assert status < 500, where
        if persona == "anonymous":
            assert status == 303, where
            assert response.headers["location"].startswith("/login?next="), where
        elif Role(persona).allows(Role(needed)):
            assert status not in (401, 403), where
        else:
            assert status == 403, where
            assert f"needs the {needed} role" in response.text, where
