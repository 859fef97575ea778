"""Obligation pages through HTTP: the incident's obligations page and its
forms, the deadlines page across incidents, and the incident page's panel."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.security.evidence.store import EvidenceStore
from fireline.security.models import ClassificationRecord
from tests.conftest import START
from tests.security.obligations.conftest import CLASSIFIED, Personas, attach, declare
from tests.web.helpers import page_token, sign_in

NOTICE = b"%PDF-1.7\nNotification to the ICO, reference pending\n"


def form(client: TestClient, ref: str, action: str, **fields: str) -> Any:
    token = page_token(client, f"/incidents/{ref}/obligations")
    return client.post(
        f"/incidents/{ref}/obligations/{action}",
        data={"csrf_token": token, **fields},
        follow_redirects=False,
    )


def test_attach_start_the_clock_and_submit_with_the_document_from_the_page(
    client: TestClient, personas: Personas, ref: str, settings: Settings
) -> None:
    sign_in(client, "responder@example.com")
    page = client.get(f"/incidents/{ref}/obligations").text
    assert "No obligations attached." in page and 'id="attach-key"' in page
    attached = form(
        client,
        ref,
        "attach",
        key="gdpr",
        reason="customer e-mail addresses in the leaked backup",
        trigger_at="2026-03-02T08:30",
        time_zone="Europe/Berlin",
    )
    assert attached.status_code == 303
    assert attached.headers["location"] == f"/incidents/{ref}/obligations#obligation-gdpr"
    page = client.get(f"/incidents/{ref}/obligations").text
    # 08:30 in Berlin is 07:30 UTC; the authority deadline is 72 hours on.
    assert 'data-deadline="2026-03-05T07:30:00+00:00"' in page
    assert "(stated in Europe/Berlin" in page
    assert "customer e-mail addresses in the leaked backup" in page

    token = page_token(client, f"/incidents/{ref}/obligations")
    submitted = client.post(
        f"/incidents/{ref}/obligations/gdpr/submit",
        data={
            "csrf_token": token,
            "stage": "authority",
            "at": "2026-03-02T09:45",
            "time_zone": "Europe/Berlin",
            "authority": "ICO",
            "reference": "IC-123456-A1B2",
        },
        files={"document": ("ico-notification.pdf", NOTICE, "application/pdf")},
        follow_redirects=False,
    )
    assert submitted.status_code == 303, submitted.text
    page = client.get(f"/incidents/{ref}/obligations").text
    digest = hashlib.sha256(NOTICE).hexdigest()
    assert "to ICO, ref. <code>IC-123456-A1B2</code>" in page
    assert "ico-notification.pdf" in page and digest[:16] in page
    assert EvidenceStore(settings.evidence_dir).verify(digest) is None
    # Not a security role on the incident: the document is named, not linked.
    assert f"obligation-documents/{digest}" not in page


def test_a_refused_form_comes_back_with_the_field_and_what_was_typed(
    client: TestClient, personas: Personas, ref: str
) -> None:
    sign_in(client, "responder@example.com")
    refused = form(client, ref, "attach", key="nis2", reason=" ", trigger_at="2026-03-02T08:30")
    assert refused.status_code == 422
    assert "<strong>reason</strong>" in refused.text
    assert re.search(r'<option value="nis2" selected>', refused.text)
    assert 'value="2026-03-02T08:30"' in refused.text
    for edge in ("0001-01-01T00:00", "9999-12-31T23:59"):
        far = form(client, ref, "attach", key="nis2", reason="r", trigger_at=edge)
        assert far.status_code == 422 and "<strong>trigger_at</strong>" in far.text
        assert "the years 1 to 9999" in far.text
    attach(client, personas["responder"], ref, "gdpr", trigger_at=START.isoformat())
    future = form(
        client,
        ref,
        "gdpr/submit",
        stage="authority",
        at="2026-03-02T11:00",
        time_zone="UTC",
        authority="CNIL",
    )
    assert future.status_code == 422 and "is in the future" in future.text
    assert "<strong>at</strong>" in future.text
    unknown = form(client, ref, "nis2/detach", reason="not in the EU")
    assert unknown.status_code == 404


def test_conditions_and_detaching_from_the_page(
    client: TestClient, personas: Personas, ref: str
) -> None:
    sign_in(client, "responder@example.com")
    attach(client, personas["responder"], ref, "gdpr", trigger_at=START.isoformat())
    page = client.get(f"/incidents/{ref}/obligations").text
    assert page.count("not applicable") == 1
    answered = form(client, ref, "gdpr/conditions", c_high_risk="yes", reason="passwords leaked")
    assert answered.status_code == 303
    page = client.get(f"/incidents/{ref}/obligations").text
    assert "not applicable" not in page and "without undue delay" in page
    bad = form(client, ref, "gdpr/conditions", c_high_risk="perhaps")
    assert bad.status_code == 422 and "<strong>c_high_risk</strong>" in bad.text
    detached = form(client, ref, "gdpr/detach", reason="the data was synthetic")
    assert detached.status_code == 303
    page = client.get(f"/incidents/{ref}/obligations").text
    assert "No obligations attached." in page
    assert "detached by Responder" in page and "the data was synthetic" in page


def test_viewers_see_and_cannot_act(client: TestClient, personas: Personas, ref: str) -> None:
    attach(client, personas["responder"], ref, "gdpr", trigger_at=START.isoformat())
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{ref}/obligations")
    assert page.status_code == 200 and "GDPR Art. 33/34" in page.text
    assert "Record a submission" not in page.text and 'id="attach-key"' not in page.text
    refused = form(client, ref, "gdpr/detach", reason="viewer says no")
    assert refused.status_code == 403 and "needs the responder role" in refused.text


def test_the_deadlines_page_lists_what_the_viewer_may_see_soonest_first(
    client: TestClient, personas: Personas, clock: FixedClock
) -> None:
    leak = declare(client, personas["responder"], type="leaked_credential")
    ransom = declare(client, personas["responder"])
    secret = declare(client, personas["admin"], restricted=True)
    attach(client, personas["responder"], leak, "gdpr", trigger_at=START.isoformat())
    attach(
        client,
        personas["responder"],
        ransom,
        "nis2",
        trigger_at=(START - timedelta(hours=20)).isoformat(),
    )
    attach(client, personas["admin"], secret, "sec_8k", trigger_at=START.isoformat())
    sign_in(client, "outsider@example.com")
    page = client.get("/security/deadlines").text
    assert '<a href="/security/deadlines" aria-current="page">Deadlines</a>' in page
    rows = re.findall(r'<a href="/incidents/(INC-\d+)/obligations#obligation-(\w+)">', page)
    # NIS2's early warning (in 4 h), its notification (in 52 h), then GDPR's 72 h.
    assert rows == [(ransom, "nis2"), (ransom, "nis2"), (leak, "gdpr")]
    assert "due soon" in page and "4h 0m left" in page
    assert secret not in page


def test_the_incident_page_shows_next_deadlines_and_suggestions(
    client: TestClient, personas: Personas, ref: str, db: Database, clock: FixedClock
) -> None:
    with db.transaction() as session:
        session.add(
            ClassificationRecord(
                incident_id=int(ref.removeprefix("INC-")),
                values=CLASSIFIED,
                suggested_severity="SEV1",
                suggested_obligations=[
                    {"key": "nis2", "reasons": ["a significant incident in the EU"]},
                    {"key": "gdpr", "reasons": ["personal data in the EEA"]},
                ],
                classified_at=clock.now(),
            )
        )
    attach(client, personas["responder"], ref, "nis2", trigger_at=START.isoformat())
    sign_in(client, "viewer@example.com")
    page = client.get(f"/incidents/{ref}").text
    panel = page[page.index('id="obligations"') :]
    assert "<strong>NIS2 Art. 23</strong>" in panel
    assert "early warning due" in panel and 'data-deadline="2026-03-03T09:00:00+00:00"' in panel
    assert "Suggested by the classification, not attached yet" in panel
    assert "GDPR Art. 33/34</span>" in panel and "NIS2 Art. 23</span>" not in panel
    assert f'href="/incidents/{ref}/obligations"' in panel
    obligations_page = client.get(f"/incidents/{ref}/obligations").text
    assert 'id="suggestion-gdpr"' in obligations_page


def test_restricted_incidents_obligations_page_is_not_found_for_outsiders(
    client: TestClient, personas: Personas
) -> None:
    secret = declare(client, personas["admin"], restricted=True)
    sign_in(client, "outsider@example.com")
    assert client.get(f"/incidents/{secret}/obligations").status_code == 404
