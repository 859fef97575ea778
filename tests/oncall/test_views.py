"""On-call pages through HTTP: the overview, schedules with their timeline,
overrides and layers, escalation policies, one's own contact methods and
rules, and the pages in flight with their buttons. Every form is posted as
a browser would, with its CSRF token; bad input comes back on the form with
the field named, never as a 500."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fireline.core.db import Database
from fireline.oncall import timeline_bars as layout
from fireline.oncall.models import (
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    Page,
    Schedule,
    ScheduleOverride,
)
from fireline.oncall.schedule import Shift, Source
from tests.conftest import Persona
from tests.web.helpers import page_token, sign_in

HTML = {"accept": "text/html"}
BARS = re.compile(
    r'<svg role="listitem" aria-label="([^"]+)" class="shift shift-(\w+)[^"]*" x="([\d.]+)%"[^>]*width="([\d.]+)%"'
)


# --- setting things up through the API, as a script would -----------------------------


def api(client: TestClient, persona: Persona, method: str, path: str, body: Any = None) -> Any:
    response = client.request(method, path, json=body, headers=persona.headers)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def make_schedule(
    client: TestClient,
    manager: Persona,
    slug: str = "primary",
    users: tuple[str, ...] = ("responder@example.com", "manager@example.com"),
    **layer: Any,
) -> dict[str, Any]:
    body = {
        "slug": slug,
        "name": slug.title(),
        "time_zone": "Europe/Berlin",
        "layers": [{"users": list(users), "handoff": "2026-03-02T09:00", **layer}],
    }
    created: dict[str, Any] = api(client, manager, "POST", "/api/v1/schedules", body)
    return created


def bars(page: str, row: str) -> list[tuple[str, str, float, float]]:
    """(label, source, left %, width %) of the bars in the timeline row ``row``."""
    found = re.search(rf'<div class="timeline-row timeline-{row}">(.*?)</div>\s*</?div', page, re.S)
    assert found, f"no {row} row"
    return [
        (html.unescape(label), source, float(left), float(width))
        for label, source, left, width in BARS.findall(found.group(1))
    ]


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- access ------------------------------------------------------------------------


def test_every_oncall_page_needs_a_sign_in(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    for path in (
        "/oncall",
        "/oncall/schedules/new",
        "/oncall/schedules/primary",
        "/oncall/policies",
        "/oncall/policies/new",
        "/oncall/policies/dba",
        "/oncall/me",
        "/oncall/pages",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}", path


def test_viewers_read_but_get_no_forms_and_a_403(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "viewer@example.com")
    overview = client.get("/oncall").text
    assert "Primary" in overview and "New schedule" not in overview
    schedule = client.get("/oncall/schedules/primary").text
    assert "Add an override" not in schedule and "Add a layer" not in schedule
    assert ">Remove layer<" not in schedule
    token = page_token(client, "/oncall")
    for path in ("/oncall/schedules/new", "/oncall/policies/new"):
        refused = client.get(path, headers=HTML)
        assert refused.status_code == 403 and "needs the manager role" in refused.text
    posts = {
        "/oncall/schedules/new": "manager",
        "/oncall/schedules/primary/layers": "manager",
        "/oncall/schedules/primary/overrides": "responder",
        "/oncall/policies/new": "manager",
        "/oncall/pages/1/acknowledge": "responder",
    }
    for path, role in posts.items():
        refused = client.post(path, data={"csrf_token": token}, headers=HTML)
        assert refused.status_code == 403, path
        assert f"needs the {role} role" in refused.text, path
    assert count(db, ScheduleOverride) == 0 and count(db, Schedule) == 1


def test_forms_need_the_csrf_token(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    sign_in(client, "viewer@example.com")
    refused = client.post(
        "/oncall/me/contact-methods",
        data={"csrf_token": "forged", "kind": "log"},
        headers=HTML,
    )
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert count(db, ContactMethod) == 0


# --- the overview ------------------------------------------------------------------


def test_overview_says_who_is_on_call_until_when_and_who_cannot_be_reached(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    make_schedule(client, personas["manager"])
    make_schedule(client, personas["manager"], "nights", handoff="2026-03-09T09:00")
    sign_in(client, "viewer@example.com")
    page = client.get("/oncall").text

    primary = re.search(r'<tr id="schedule-primary">(.*?)</tr>', page, re.S)
    assert primary, page
    # 09:00 in Berlin is 08:00 UTC, the viewer's zone.
    assert "<strong>Responder</strong>" in primary.group(1)
    assert "2026-03-09 08:00 UTC" in primary.group(1)
    nights = re.search(r'<tr id="schedule-nights">(.*?)</tr>', page, re.S)
    assert nights and "nobody" in nights.group(1)  # its first handoff is next week

    warnings = page[page.index('class="reach-warnings"') : page.index('id="schedules-heading"')]
    assert "2 people cannot be reached" in warnings
    assert "Responder has no contact method (on schedule nights, schedule primary)" in warnings
    assert "Manager has no contact method" in warnings
    assert "Nobody is being paged." in page


# --- schedules ---------------------------------------------------------------------


def new_schedule_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Database",
        "slug": "database",
        "time_zone": "Europe/Berlin",
        "team": "",
        "description": "",
        "layer_name": "Weekdays",
        "people": ["2", "3", ""],
        "rotation_length": "1",
        "rotation_unit": "days",
        "handoff": "2026-03-02T09:00",
        "restriction_days": ["1", "2", "3", "4", "5"],
        "restriction_start": "09:00",
        "restriction_end": "17:00",
    }
    form.update(changes)
    return form


def test_manager_creates_a_schedule_through_the_form(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "manager@example.com")
    form_page = client.get("/oncall/schedules/new").text
    assert 'name="handoff" type="datetime-local"' in form_page
    assert '<option value="Europe/Berlin">' in form_page  # the time zone list
    token = page_token(client, "/oncall/schedules/new")
    people = {"2": personas["responder"].user_id, "3": personas["manager"].user_id}
    form = new_schedule_form(people=[str(people["2"]), str(people["3"]), ""])

    created = client.post("/oncall/schedules/new", data={"csrf_token": token, **form})
    assert created.status_code == 200 and str(created.url).endswith("/oncall/schedules/database")
    schedule = api(client, personas["viewer"], "GET", "/api/v1/schedules/database")
    [layer] = schedule["layers"]
    assert layer["name"] == "Weekdays"
    assert layer["user_ids"] == [people["2"], people["3"]]
    assert (layer["rotation_length"], layer["rotation_unit"]) == (1, "days")
    assert layer["restrictions"] == [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}]

    page = created.text
    assert "<h1>Database</h1>" in page
    assert "Mon–Fri 09:00–17:00" in page and "every 1 day" in page
    assert "Responder, then Manager" in page
    assert re.search(
        r'id="on-call-now">\s*<strong>Responder</strong>\s*until Mon 02 Mar 17:00 CET', page
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Not A Slug"}, "slug", "expected lowercase letters"),
        ({"slug": "x" * 65}, "slug", "at most 64 characters"),
        ({"name": ""}, "name", "a name is required"),
        ({"name": "bad\x00name"}, "name", "NUL"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "expected an IANA time zone"),
        ({"team": "nope"}, "team", "no team nope"),
        ({"people": ["", ""]}, "people", "at least one person"),
        ({"people": ["999999"]}, "people", "no user with id 999999"),
        ({"rotation_length": "0"}, "rotation_length", "expected 1 to 1000"),
        ({"rotation_length": "two"}, "rotation_length", "expected a whole number"),
        ({"rotation_unit": "fortnights"}, "rotation_unit", "expected hours, days or weeks"),
        ({"handoff": "next monday"}, "handoff", "expected a local date and time"),
        ({"handoff": "0001-01-01T00:00"}, "handoff", "expected a year from 1970 to 2200"),
        ({"restriction_days": ["8"]}, "restriction_days", "expected weekdays"),
        ({"restriction_start": ""}, "restriction_start", "expected a time of day"),
        ({"restriction_end": "09:00"}, "restriction_end", "must not start and end"),
    ],
)
def test_schedule_form_errors_name_the_field(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    sign_in(client, "manager@example.com")
    token = page_token(client, "/oncall/schedules/new")
    form = new_schedule_form(people=[str(personas["responder"].user_id)])
    form.update(changes)
    response = client.post("/oncall/schedules/new", data={"csrf_token": token, **form})
    assert 400 <= response.status_code < 500, response.text
    assert f'id="schedule-{field}-error"' in response.text, response.text[-3000:]
    assert message in html.unescape(response.text)
    assert count(db, Schedule) == 0  # the schedule and its layer go together, or not at all
    if changes.get("slug", "").startswith("Not"):
        assert 'value="Not A Slug"' in response.text  # the form keeps what was typed


def test_a_taken_slug_is_a_conflict_on_the_slug(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    make_schedule(client, personas["manager"], "database")
    sign_in(client, "manager@example.com")
    token = page_token(client, "/oncall/schedules/new")
    form = new_schedule_form(people=[str(personas["responder"].user_id)])
    response = client.post("/oncall/schedules/new", data={"csrf_token": token, **form})
    assert response.status_code == 409
    assert 'id="schedule-slug-error"' in response.text and "already exists" in response.text


def test_timeline_places_each_shift_by_time_in_the_schedules_zone(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    make_schedule(client, personas["manager"], rotation_unit="days")
    sign_in(client, "viewer@example.com")
    page = client.get("/oncall/schedules/primary").text
    # Two weeks from today (2 March, Berlin), both ends at local midnight.
    assert "Mon 02 Mar 2026 to Sun 15 Mar 2026" in page
    [layer] = [row for row in re.findall(r'timeline-row timeline-(\w+)"', page) if row == "layer"]
    assert layer
    shifts = bars(page, "layer")
    assert len(shifts) == 14  # a daily handoff at 09:00: 13 full days and the edges
    first = shifts[0]
    assert first[0] == "Responder: Mon 02 Mar 09:00 to Tue 03 Mar 09:00 (Europe/Berlin)"
    assert first[2] == pytest.approx(9 / (14 * 24) * 100, abs=0.01)
    assert first[3] == pytest.approx(1 / 14 * 100, abs=0.01)
    assert shifts[1][0].startswith("Manager: Tue 03 Mar 09:00")
    assert bars(page, "final") == shifts  # nothing overrides the only layer
    assert bars(page, "covers") == []
    # Day ticks, and the line for now (10:00 in Berlin on the first day).
    assert page.count('class="timeline-tick"') >= 13 * 3
    assert re.search(r'class="timeline-now" x1="2.976%"', page)


def test_timeline_keeps_local_handoffs_across_the_dst_change(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    make_schedule(client, personas["manager"], rotation_unit="days")
    sign_in(client, "viewer@example.com")
    page = client.get("/oncall/schedules/primary?start=2026-03-28&end=2026-03-30").text
    assert "Sat 28 Mar 2026 to Mon 30 Mar 2026" in page
    labels = [label for label, *_ in bars(page, "final")]
    assert "Sat 28 Mar 09:00 to Sun 29 Mar 09:00" in labels[1]
    assert "Sun 29 Mar 09:00 to Mon 30 Mar 09:00" in labels[2]  # CEST now, still 09:00
    # The turn across the spring-forward night lasts 23 hours, the next one 24.
    widths = [width for *_, width in bars(page, "final")]
    assert widths[1] == pytest.approx(23 / 71 * 100, abs=0.01)
    assert widths[2] == pytest.approx(24 / 71 * 100, abs=0.01)


def test_layout_clips_shifts_to_the_window_and_thins_day_labels() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 1, 23, tzinfo=UTC)  # midnight in Berlin
    end = start + timedelta(days=92)
    early = Shift(start - timedelta(days=3), start + timedelta(days=1), 7, Source.layer, 0)
    late = Shift(end - timedelta(hours=12), end + timedelta(days=5), 9, Source.override, 0)
    placed = layout.bars([early, late], start, end, berlin, {7: "Ana"})
    assert [(b.left, b.colour, b.name) for b in placed] == [(0.0, 7, "Ana"), (99.457, 1, "user 9")]
    assert placed[0].width == pytest.approx(100 / 92, abs=0.001)
    assert placed[1].left + placed[1].width == pytest.approx(100)
    # The bar is cut at the window's edge; its label tells the whole shift.
    whole = "user 9 (override): Mon 01 Jun 13:00 to Sun 07 Jun 01:00 (Europe/Berlin)"
    assert placed[1].label == whole

    ticks = layout.day_ticks(start, end, berlin)
    # 92 days of 24 hours end at 01:00 summer time: past a 93rd local midnight.
    assert len(ticks) == 93 and ticks[0].left == 0.0
    labelled = [t.label for t in ticks if t.label]
    assert len(labelled) <= layout.MAX_DAY_LABELS and labelled[0] == "Mon 02"
    assert layout.marker(start - timedelta(seconds=1), start, end) is None
    assert layout.marker(end, start, end) is None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-13-40", "start", "expected a date like 2026-11-23"),
        ("start=2026-03-10&end=2026-03-01", "end", "must not come before"),
        ("start=2026-03-01&end=2026-12-31", "end", "at most 92 days"),
        ("start=9999-01-01", "start", "expected a year from 1970"),
        ("end=" + "9" * 500, "end", "expected a date"),
    ],
)
def test_a_bad_window_is_explained_on_the_range_form(
    client: TestClient, personas: dict[str, Persona], query: str, field: str, message: str
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "viewer@example.com")
    response = client.get(f"/oncall/schedules/primary?{query}")
    assert response.status_code == 200
    assert f'id="range-{field}-error"' in response.text and message in response.text
    assert "Mon 02 Mar 2026 to Sun 15 Mar 2026" in response.text  # the default window instead


def test_missing_schedule_is_a_404_page(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "viewer@example.com")
    response = client.get("/oncall/schedules/nope", headers=HTML)
    assert response.status_code == 404 and "no schedule nope" in response.text


def test_overrides_and_swaps_from_the_schedule_page(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "responder@example.com")
    token = page_token(client, "/oncall/schedules/primary")
    manager, admin = personas["manager"].user_id, personas["admin"].user_id
    # Times are typed in Berlin time: 12:00 to 18:00 CET is 11:00 to 17:00 UTC.
    cover = client.post(
        "/oncall/schedules/primary/overrides",
        data={
            "csrf_token": token,
            "user": str(admin),
            "starts_at": "2026-03-02T12:00",
            "ends_at": "2026-03-02T18:00",
            "note": "dentist",
        },
    )
    assert cover.status_code == 200, cover.text
    overrides = api(client, personas["viewer"], "GET", "/api/v1/schedules/primary/shifts")
    assert [(o["start"], o["end"]) for o in overrides["overrides"]] == [
        ("2026-03-02T11:00:00Z", "2026-03-02T17:00:00Z")
    ]
    page = cover.text
    [(label, source, _, _)] = bars(page, "covers")
    assert (label, source) == (
        "Admin (override): Mon 02 Mar 12:00 to Mon 02 Mar 18:00 (Europe/Berlin)",
        "override",
    )
    assert [b[0].split(":")[0] for b in bars(page, "final")][:3] == [
        "Responder",
        "Admin (override)",
        "Responder",
    ]
    assert "dentist" in page and "everything" in page

    # A swap: the manager takes the responder's part of a day, and only that.
    swap = client.post(
        "/oncall/schedules/primary/overrides",
        data={
            "csrf_token": token,
            "user": str(manager),
            "replaces": str(personas["responder"].user_id),
            "starts_at": "2026-03-03T00:00",
            "ends_at": "2026-03-04T00:00",
        },
    )
    assert swap.status_code == 200
    assert "only where Responder was on call" in swap.text
    assert any(
        b[1] == "swap" and b[0].startswith("Manager (swap): Tue 03 Mar 00:00")
        for b in bars(swap.text, "covers")
    )

    with db.session() as session:
        first = session.scalars(select(ScheduleOverride).order_by(ScheduleOverride.id)).first()
        assert first is not None
    removed = client.post(
        f"/oncall/schedules/primary/overrides/{first.id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 200 and "dentist" not in removed.text
    assert count(db, ScheduleOverride) == 1
    gone = client.post(
        f"/oncall/schedules/primary/overrides/{first.id}/remove",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert gone.status_code == 404 and f"has no override {first.id}" in gone.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"user": ""}, "user", "choose a person"),
        ({"user": "999999"}, "user", "no user with id 999999"),
        ({"starts_at": ""}, "starts_at", "say when the cover starts"),
        ({"starts_at": "tomorrow"}, "starts_at", "expected a date and time"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at", "at most 62 days"),
        ({"ends_at": "0001-01-01T00:00"}, "ends_at", "expected a date and time"),
        ({"ends_at": "2026-03-02T11:00"}, "ends_at", "the end must come after the start"),
        ({"replaces": "SELF"}, "replaces", "two different people"),
        ({"note": "n" * 501}, "note", "at most 500 characters"),
    ],
)
def test_override_errors_name_the_field(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "responder@example.com")
    token = page_token(client, "/oncall/schedules/primary")
    admin = str(personas["admin"].user_id)
    form = {"user": admin, "starts_at": "2026-03-02T12:00", "ends_at": "2026-03-02T18:00"}
    form.update({k: admin if v == "SELF" else v for k, v in changes.items()})
    response = client.post(
        "/oncall/schedules/primary/overrides", data={"csrf_token": token, **form}
    )
    assert 400 <= response.status_code < 500
    assert f'id="override-{field}-error"' in response.text and message in response.text
    assert count(db, ScheduleOverride) == 0


def test_manager_adds_and_removes_a_layer(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "manager@example.com")
    token = page_token(client, "/oncall/schedules/primary")
    bad = client.post(
        "/oncall/schedules/primary/layers",
        data={"csrf_token": token, "people": "", "handoff": "2026-03-02T09:00"},
    )
    assert bad.status_code == 422 and 'id="layer-people-error"' in bad.text
    assert '<details class="add-layer" open>' in bad.text

    added = client.post(
        "/oncall/schedules/primary/layers",
        data={
            "csrf_token": token,
            "layer_name": "Business hours",
            "people": [str(personas["admin"].user_id)],
            "rotation_length": "1",
            "rotation_unit": "weeks",
            "handoff": "2026-03-02T09:00",
            "restriction_days": ["1", "2", "3", "4", "5"],
            "restriction_start": "09:00",
            "restriction_end": "17:00",
        },
    )
    assert added.status_code == 200
    page = added.text
    assert "Business hours" in page and "Mon–Fri 09:00–17:00" in page
    assert page.count('class="timeline-row timeline-layer"') == 2
    # Inside business hours the new, higher layer wins: the admin is on call now.
    assert re.search(
        r'id="on-call-now">\s*<strong>Admin</strong>\s*until Mon 02 Mar 17:00 CET', page
    )

    with db.session() as session:
        schedule = session.scalars(select(Schedule)).one()
        top = schedule.layers[-1].id
    removed = client.post(
        f"/oncall/schedules/primary/layers/{top}/remove", data={"csrf_token": token}
    )
    assert "Business hours" not in removed.text
    assert re.search(r'id="on-call-now">\s*<strong>Responder</strong>', removed.text)


def test_schedule_page_warns_about_its_unreachable_people(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    make_schedule(client, personas["manager"])
    api(
        client,
        personas["responder"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {}},
    )
    sign_in(client, "viewer@example.com")
    page = client.get("/oncall/schedules/primary").text
    box = page[page.index('class="reach-warnings"') : page.index('id="timeline-heading"')]
    assert "2 people cannot be reached" in box
    assert "Manager has no contact method" in box
    assert "Responder has not verified any contact method" in box


# --- escalation policies -------------------------------------------------------------


def policy_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"slug": "db-oncall", "name": "DB on call", "repeat": "1"}
    form.update(changes)
    return form


def test_manager_creates_a_policy_with_the_steps_editor(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    schedule = make_schedule(client, personas["manager"])
    team = api(
        client, personas["manager"], "POST", "/api/v1/teams", {"slug": "dba", "name": "DBAs"}
    )
    api(
        client,
        personas["manager"],
        "POST",
        "/api/v1/teams/dba/members",
        {"user": "viewer@example.com"},
    )
    sign_in(client, "manager@example.com")
    form_page = client.get("/oncall/policies/new").text
    assert f'<option value="schedule:{schedule["id"]}">Primary</option>' in form_page
    assert f'<option value="team:{team["id"]}">DBAs</option>' in form_page
    token = page_token(client, "/oncall/policies/new")
    responder, admin = personas["responder"].user_id, personas["admin"].user_id
    created = client.post(
        "/oncall/policies/new",
        data={
            "csrf_token": token,
            **policy_form(ack_timeout_minutes="30"),
            "steps[0].targets": [f"schedule:{schedule['id']}"],
            "steps[0].mode": "all",
            "steps[0].delay_minutes": "10",
            # Row 1 is left blank: skipped.
            "steps[2].targets": [f"user:{responder}", f"user:{admin}"],
            "steps[2].mode": "round_robin",
            "steps[2].delay_minutes": "5",
            "steps[3].targets": [f"team:{team['id']}"],
            "steps[3].delay_minutes": "20",
        },
    )
    assert created.status_code == 200 and str(created.url).endswith("/oncall/policies/db-oncall")
    stored = api(client, personas["viewer"], "GET", "/api/v1/escalation-policies/db-oncall")
    assert stored["steps"] == [
        {"delay_minutes": 10, "targets": [{"type": "schedule", "ids": [schedule["id"]]}]},
        {"delay_minutes": 5, "targets": [{"type": "round_robin", "ids": [responder, admin]}]},
        {"delay_minutes": 20, "targets": [{"type": "team", "ids": [team["id"]]}]},
    ]
    assert (stored["repeat"], stored["ack_timeout_minutes"]) == (1, 30)

    page = created.text
    steps = page[page.index('id="steps"') : page.index("</ol>")]
    assert steps.index("Step 1") < steps.index("Step 2") < steps.index("Step 3")
    assert '<a href="/oncall/schedules/primary">Primary</a>' in steps
    assert "on call now: Responder" in steps
    assert "Responder, then Admin" in steps and "Viewer" in steps  # the team's members
    assert "wait <strong>10 minutes</strong>" in steps
    assert "1 more time after the last step" in page
    assert "paged again 30 minutes after" in page
    assert "no service yet" in page
    # Everyone the policy can reach is checked: nobody here has a contact method.
    for name in ("Admin", "Manager", "Responder", "Viewer"):
        assert f"{name} has no contact method" in page

    api(client, personas["manager"], "POST", "/api/v1/services", {"slug": "db", "name": "Database"})
    api(
        client,
        personas["manager"],
        "PUT",
        "/api/v1/services/db/escalation-policy",
        {"escalation_policy": "db-oncall"},
    )
    assert 'id="policy-services">Database</dd>' in client.get("/oncall/policies/db-oncall").text
    listing = client.get("/oncall/policies").text
    row = re.search(r'<tr id="policy-db-oncall">(.*?)</tr>', listing, re.S)
    assert row and "Database" in row.group(1) and "<td>3</td>" in row.group(1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "steps[0].targets", "a policy needs at least one step"),
        ({"steps[1].targets": "user:abc"}, "steps[1].targets", "from the list"),
        ({"steps[1].targets": "robot:1"}, "steps[1].targets", "from the list"),
        ({"steps[1].targets": "user:999999"}, "steps[1].targets", "no user with id 999999"),
        (
            {"steps[1].targets": "schedule:1", "steps[1].mode": "round_robin"},
            "steps[1].targets",
            "takes turns among people",
        ),
        ({"steps[1].targets": "USER", "steps[1].mode": "loudly"}, "steps[1].mode", "expected all"),
        (
            {"steps[0].targets": "USER", "steps[3].targets": "USER", "steps[3].delay_minutes": "0"},
            "steps[3].delay_minutes",
            "expected whole minutes from 1 to 1440",
        ),
        (
            {"steps[4].targets": "USER", "steps[4].delay_minutes": "soon"},
            "steps[4].delay_minutes",
            "whole number",
        ),
        ({"steps[0].targets": "USER", "repeat": "99"}, "repeat", "expected 0 to 10 repeats"),
        (
            {"steps[0].targets": "USER", "ack_timeout_minutes": "0"},
            "ack_timeout_minutes",
            "1 to 1440",
        ),
        ({"steps[0].targets": "USER", "slug": "-bad"}, "slug", "expected lowercase letters"),
        ({"steps[0].targets": "USER", "team": "ghosts"}, "team", "no team ghosts"),
        ({"steps[0].targets": "USER", "name": " "}, "name", "a name is required"),
    ],
)
def test_policy_form_errors_name_the_row_and_field(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_schedule(client, personas["manager"])
    sign_in(client, "manager@example.com")
    token = page_token(client, "/oncall/policies/new")
    user = f"user:{personas['responder'].user_id}"
    form = policy_form(**{k: user if v == "USER" else v for k, v in changes.items()})
    response = client.post("/oncall/policies/new", data={"csrf_token": token, **form})
    assert 400 <= response.status_code < 500, response.text
    error_id = field.replace(".", "-")
    assert f'id="policy-{error_id}-error"' in response.text, response.text[-4000:]
    assert message in response.text
    assert count(db, EscalationPolicy) == 0


def test_a_policy_is_edited_in_the_steps_editor(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    schedule = make_schedule(client, personas["manager"])
    responder, admin = personas["responder"].user_id, personas["admin"].user_id
    steps = [{"delay_minutes": 10, "targets": [{"type": "schedule", "id": schedule["id"]}]}]
    steps += [
        {"delay_minutes": 5, "targets": [{"type": "round_robin", "ids": [responder, admin]}]}
    ] * 5  # more steps than the editor's usual rows
    api(
        client,
        personas["manager"],
        "POST",
        "/api/v1/escalation-policies",
        {"slug": "ops", "name": "Ops", "steps": steps},
    )
    with TestClient(client.app) as responder_client:
        sign_in(responder_client, "responder@example.com")
        refused = responder_client.get("/oncall/policies/ops/edit", headers=HTML)
        assert refused.status_code == 403
        assert (
            '/oncall/policies/ops/edit">Edit<'
            not in responder_client.get("/oncall/policies/ops").text
        )
    sign_in(client, "manager@example.com")
    assert '/oncall/policies/ops/edit">Edit<' in client.get("/oncall/policies/ops").text
    editor = client.get("/oncall/policies/ops/edit").text
    assert 'name="rows" value="7"' in editor  # six steps and a blank row
    assert f'<option value="schedule:{schedule["id"]}" selected>' in editor
    assert re.search(
        r'name="steps\[5\].mode".*?<option value="round_robin" selected>', editor, re.S
    )
    token = page_token(client, "/oncall/policies/ops/edit")
    form = {
        "csrf_token": token,
        "rows": "7",
        "name": "Operations",
        "description": "",
        "repeat": "2",
        "steps[0].targets": [f"schedule:{schedule['id']}"],
        "steps[0].delay_minutes": "3",
        "steps[6].targets": [f"user:{admin}"],
        "steps[6].delay_minutes": "7",
    }
    bad = client.post("/oncall/policies/ops/edit", data={**form, "steps[0].delay_minutes": "0"})
    assert bad.status_code == 422 and 'id="policy-steps[0]-delay_minutes-error"' in bad.text
    assert (
        api(client, personas["viewer"], "GET", "/api/v1/escalation-policies/ops")["name"] == "Ops"
    )
    saved = client.post("/oncall/policies/ops/edit", data=form)
    assert saved.status_code == 200 and str(saved.url).endswith("/oncall/policies/ops")
    stored = api(client, personas["viewer"], "GET", "/api/v1/escalation-policies/ops")
    assert (stored["name"], stored["repeat"]) == ("Operations", 2)
    assert stored["steps"] == [
        {"delay_minutes": 3, "targets": [{"type": "schedule", "ids": [schedule["id"]]}]},
        {"delay_minutes": 7, "targets": [{"type": "user", "ids": [admin]}]},
    ]


def test_missing_policy_is_a_404_page(client: TestClient, personas: dict[str, Persona]) -> None:
    sign_in(client, "viewer@example.com")
    response = client.get("/oncall/policies/nope", headers=HTML)
    assert response.status_code == 404 and "no escalation policy nope" in response.text


# --- my contact methods and rules ----------------------------------------------------


def test_my_contact_methods_tests_and_rules(
    client: TestClient, personas: dict[str, Persona], db: Database, run_jobs: Callable[[], int]
) -> None:
    sign_in(client, "viewer@example.com")
    empty = client.get("/oncall/me").text
    assert "A page cannot reach you" in empty and "Viewer has no contact method" in empty
    assert 'name="target.address" type="email"' in empty  # e-mail is the default kind
    token = page_token(client, "/oncall/me")

    added = client.post(
        "/oncall/me/contact-methods",
        data={
            "csrf_token": token,
            "kind": "email",
            "target.address": "Viewer@Example.com",
            "label": "work mail",
        },
    )
    assert added.status_code == 200
    row = re.search(r'<tr id="method-(\d+)">(.*?)</tr>', added.text, re.S)
    assert row and "work mail" in row.group(2) and "address: Viewer@example.com" in row.group(2)
    assert "not verified" in row.group(2)
    assert "Viewer has not verified any contact method" in added.text
    mail_id = int(row.group(1))

    # The log channel sends nothing and always works, so its test comes back sent.
    client.post(
        "/oncall/me/contact-methods",
        data={"csrf_token": token, "kind": "log", "target.name": "pager", "label": "demo pager"},
    )
    with db.session() as session:
        log_id = session.scalars(select(ContactMethod.id).where(ContactMethod.kind == "log")).one()
    tested = client.post(f"/oncall/me/contact-methods/{log_id}/test", data={"csrf_token": token})
    assert "A test message is on its way to demo pager" in tested.text
    run_jobs()
    after = client.get("/oncall/me").text
    messages = after[after.index('id="messages"') :]
    assert re.search(r"<td>test</td><td>log</td><td>sent</td>", messages)
    assert re.search(r"<td>verify</td><td>log</td><td>sent</td>", messages)
    assert re.search(rf'<tr id="method-{log_id}">.*?worked 2026-03-02 09:00 UTC', after, re.S)

    rule = client.post(
        "/oncall/me/notification-rules",
        data={
            "csrf_token": token,
            "urgency": "high",
            "contact_method": str(mail_id),
            "delay_minutes": "5",
        },
    )
    assert rule.status_code == 200
    high = re.search(r'<article id="rules-high">(.*?)</article>', rule.text, re.S)
    low = re.search(r'<article id="rules-low">(.*?)</article>', rule.text, re.S)
    assert high and "after 5 min: work mail" in high.group(1)
    assert low and "No rules" in low.group(1)
    with db.session() as session:
        rule_id = session.scalars(select(NotificationRule.id)).one()
    client.post(f"/oncall/me/notification-rules/{rule_id}/remove", data={"csrf_token": token})
    assert count(db, NotificationRule) == 0

    removed = client.post(
        f"/oncall/me/contact-methods/{mail_id}/remove", data={"csrf_token": token}
    )
    assert "work mail" not in removed.text and count(db, ContactMethod) == 1


def test_someone_elses_method_and_rule_are_not_found(
    client: TestClient, personas: dict[str, Persona], db: Database
) -> None:
    theirs = api(
        client,
        personas["responder"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {}},
    )
    rule = api(
        client,
        personas["responder"],
        "POST",
        "/api/v1/me/notification-rules",
        {"urgency": "high", "contact_method_id": theirs["id"]},
    )
    api(
        client,
        personas["viewer"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {}},
    )
    sign_in(client, "viewer@example.com")
    token = page_token(client, "/oncall/me")
    for path in (
        f"/oncall/me/contact-methods/{theirs['id']}/test",
        f"/oncall/me/contact-methods/{theirs['id']}/remove",
        f"/oncall/me/notification-rules/{rule['id']}/remove",
    ):
        response = client.post(path, data={"csrf_token": token}, headers=HTML)
        assert response.status_code == 404, path
    stolen = client.post(
        "/oncall/me/notification-rules",
        data={"csrf_token": token, "urgency": "high", "contact_method": str(theirs["id"])},
    )
    assert stolen.status_code == 422 and 'id="rule-contact_method-error"' in stolen.text
    assert count(db, ContactMethod) == 2 and count(db, NotificationRule) == 1


def test_each_kind_shows_the_fields_its_channel_reads(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "viewer@example.com")
    expected = {
        "email": ["target.address"],
        "webhook": ["target.url", "target.secret"],
        "slack": ["target.webhook_url", "target.token", "target.channel"],
        "ntfy": ["target.topic", "target.server", "target.token"],
        "apprise": ["target.url"],
        "log": ["target.name"],
    }
    for kind, names in expected.items():
        page = client.get(f"/oncall/me?kind={kind}").text
        fields = page[page.index('id="method-fields"') : page.index('id="method-label"')]
        assert re.findall(r'name="(target\.\w+)"', fields) == names, kind
        assert f'<input type="hidden" name="kind" value="{kind}">' in fields


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"kind": "email", "target.address": "not-an-address"},
            "target.address",
            "expected one address",
        ),
        ({"kind": "email"}, "target.address", "required"),
        ({"kind": "webhook", "target.url": "ftp://example.com"}, "target.url", "must start with"),
        (
            {"kind": "webhook", "target.url": "https://example.com/h", "target.secret": "short"},
            "target.secret",
            "at least 16",
        ),
        ({"kind": "slack"}, "target.webhook_url", "required (or a token and a channel)"),
        ({"kind": "ntfy", "target.topic": "abc"}, "target.topic", "random characters"),
        ({"kind": "apprise", "target.url": "nonsense"}, "target.url", "expected an Apprise URL"),
        ({"kind": "pigeon"}, "kind", "expected one of"),
        ({"kind": "log", "label": "x" * 201}, "label", "at most 200 characters"),
    ],
)
def test_contact_method_errors_name_the_field(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(client, "viewer@example.com")
    token = page_token(client, "/oncall/me")
    response = client.post("/oncall/me/contact-methods", data={"csrf_token": token, **form})
    assert response.status_code == 422, response.text
    error_id = field.replace(".", "-")
    assert f'id="method-{error_id}-error"' in response.text, response.text[-3000:]
    assert message in html.unescape(response.text)
    assert count(db, ContactMethod) == 0
    # The secret typed in is not sent back into the page.
    assert "short" not in response.text or "secret" not in form


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"urgency": "urgent"}, "urgency", "expected high or low"),
        ({"delay_minutes": "5000"}, "delay_minutes", "expected 0 to 1440"),
        ({"delay_minutes": "soon"}, "delay_minutes", "expected a whole number"),
        ({"contact_method": ""}, "contact_method", "choose a contact method"),
        ({"contact_method": "999999"}, "contact_method", "no contact method 999999"),
    ],
)
def test_rule_errors_name_the_field(
    client: TestClient,
    personas: dict[str, Persona],
    db: Database,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    mine = api(
        client,
        personas["viewer"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {}},
    )
    sign_in(client, "viewer@example.com")
    token = page_token(client, "/oncall/me")
    data = {"urgency": "high", "contact_method": str(mine["id"]), "delay_minutes": "0", **form}
    response = client.post("/oncall/me/notification-rules", data={"csrf_token": token, **data})
    assert response.status_code == 422
    assert f'id="rule-{field}-error"' in response.text and message in response.text
    assert count(db, NotificationRule) == 0


# --- pages in flight -----------------------------------------------------------------


def page_someone(
    client: TestClient, personas: dict[str, Persona], run_jobs: Callable[[], int]
) -> None:
    """An alert on a service whose policy pages the responder, who has a log phone."""
    manager = personas["manager"]
    api(
        client,
        personas["responder"],
        "POST",
        "/api/v1/me/contact-methods",
        {"kind": "log", "target": {"name": "phone"}},
    )
    api(
        client,
        manager,
        "POST",
        "/api/v1/escalation-policies",
        {
            "slug": "api-oncall",
            "name": "API on call",
            "steps": [
                {
                    "delay_minutes": 5,
                    "targets": [{"type": "user", "id": personas["responder"].user_id}],
                }
            ],
        },
    )
    api(client, manager, "POST", "/api/v1/services", {"slug": "api", "name": "API"})
    api(
        client,
        manager,
        "PUT",
        "/api/v1/services/api/escalation-policy",
        {"escalation_policy": "api-oncall"},
    )
    key = api(
        client, manager, "POST", "/api/v1/integrations", {"service": "api", "kind": "pagerduty"}
    )["key"]
    sent = client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "checkout",
            "payload": {"summary": "Checkout errors", "source": "web-1", "severity": "critical"},
        },
    )
    assert sent.status_code == 202, sent.text
    run_jobs()


def test_pages_show_their_notifications_and_take_actions(
    client: TestClient, personas: dict[str, Persona], db: Database, run_jobs: Callable[[], int]
) -> None:
    page_someone(client, personas, run_jobs)
    sign_in(client, "responder@example.com")
    overview = client.get("/oncall").text
    active = overview[overview.index('id="active-heading"') :]
    assert '<a href="/alerts/AG-1">AG-1 Checkout errors</a>' in active
    assert "API on call, step 1 of 1" in active

    listing = client.get("/oncall/pages").text
    with db.session() as session:
        page_id = session.scalars(select(Page.id)).one()
    card = re.search(
        rf'<article class="oncall-page page-active" id="page-{page_id}"(.*?)</article>',
        listing,
        re.S,
    )
    assert card, listing
    assert '<a href="/alerts/AG-1">AG-1 Checkout errors</a>' in card.group(1)
    assert re.search(r"<td>Responder</td>\s*<td>1</td>\s*<td>log</td>", card.group(1))
    assert "notification-sent" in card.group(1)
    assert ">Acknowledge<" in card.group(1) and ">Escalate<" in card.group(1)
    token = page_token(client, "/oncall/pages")

    acked = client.post(f"/oncall/pages/{page_id}/acknowledge", data={"csrf_token": token})
    assert acked.status_code == 200
    assert f'id="page-{page_id}-status">acknowledged<' in acked.text
    assert "acknowledged 2026-03-02 09:00 UTC by Responder" in acked.text
    assert ">Acknowledge<" not in acked.text and ">Resolve<" in acked.text

    bad = client.post(f"/oncall/pages/{page_id}/explode", data={"csrf_token": token})
    assert bad.status_code == 422
    assert "<strong>action</strong>: expected one of acknowledge, resolve, escalate" in bad.text

    resolved = client.post(f"/oncall/pages/{page_id}/resolve", data={"csrf_token": token})
    assert f'id="page-{page_id}-status">resolved<' in resolved.text
    assert ">Resolve<" not in resolved.text
    assert (
        api(client, personas["viewer"], "GET", "/api/v1/alert-groups/AG-1")["status"] == "resolved"
    )
    assert "Nobody is being paged." in client.get("/oncall").text

    missing = client.post(
        "/oncall/pages/999999/acknowledge", data={"csrf_token": token}, headers=HTML
    )
    assert missing.status_code == 404 and "no page 999999" in missing.text


def test_a_page_is_reassigned_from_the_pages_list(
    client: TestClient, personas: dict[str, Persona], db: Database, run_jobs: Callable[[], int]
) -> None:
    page_someone(client, personas, run_jobs)
    sign_in(client, "responder@example.com")
    with db.session() as session:
        page_id = session.scalars(select(Page.id)).one()
    token = page_token(client, "/oncall/pages")
    nobody = client.post(f"/oncall/pages/{page_id}/reassign", data={"csrf_token": token})
    assert nobody.status_code == 422
    assert f'id="page-{page_id}-users-error"' in nobody.text
    unknown = client.post(
        f"/oncall/pages/{page_id}/reassign", data={"csrf_token": token, "users": ["999999"]}
    )
    assert unknown.status_code == 422
    handed = client.post(
        f"/oncall/pages/{page_id}/reassign",
        data={"csrf_token": token, "users": [str(personas["admin"].user_id)]},
        follow_redirects=False,
    )
    assert handed.status_code == 303
    with db.session() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.assigned_user_ids == [personas["admin"].user_id]
    assert "reassigned the page to Admin" in client.get("/alerts/AG-1").text


def test_viewers_see_pages_without_buttons(
    client: TestClient, personas: dict[str, Persona], run_jobs: Callable[[], int]
) -> None:
    page_someone(client, personas, run_jobs)
    sign_in(client, "viewer@example.com")
    listing = client.get("/oncall/pages").text
    assert "AG-1 Checkout errors" in listing and "page-active" in listing
    assert ">Acknowledge<" not in listing and ">Resolve<" not in listing
