"""Exercise pages: scenarios and runs, starting a run (managers), uploading a
scenario with its problems inline (admins), a run's progress, objectives and
report, and the EXERCISE badge on the incident pages and the dashboard."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from tests.conftest import Persona
from tests.exercises.test_scenarios import GOOD
from tests.web.helpers import page_token, sign_in


def test_a_manager_starts_a_run_and_judges_it_on_its_page(
    client: TestClient,
    personas: dict[str, Persona],
    services: list[str],
    clock: FixedClock,
    run_jobs: Callable[[], int],
) -> None:
    sign_in(client, "manager@example.com")
    listed = client.get("/exercises")
    assert listed.status_code == 200
    assert "Ransomware on the database hosts" in listed.text
    assert "No exercise has been run yet." in listed.text
    started = client.post(
        "/exercises",
        data={"csrf_token": page_token(client, "/exercises"), "scenario": "sev1-checkout-outage"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    run_jobs()
    clock.advance(minutes=3)
    run_jobs()
    page = client.get(url).text
    assert "Checkout down after a database failover" in page
    assert "real notifications off" in page
    assert page.count('class="inject-delivered"') == 2 and page.count('class="inject-pending"') == 4
    judged = client.post(
        f"{url}/objectives/0",
        data={"csrf_token": page_token(client, url), "met": "yes", "note": "paged in 2 minutes"},
        follow_redirects=False,
    )
    assert judged.status_code == 303
    bad = client.post(
        f"{url}/objectives/0", data={"csrf_token": page_token(client, url), "met": "perhaps"}
    )
    assert bad.status_code == 422 and "expected yes, no or not judged" in bad.text
    page = client.get(url).text
    assert "paged in 2 minutes" in page and "Objectives (1 of 4 met)" in page
    markdown = client.get(f"{url}/report.md")
    assert markdown.status_code == 200
    assert markdown.text.startswith("# After-action report: [EXERCISE] Checkout returning 503")
    pdf = client.get(f"{url}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    ended = client.post(
        f"{url}/finish",
        data={"csrf_token": page_token(client, url), "notes": "Stopped early"},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert "Stopped early" in client.get(url).text
    assert client.get("/exercises/999999").status_code == 404
    assert client.get("/exercises/abc").status_code == 404


def test_exercise_incidents_carry_the_badge_everywhere(
    client: TestClient, personas: dict[str, Persona], services: list[str]
) -> None:
    sign_in(client, "manager@example.com")
    client.post(
        "/exercises",
        data={"csrf_token": page_token(client, "/exercises"), "scenario": "api-key-exposure"},
    )
    ref = client.get("/api/v1/exercises/runs", headers=personas["viewer"].headers).json()[0][
        "incident"
    ]["ref"]
    badge = 'class="badge exercise">EXERCISE<'
    for path in ("/incidents", f"/incidents/{ref}", "/", "/incidents/search?q=GitHub"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert badge in page.text, path
    shown = client.get(f"/incidents/{ref}").text
    assert "Nobody outside it is paged, mailed or messaged" in shown
    api = client.get(f"/api/v1/incidents/{ref}", headers=personas["viewer"].headers).json()
    assert api["is_exercise"] and api["title"].startswith("[EXERCISE] ")


def test_a_missing_service_is_shown_on_the_form(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "manager@example.com")
    response = client.post(
        "/exercises",
        data={"csrf_token": page_token(client, "/exercises"), "scenario": "ransomware-tabletop"},
    )
    assert response.status_code == 422
    assert "which is not in the catalog" in response.text


def test_admins_upload_scenarios_with_problems_shown_by_line(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    sign_in(client, "admin@example.com")
    form = page_token(client, "/exercises/scenarios/new")
    bad = client.post(
        "/exercises/scenarios/new",
        data={"csrf_token": form, "source": GOOD.replace("kind: tabletop", "kind: drill")},
    )
    assert bad.status_code == 422 and "line 3, column 7" in bad.text
    good = client.post(
        "/exercises/scenarios/new",
        data={"csrf_token": form, "source": GOOD},
        follow_redirects=False,
    )
    assert (
        good.status_code == 303 and good.headers["location"] == "/exercises/scenarios/lost-laptop"
    )
    shown = client.get("/exercises/scenarios/lost-laptop").text
    assert "Lost laptop at the airport" in shown and "Was the disk encrypted?" in shown
    removed = client.post(
        "/exercises/scenarios/lost-laptop/delete",
        data={"csrf_token": page_token(client, "/exercises/scenarios/lost-laptop")},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert client.get("/exercises/scenarios/lost-laptop").status_code == 404
