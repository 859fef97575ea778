"""The signed-in status page screens through HTTP: who may see and change
what, each form's happy path, bad input shown beside its field with nothing
written, and "Post public update" on an incident's page. Forms are posted as
a browser posts them, with the session's CSRF token."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from fireline.comms.status.models import (
    Component,
    ComponentGroup,
    PublicIncident,
    PublicUpdate,
    StatusPageSettings,
    UpdateTemplate,
)
from fireline.core.db import Database
from fireline.incidents.models import TimelineEvent
from fireline.people.models import User
from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}
MANAGER_PAGES = ("/statuspage/components", "/statuspage/settings")
RESPONDER_PAGES = ("/statuspage/incidents/new", "/statuspage/maintenance/new")


def as_user(client: TestClient, persona: str) -> str:
    """Sign in as ``persona`` and return the session's CSRF token."""
    client.cookies.clear()
    sign_in(client, f"{persona}@example.com")
    return page_token(client, "/statuspage")


def send(client: TestClient, token: str, path: str, **data: Any):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )


def count(db: Database, model: type, *where: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def component(db: Database, name: str) -> Component:
    with db.session() as session:
        query = select(Component).options(selectinload(Component.services))
        return session.scalars(query.where(Component.name == name)).one()


def error_beside(page: str, form: str, field: str) -> str:
    """The error text shown beside ``field`` of ``form``, and the field points at it."""
    error_id = f"{form}-{field.replace('.', '-')}-error"
    assert f'aria-describedby="{error_id}"' in page, f"{field} is not marked invalid"
    found = re.search(
        rf'<small class="form-error" id="{error_id}" role="alert">([^<]*)</small>', page
    )
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))


@pytest.fixture
def catalog(client: TestClient, personas: dict[str, Persona]) -> None:
    for slug, name in (("api", "Public API"), ("web", "Website")):
        response = client.post(
            "/api/v1/services",
            json={"slug": slug, "name": name},
            headers=personas["manager"].headers,
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def components(
    client: TestClient, personas: dict[str, Persona], catalog: None, db: Database
) -> None:
    """A "Core" group holding API (for the api service) and Website, and an
    ungrouped Docs, made through the manager's forms."""
    token = as_user(client, "manager")
    assert send(client, token, "/statuspage/groups", name="Core").status_code == 303
    with db.session() as session:
        core = session.scalars(select(ComponentGroup)).one()
    for name, services in (("API", ["api"]), ("Website", ["web"]), ("Docs", [])):
        group = "" if name == "Docs" else str(core.id)
        response = send(
            client, token, "/statuspage/components", name=name, group=group, services=services
        )
        assert response.status_code == 303, response.text
    client.cookies.clear()


def declare(client: TestClient, persona: Persona, **fields: Any) -> str:
    body = {"title": "Checkout failing", "type": "outage", "severity": "2", **fields}
    response = client.post("/api/v1/incidents", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    ref: str = response.json()["ref"]
    return ref


# --- access ------------------------------------------------------------------------


def test_every_page_needs_a_sign_in(client: TestClient, personas: dict[str, Persona]) -> None:
    for path in ("/statuspage", "/statuspage/templates", *MANAGER_PAGES, *RESPONDER_PAGES):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}", path


def test_viewers_read_the_overview_but_change_nothing(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "viewer")
    overview = client.get("/statuspage").text
    assert "All Systems Operational" in overview and 'href="/status"' in overview
    assert "Nothing is published yet" not in overview  # the placeholder is gone
    assert "API" in overview and "Status of API" not in overview  # no select for viewers
    for path in (*MANAGER_PAGES, *RESPONDER_PAGES):
        assert client.get(path, headers=HTML).status_code == 403, path
    templates = client.get("/statuspage/templates").text
    assert "Update templates" in templates and "Add a template" not in templates
    api = component(db, "API")
    refused = send(client, token, f"/statuspage/components/{api.id}/status", status="major_outage")
    assert refused.status_code == 403 and "needs the responder role" in refused.text
    assert component(db, "API").status == "operational"


def test_responders_run_incidents_but_not_the_setup(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "responder")
    overview = client.get("/statuspage").text
    assert "Status of API" in overview and "Open a public incident" in overview
    assert 'href="/statuspage/components"' not in overview  # a manager's page
    for path in RESPONDER_PAGES:
        assert client.get(path).status_code == 200, path
    for path in MANAGER_PAGES:
        assert client.get(path, headers=HTML).status_code == 403, path
    for path, data in (
        ("/statuspage/groups", {"name": "Edge"}),
        ("/statuspage/components", {"name": "CDN"}),
        ("/statuspage/templates", {"name": "x", "body": "y"}),
        ("/statuspage/settings", {"name": "Acme"}),
    ):
        assert send(client, token, path, **data).status_code == 403, path
    assert count(db, ComponentGroup) == 1 and count(db, Component) == 3
    assert count(db, UpdateTemplate) == 0


def test_a_form_without_its_token_is_refused(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    as_user(client, "manager")
    api = component(db, "API")
    for path, data in (
        (f"/statuspage/components/{api.id}/status", {"status": "major_outage"}),
        ("/statuspage/groups", {"name": "Edge"}),
    ):
        response = client.post(path, data=data, headers=HTML)
        assert response.status_code == 403 and "Form expired" in response.text, path
    assert component(db, "API").status == "operational" and count(db, ComponentGroup) == 1


# --- the overview ------------------------------------------------------------------


def test_a_responder_changes_a_status_and_the_overall_state_follows(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "responder")
    api = component(db, "API")
    changed = send(
        client, token, f"/statuspage/components/{api.id}/status", status="partial_outage"
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/statuspage"
    overview = client.get("/statuspage").text
    assert "Partial System Outage" in overview
    row = re.search(rf'<tr id="component-{api.id}">(.*?)</tr>', overview, re.S)
    assert row and '<option value="partial_outage" selected>' in row.group(1)

    bad = send(client, token, f"/statuspage/components/{api.id}/status", status="on_fire")
    assert bad.status_code == 422
    assert error_beside(bad.text, f"component-{api.id}", "status").startswith("expected one of")
    assert component(db, "API").status == "partial_outage"
    missing = send(client, token, "/statuspage/components/999999/status", status="major_outage")
    assert missing.status_code == 404


# --- components and groups -----------------------------------------------------------


def test_a_manager_adds_and_edits_components(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "manager")
    listing = client.get("/statuspage/components").text
    assert listing.index("Core") < listing.index("API") < listing.index("Not in a group")
    api = component(db, "API")
    assert [s.slug for s in api.services] == ["api"] and api.group_id is not None

    edited = send(
        client,
        token,
        f"/statuspage/components/{api.id}",
        name="Public API",
        description="REST and GraphQL",
        group="",
        services=["api", "web"],
        only_show_if_degraded="on",
    )
    assert edited.status_code == 303
    after = component(db, "Public API")
    assert after.group_id is None and after.only_show_if_degraded
    assert sorted(s.slug for s in after.services) == ["api", "web"]
    assert "REST and GraphQL" in client.get(f"/statuspage/components/{api.id}").text


def test_component_and_group_errors_show_beside_their_fields(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "manager")
    nameless = send(client, token, "/statuspage/components", name="", description="Kept")
    assert nameless.status_code == 422
    assert error_beside(nameless.text, "component", "name") == "name is required"
    assert 'value="Kept"' in nameless.text
    unknown = send(client, token, "/statuspage/components", name="CDN", services=["nope"])
    assert error_beside(unknown.text, "component", "services") == "no service 'nope'"
    stray = send(client, token, "/statuspage/components", name="CDN", group="Core")
    assert error_beside(stray.text, "component", "group") == "choose a group from the list"
    api = component(db, "API")
    renamed = send(client, token, f"/statuspage/components/{api.id}", name=" ", group="")
    assert renamed.status_code == 422 and error_beside(renamed.text, "component", "name")
    group = send(client, token, "/statuspage/groups", name="", description="Edge things")
    assert error_beside(group.text, "group", "name") == "name is required"
    assert 'value="Edge things"' in group.text
    assert count(db, Component) == 3 and count(db, ComponentGroup) == 1
    assert component(db, "API").group_id is not None  # the failed edit left it as it was


# --- public incidents ----------------------------------------------------------------


def test_open_a_public_incident_from_a_template(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "manager")
    added = send(
        client,
        token,
        "/statuspage/templates",
        name="Slow API",
        status="identified",
        title="API responses are slow",
        body="We found the cause and are fixing it.",
    )
    assert added.status_code == 303
    with db.session() as session:
        template = session.scalars(select(UpdateTemplate)).one()
    filled = client.get(f"/statuspage/incidents/new?template={template.id}").text
    assert 'value="API responses are slow"' in filled
    assert ">We found the cause and are fixing it.</textarea>" in filled
    assert '<option value="identified" selected>' in filled
    assert client.get("/statuspage/incidents/new?template=nonsense").status_code == 200

    api = component(db, "API")
    opened = send(
        client,
        token,
        "/statuspage/incidents/new",
        name="API responses are slow",
        status="identified",
        impact="major",
        body="We found the cause.",
        **{f"component.{api.id}": "degraded_performance", f"was.{api.id}": "operational"},
    )
    assert opened.status_code == 303
    shown = client.get(opened.headers["location"]).text
    assert "We found the cause." in shown and "API: Operational → Degraded performance" in shown
    assert component(db, "API").status == "degraded_performance"
    assert "Degraded performance" in client.get("/statuspage").text
    assert "API responses are slow" in client.get("/statuspage").text


def test_open_form_errors_keep_the_input_and_write_nothing(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "responder")
    api = component(db, "API")
    wordless = send(
        client,
        token,
        "/statuspage/incidents/new",
        name="Kept title",
        status="investigating",
        impact="minor",
        body="",
        **{f"component.{api.id}": "major_outage", f"was.{api.id}": "operational"},
    )
    assert wordless.status_code == 422
    assert error_beside(wordless.text, "incident", "body") == "body is required"
    assert 'value="Kept title"' in wordless.text
    assert '<option value="major_outage" selected>' in wordless.text  # the select as sent
    bad_status = send(
        client,
        token,
        "/statuspage/incidents/new",
        name="x",
        status="investigating",
        impact="minor",
        body="y",
        **{f"component.{api.id}": "on_fire"},
    )
    assert error_beside(bad_status.text, "incident", f"component.{api.id}")
    assert count(db, PublicIncident) == 0 and component(db, "API").status == "operational"


def test_updates_then_resolve(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    token = as_user(client, "responder")
    api, web = component(db, "API"), component(db, "Website")
    opened = send(
        client,
        token,
        "/statuspage/incidents/new",
        name="Outage",
        status="investigating",
        impact="major",
        body="Looking into it.",
        **{f"component.{api.id}": "major_outage", f"was.{api.id}": "operational"},
    )
    path = opened.headers["location"]
    # Someone sets Website meanwhile; this form still shows it operational and
    # leaves it so: an untouched select is no change.
    send(client, token, f"/statuspage/components/{web.id}/status", status="partial_outage")
    update = send(
        client,
        token,
        f"{path}/updates",
        form="update",
        status="monitoring",
        body="A fix is out.",
        **{f"component.{web.id}": "operational", f"was.{web.id}": "operational"},
    )
    assert update.status_code == 303
    assert component(db, "Website").status == "partial_outage"
    bad = send(client, token, f"{path}/updates", form="update", status="done", body="x")
    assert bad.status_code == 422 and error_beside(bad.text, "update", "status")
    empty = send(client, token, f"{path}/updates", form="resolve", status="resolved", body="")
    assert error_beside(empty.text, "resolve", "body") == "body is required"

    resolved = send(
        client, token, f"{path}/updates", form="resolve", status="resolved", body="All fine."
    )
    assert resolved.status_code == 303
    page = client.get(path).text
    assert "All fine." in page and "A fix is out." in page and "Post the next update" not in page
    assert component(db, "API").status == "operational"  # back with the resolution
    late = send(client, token, f"{path}/updates", form="update", status="monitoring", body="x")
    assert late.status_code == 409 and "open a new one instead" in late.text
    assert count(db, PublicUpdate) == 3


def test_unknown_or_odd_public_incident_addresses_are_404(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    token = as_user(client, "responder")
    for code in ("nothere", "99999999999999999999999", "a%00b", "UPPER"):
        assert client.get(f"/statuspage/incidents/{code}", headers=HTML).status_code == 404
        response = send(client, token, f"/statuspage/incidents/{code}/updates", body="x")
        assert response.status_code == 404


# --- maintenance -------------------------------------------------------------------


def test_maintenance_is_typed_in_the_viewers_time_zone(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    with db.transaction() as session:
        session.execute(
            update(User)
            .where(User.email == "responder@example.com")
            .values(time_zone="Europe/Berlin")
        )
    token = as_user(client, "responder")
    form = client.get("/statuspage/maintenance/new").text
    assert "Europe/Berlin" in form and 'value="2026-03-02T11:00"' in form  # 10:00 UTC
    api = component(db, "API")
    backwards = send(
        client,
        token,
        "/statuspage/maintenance/new",
        name="Database upgrade",
        body="Short interruptions.",
        scheduled_for="2026-03-03T10:00",
        scheduled_until="2026-03-03T09:00",
        components=[str(api.id)],
    )
    assert backwards.status_code == 422
    assert error_beside(backwards.text, "maintenance", "scheduled_until").startswith("the end")
    assert 'value="Database upgrade"' in backwards.text and "checked" in backwards.text
    unreadable = send(
        client,
        token,
        "/statuspage/maintenance/new",
        name="x",
        body="y",
        scheduled_for="soon",
        scheduled_until="2026-03-03T09:00",
    )
    assert error_beside(unreadable.text, "maintenance", "scheduled_for")
    assert count(db, PublicIncident) == 0

    scheduled = send(
        client,
        token,
        "/statuspage/maintenance/new",
        name="Database upgrade",
        body="Short interruptions.",
        scheduled_for="2026-03-03T10:00",
        scheduled_until="2026-03-03T11:30",
        components=[str(api.id)],
    )
    assert scheduled.status_code == 303
    with db.session() as session:
        window = session.scalars(select(PublicIncident)).one()
        assert window.kind == "maintenance" and [c.name for c in window.components] == ["API"]
        assert window.scheduled_for.replace(tzinfo=UTC) == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    overview = client.get("/statuspage").text
    assert "Database upgrade" in overview and "03 Mar 10:00" in overview


# --- templates and settings ----------------------------------------------------------


def test_template_errors_show_beside_their_fields(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    token = as_user(client, "manager")
    assert (
        send(
            client, token, "/statuspage/templates", name="Fixed", status="resolved", body="Done."
        ).status_code
        == 303
    )
    again = send(
        client, token, "/statuspage/templates", name="Fixed", status="resolved", body="Kept words"
    )
    assert again.status_code == 409
    assert "exists" in error_beside(again.text, "template", "name")
    assert ">Kept words</textarea>" in again.text
    wrong = send(client, token, "/statuspage/templates", name="Other", status="sleeping", body="x")
    assert error_beside(wrong.text, "template", "status").startswith("expected one of")
    assert count(db, UpdateTemplate) == 1
    assert "Fixed" in client.get("/statuspage/templates").text


def test_page_settings(client: TestClient, personas: dict[str, Persona], db: Database) -> None:
    token = as_user(client, "manager")
    base = {
        "name": "Acme status",
        "logo_url": "https://acme.example/logo.svg",
        "brand_color": "#FF6600",
        "time_zone": "Europe/Berlin",
        "support_url": "https://acme.example/help",
    }
    saved = send(client, token, "/statuspage/settings", **base)
    assert saved.status_code == 303
    assert "Saved." in client.get(saved.headers["location"]).text
    with db.session() as session:
        settings = session.scalars(select(StatusPageSettings)).one()
        assert (settings.name, settings.brand_color, settings.time_zone) == (
            "Acme status",
            "#ff6600",
            "Europe/Berlin",
        )
    for field, value, message in (
        ("brand_color", "orange", "expected a colour like #1f6feb"),
        ("time_zone", "Mars/Olympus", "expected a time zone like Europe/Berlin"),
        ("logo_url", "javascript:alert(1)", "expected an http(s) URL"),
    ):
        bad = send(
            client, token, "/statuspage/settings", **{**base, "name": "Not saved", field: value}
        )
        assert bad.status_code == 422, field
        assert error_beside(bad.text, "settings", field) == message
        assert 'value="Not saved"' in bad.text
    with db.session() as session:
        assert session.scalars(select(StatusPageSettings)).one().name == "Acme status"


# --- "Post public update" on an incident's page ------------------------------------


def test_publishing_from_an_incident(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    ref = declare(client, personas["responder"], title="Website down", services=["web"])
    token = as_user(client, "responder")
    before = client.get(f"/incidents/{ref}").text
    assert "Nothing published about this incident yet" in before
    panel = before[before.index('id="public-update"') :]
    # The incident's service's component comes first, marked as such.
    assert panel.index("Website <small>") < panel.index(">API<") < panel.index(">Docs<")
    web = component(db, "Website")
    posted = send(
        client,
        token,
        f"/incidents/{ref}/public-update",
        name="Website unavailable",
        impact="major",
        status="investigating",
        body="The website is down for some visitors.",
        **{f"component.{web.id}": "partial_outage", f"was.{web.id}": "operational"},
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith(f"/incidents/{ref}")
    assert component(db, "Website").status == "partial_outage"
    page = client.get(f"/incidents/{ref}").text
    assert "Latest public update on" in page and "The website is down for some visitors." in page
    with db.session() as session:
        events = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "public_update")
        ).all()
        assert [e.body for e in events] == ["The website is down for some visitors."]
        public = session.scalars(select(PublicIncident)).one()
        assert (public.name, public.impact, public.incident_id) == (
            "Website unavailable",
            "major",
            events[0].incident_id,
        )
    # The next one goes to the same public incident, without asking its name again.
    assert 'id="public-name"' not in page
    again = send(
        client, token, f"/incidents/{ref}/public-update", status="monitoring", body="Recovering."
    )
    assert again.status_code == 303
    assert count(db, PublicIncident) == 1 and count(db, PublicUpdate) == 2
    assert count(db, TimelineEvent, TimelineEvent.kind == "public_update") == 2


def test_publishing_errors_show_on_the_incident_page(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    ref = declare(client, personas["responder"], title="Website down")
    token = as_user(client, "responder")
    web = component(db, "Website")
    response = send(
        client,
        token,
        f"/incidents/{ref}/public-update",
        name="Kept public title",
        impact="minor",
        status="investigating",
        body="  ",
        **{f"component.{web.id}": "major_outage", f"was.{web.id}": "operational"},
    )
    assert response.status_code == 422
    assert error_beside(response.text, "public", "body") == "body is required"
    assert 'value="Kept public title"' in response.text and "<details open>" in response.text
    assert "Website down" in response.text  # the incident page itself
    bad_impact = send(
        client,
        token,
        f"/incidents/{ref}/public-update",
        name="x",
        impact="apocalyptic",
        status="investigating",
        body="y",
    )
    assert error_beside(bad_impact.text, "public", "impact").startswith("expected one of")
    assert count(db, PublicIncident) == 0 and component(db, "Website").status == "operational"
    assert count(db, TimelineEvent, TimelineEvent.kind == "public_update") == 0


def test_who_may_publish_from_an_incident(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    secret = declare(
        client, personas["responder"], title="HR matter", type="insider", restricted=True
    )
    open_one = declare(client, personas["responder"], title="Public outage")
    data = {"status": "investigating", "body": "Words", "name": "Leak", "impact": "minor"}
    token = as_user(client, "outsider")
    hidden = send(client, token, f"/incidents/{secret}/public-update", **data)
    assert hidden.status_code == 404 and "HR matter" not in hidden.text
    token = as_user(client, "viewer")
    assert "Publish to the status page" not in client.get(f"/incidents/{open_one}").text
    refused = send(client, token, f"/incidents/{open_one}/public-update", **data)
    assert refused.status_code == 403
    assert count(db, PublicIncident) == 0 and count(db, PublicUpdate) == 0
    assert count(db, TimelineEvent, TimelineEvent.kind == "public_update") == 0


def test_odd_input_never_makes_a_500(
    client: TestClient, personas: dict[str, Persona], components: None, db: Database
) -> None:
    ref = declare(client, personas["responder"], title="Website down")
    token = as_user(client, "manager")
    api = component(db, "API")
    odd_values = ("\x00", "9" * 40, "x" * 30_000, "-1", "0001-01-01T00:00", "9999-12-31T23:59")
    forms = {
        "/statuspage/components": ("name", "description", "group", "services"),
        f"/statuspage/components/{api.id}": ("name", "group", "services"),
        f"/statuspage/components/{api.id}/status": ("status",),
        "/statuspage/groups": ("name", "description"),
        "/statuspage/templates": ("name", "status", "title", "body"),
        "/statuspage/settings": ("name", "logo_url", "brand_color", "time_zone", "support_url"),
        "/statuspage/incidents/new": ("name", "impact", "status", "body", f"component.{api.id}"),
        "/statuspage/maintenance/new": ("scheduled_for", "scheduled_until", "components"),
        f"/incidents/{ref}/public-update": ("name", "impact", "status", f"component.{api.id}"),
    }
    sane = {"name": "n", "body": "b", "status": "investigating", "impact": "minor"}
    window = {"scheduled_for": "2026-03-03T10:00", "scheduled_until": "2026-03-03T11:00"}
    for path, fields in forms.items():
        for field in fields:
            for value in odd_values:
                data = {**sane, **(window if "maintenance" in path else {}), field: value}
                response = send(client, token, path, **data)
                assert response.status_code < 500, (path, field, value[:20], response.text[-300:])
