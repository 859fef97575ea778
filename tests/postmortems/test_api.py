"""The post-mortem API: drafted when a required incident resolves, edited,
reviewed by named reviewers, published, exported; restricted incidents stay hidden."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from fireline.core.audit import AuditEvent
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.core.jobs.models import Job
from fireline.postmortems.export import to_html, to_pdf
from tests.conftest import Persona, skip_unless_required
from tests.postmortems.conftest import declare, resolve, timeline_kinds

Personas = dict[str, Persona]


def pm_url(ref: str, tail: str = "") -> str:
    return f"/api/v1/incidents/{ref}/postmortem{tail}"


def test_a_required_incident_gets_a_draft_when_it_resolves(
    client: TestClient, personas: Personas, clock: FixedClock, run_jobs: Callable[[], int]
) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV2", services=[])
    assert client.get(pm_url(ref), headers=responder.headers).status_code == 404
    clock.advance(minutes=50)
    resolve(client, ref, responder)
    run_jobs()
    pm = client.get(pm_url(ref), headers=personas["viewer"].headers).json()
    assert pm["status"] == "draft" and pm["required"] is True
    # Resolved Monday 2 March: five business days later is Monday 9 March.
    assert pm["due_date"] == "2026-03-09" and pm["overdue"] is False
    assert pm["title"] == f"{ref}: Checkout returns 502"
    assert "## Timeline" in pm["body"] and "Declared as SEV2 (Responder)" in pm["body"]
    assert "- **Time to resolve:** 50 min" in pm["body"]
    assert "postmortem_drafted" in timeline_kinds(client, ref, responder)

    # A SEV3 is not required: nothing is drafted on its own.
    minor = declare(client, responder, "SEV3")
    resolve(client, minor, responder)
    run_jobs()
    assert client.get(pm_url(minor), headers=responder.headers).status_code == 404
    drafted = client.post(pm_url(minor), headers=responder.headers)
    assert drafted.status_code == 201 and drafted.json()["required"] is False
    again = client.post(pm_url(minor), headers=responder.headers)
    assert again.status_code == 409


def test_review_workflow_from_draft_to_published(
    client: TestClient, personas: Personas, db: Database
) -> None:
    responder, manager, admin = personas["responder"], personas["manager"], personas["admin"]
    ref = declare(client, responder, "SEV1")
    assert client.post(pm_url(ref), headers=responder.headers).status_code == 201

    text = (
        "# Post-mortem\n\n## Contributing factors\n\nResponder forgot to renew the certificate.\n"
    )
    edited = client.put(pm_url(ref), json={"body": text}, headers=responder.headers).json()
    [finding] = edited["blameless"]
    assert finding["person"] == "Responder" and finding["words"] == ["forgot"]

    refused = client.post(pm_url(ref, "/submit"), headers=responder.headers)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "reviewers"
    for who in (manager, admin):
        added = client.post(
            pm_url(ref, "/reviewers"), json={"user": who.email}, headers=responder.headers
        )
        assert added.status_code == 201, added.text
    viewer_as_reviewer = client.post(
        pm_url(ref, "/reviewers"),
        json={"user": personas["viewer"].email},
        headers=responder.headers,
    )
    assert viewer_as_reviewer.status_code == 422
    assert viewer_as_reviewer.json()["error"]["field"] == "user"

    submitted = client.post(pm_url(ref, "/submit"), headers=responder.headers).json()
    assert submitted["status"] == "in_review"
    locked = client.put(pm_url(ref), json={"body": "x"}, headers=responder.headers)
    assert locked.status_code == 409
    not_named = client.post(
        pm_url(ref, "/reviews"), json={"decision": "approved"}, headers=responder.headers
    )
    assert not_named.status_code == 403

    back = client.post(
        pm_url(ref, "/reviews"),
        json={
            "decision": "changes_requested",
            "comment": "Describe the renewal process, not a person.",
        },
        headers=manager.headers,
    ).json()
    assert back["status"] == "draft"
    fixed = "# Post-mortem\n\n## Contributing factors\n\nCertificate renewal relied on a calendar reminder.\n"
    assert (
        client.put(pm_url(ref), json={"body": fixed}, headers=responder.headers).json()["blameless"]
        == []
    )
    client.post(pm_url(ref, "/submit"), headers=responder.headers)
    early = client.post(pm_url(ref, "/publish"), headers=responder.headers)
    assert early.status_code == 409 and "2 of 2 have not" in early.json()["error"]["message"]
    for who in (manager, admin):
        approved = client.post(
            pm_url(ref, "/reviews"), json={"decision": "approved"}, headers=who.headers
        )
        assert approved.status_code == 200, approved.text
    published = client.post(pm_url(ref, "/publish"), headers=responder.headers).json()
    assert published["status"] == "published" and published["published_at"] is not None
    assert published["published_by"] == "Responder"
    assert [r["decision"] for r in published["reviewers"]] == ["approved", "approved"]

    kinds = timeline_kinds(client, ref, responder)
    for kind in (
        "postmortem_drafted",
        "postmortem_edited",
        "postmortem_reviewer_added",
        "postmortem_submitted",
        "postmortem_reviewed",
        "postmortem_published",
    ):
        assert kind in kinds, kind
    listed = client.get("/api/v1/postmortems?status=published", headers=personas["viewer"].headers)
    assert [p["incident"] for p in listed.json()] == [ref]
    with db.session() as session:
        review_mail = session.scalars(select(Job).where(Job.kind == "notify.email")).all()
        assert sorted(str(j.payload["to"]) for j in review_mail) == sorted(
            [str(manager.email), str(admin.email)] * 2  # one request per submission
        )


def test_export_as_markdown_and_pdf(client: TestClient, personas: Personas, db: Database) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV1")
    client.post(pm_url(ref), headers=responder.headers)
    md = client.get(pm_url(ref, "/export?format=md"), headers=personas["viewer"].headers)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert f'filename="postmortem-{ref}.md"' in md.headers["content-disposition"]
    assert f"# Post-mortem: {ref}: Checkout returns 502" in md.text
    assert "Status: Draft (not yet published)" in md.text
    pdf = client.get(pm_url(ref, "/export?format=pdf"), headers=responder.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    bad = client.get(pm_url(ref, "/export?format=docx"), headers=responder.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "format"
    with db.session() as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "postmortem.export")
        ).all()
        assert [e.changes["format"] for e in exports] == ["md", "pdf"]


def test_the_pdf_has_a_title_page_headings_a_timeline_table_and_page_numbers(
    tmp_path: Path,
) -> None:
    if shutil.which("pdftotext") is None:
        skip_unless_required("pdftotext (poppler-utils) reads the PDF back")

    info = {
        "organisation": "Acme",
        "time_zone": "UTC",
        "ref": "INC-3",
        "title": "INC-3: Checkout returns 502",
        "incident_title": "Checkout returns 502",
        "severity": "SEV1",
        "status": "published",
        "draft": False,
        "published_at": datetime(2026, 3, 5, tzinfo=UTC),
        "published_by": "Grace Hopper",
        "due_date": None,
        "started_at": datetime(2026, 3, 2, 9, tzinfo=UTC),
        "resolved_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
        "reviewers": [{"name": "Ada", "decision": "approved", "decided_at": None}],
        "generated_at": datetime(2026, 3, 6, tzinfo=UTC),
        "fireline_version": "test",
    }
    body = "# Post-mortem\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| 09:04 | Declared |\n"
    html = to_html(info, body)
    assert 'class="title-page"' in html and "<table>" in html and "<h2>Timeline</h2>" in html
    assert "counter(pages)" in html
    document = tmp_path / "postmortem.pdf"
    document.write_bytes(to_pdf(info, body))
    text = subprocess.run(
        ["pdftotext", "-layout", str(document), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = text.rstrip("\f").split("\f")
    assert len(pages) == 2  # the title page, then the body
    assert "INC-3: Checkout returns 502" in pages[0] and "Page 1 of 2" in pages[0]
    assert "Timeline" in pages[1] and "Declared" in pages[1] and "Page 2 of 2" in pages[1]


def test_restricted_incidents_hide_their_post_mortem(
    client: TestClient, personas: Personas
) -> None:
    responder, outsider = personas["responder"], personas["outsider"]
    ref = declare(client, responder, "SEV1", restricted=True)
    client.post(pm_url(ref), headers=responder.headers)
    assert client.get(pm_url(ref), headers=outsider.headers).status_code == 404
    assert client.get(pm_url(ref, "/export?format=md"), headers=outsider.headers).status_code == 404
    assert client.get("/api/v1/postmortems", headers=outsider.headers).json() == []
    assert [
        p["incident"]
        for p in client.get("/api/v1/postmortems", headers=personas["admin"].headers).json()
    ] == [ref]
    # Someone who cannot see it cannot be asked to review it either.
    refused = client.post(
        pm_url(ref, "/reviewers"), json={"user": outsider.email}, headers=responder.headers
    )
    assert refused.status_code == 422 and "restricted" in refused.json()["error"]["message"]


def test_bad_input_names_the_field(client: TestClient, personas: Personas) -> None:
    responder = personas["responder"]
    ref = declare(client, responder, "SEV1")
    assert client.put(pm_url(ref), json={"body": "x"}, headers=responder.headers).status_code == 404
    client.post(pm_url(ref), headers=responder.headers)
    cases = [
        ("put", "", {"body": "x", "extra": 1}, "extra"),
        ("put", "", {"body": "x", "title": " "}, "title"),
        ("put", "", {"body": "x" * 200_001}, "body"),
        ("post", "/reviewers", {"user": "nobody@example.com"}, "user"),
        ("post", "/reviewers", {"user": ""}, "user"),
    ]
    for method, tail, body, field in cases:
        response = client.request(method, pm_url(ref, tail), json=body, headers=responder.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, response.text
    not_in_review = client.post(
        pm_url(ref, "/reviews"), json={"decision": "approved"}, headers=responder.headers
    )
    assert not_in_review.status_code == 409
    assert (
        client.get("/api/v1/postmortems?status=lost", headers=responder.headers).json()["error"][
            "field"
        ]
        == "status"
    )
