"""`fireline plan render`: the plan as a document, from the running configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import weasyprint
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fireline.cli import main
from fireline.core.clock import FixedClock
from fireline.core.db import Database
from fireline.demo import seed
from fireline.plan import default_plan, load_plan_text
from fireline.plan.document import Facts, render, to_html
from fireline.plan.document_facts import facts_without_database
from tests.conftest import Persona

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECTIONS = (
    "## 1. Purpose and scope",
    "## 2. Definitions",
    "## 3. Severities and service levels",
    "## 4. Lifecycles",
    "## 5. Roles and decision authority",
    "## 6. Escalation paths",
    "## 7. Communication",
    "## 8. Evidence handling",
    "## 9. Playbooks",
    "## 10. Notification obligations",
    "## 11. Review and testing",
)


def test_the_document_follows_the_plan_it_is_made_from() -> None:
    plan = load_plan_text(
        """
organisation: {name: Acme Payments, time_zone: Europe/Berlin}
obligations:
  - key: pci_dss
    name: PCI DSS card brands
    trigger: suspected compromise of cardholder data
    stages:
      - {key: brands, name: Card brands and acquirer, clocks: [[trigger, 24h]]}
"""
    )
    text = render(plan, facts_without_database(plan), generated_at=NOW, source="acme.yaml")
    positions = [text.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("# Acme Payments: incident response plan")
    assert "from acme.yaml" in text and "measured in Europe/Berlin" in text
    assert "| SEV1 | Service down |" in text and "| 15m | 1h |" in text
    assert "| PCI DSS card brands | Card brands and acquirer | 24h after trigger |" in text
    assert (
        "| Ransomware | Isolate affected hosts from the network | Incident commander, Legal |"
        in text
    )
    assert "### Phishing" in text
    assert "Not included: generated without the database." in text
    # The plan's own roles, security roles included, with their descriptions.
    assert "| Legal | Advises" in text


def test_an_empty_database_says_so_rather_than_leaving_a_gap() -> None:
    plan = default_plan()
    text = render(plan, Facts(from_database=True), generated_at=NOW, source="x")
    assert "No escalation policies are defined yet." in text
    assert "No playbooks apply to this plan." in text


def test_render_markdown_and_pdf_from_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env={"FIRELINE_DATABASE_URL": url}).exit_code == 0
    db = Database(url)
    with db.transaction() as session:
        seed(session, now=FixedClock(NOW).now(), password="demo-password-1")
    db.dispose()
    env = {"FIRELINE_DATABASE_URL": url, "FIRELINE_PLAN": ""}
    markdown = runner.invoke(main, ["plan", "render"], env=env)
    assert markdown.exit_code == 0, markdown.output
    assert "### Payments on-call" in markdown.output
    assert "Page whoever is on call for Payments primary" in markdown.output
    assert "public status page at `/status`" in markdown.output

    pdf = tmp_path / "plan.pdf"
    printed = runner.invoke(main, ["plan", "render", "--format", "pdf", "-o", str(pdf)], env=env)
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    layout = weasyprint.HTML(string=to_html(markdown.output, title="Plan", footer="test")).render()
    assert len(layout.pages) >= 5  # a title page, then the sections

    no_file = runner.invoke(main, ["plan", "render", "--format", "pdf"], env=env)
    assert no_file.exit_code == 2 and "--out" in no_file.output
    offline = runner.invoke(main, ["plan", "render", "--no-database"], env=env)
    assert "Not included: generated without the database." in offline.output
    stale = runner.invoke(
        main,
        ["plan", "render"],
        env={**env, "FIRELINE_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"},
    )
    assert stale.exit_code == 1 and "fireline db upgrade" in stale.output


def test_the_document_over_http(client: TestClient, personas: dict[str, Persona]) -> None:
    viewer = personas["viewer"].headers
    markdown = client.get("/api/v1/plan/document", headers=viewer)
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith(
        "text/markdown"
    )
    assert "## 6. Escalation paths" in markdown.text and "No escalation policies" in markdown.text
    pdf = client.get("/api/v1/plan/document", params={"format": "pdf"}, headers=viewer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = client.get("/api/v1/plan/document", params={"format": "docx"}, headers=viewer)
    assert bad.status_code == 422
    assert client.get("/api/v1/plan/document").status_code == 401
