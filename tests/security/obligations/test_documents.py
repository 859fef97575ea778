"""Documents sent to authorities: uploaded as the request body, kept in the
evidence store under their SHA-256, named by a submission, downloaded only
by the incident's security roles, and never served once changed on disk."""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.core.config import Settings
from fireline.security.evidence.store import EvidenceStore
from fireline.security.obligations import documents
from tests.conftest import START, Persona
from tests.security.obligations.conftest import Personas, attach, declare, stages

NOTICE = b"%PDF-1.7\nEarly warning under NIS2 Art. 23(4)(a): ransomware on fs01.corp.example\n"


def upload(
    client: TestClient, who: Persona, ref: str, body: bytes, name: str = "early-warning.pdf"
) -> Any:  # the test client's response
    return client.post(
        f"/api/v1/incidents/{ref}/obligation-documents",
        params={"filename": name},
        headers={**who.headers, "Content-Type": "application/pdf"},
        content=body,
    )


def test_a_submission_keeps_the_document_sent_with_its_hash(
    client: TestClient, personas: Personas, ref: str, settings: Settings
) -> None:
    attach(client, personas["responder"], ref, "nis2", trigger_at=START.isoformat())
    uploaded = upload(client, personas["responder"], ref, NOTICE)
    assert uploaded.status_code == 201, uploaded.text
    digest = hashlib.sha256(NOTICE).hexdigest()
    assert uploaded.json()["sha256"] == digest and uploaded.json()["size"] == len(NOTICE)
    stored = EvidenceStore(settings.evidence_dir).path_of(digest)
    assert stored.read_bytes() == NOTICE
    assert not os.stat(stored).st_mode & stat.S_IWUSR  # read-only once stored

    submitted = client.post(
        f"/api/v1/incidents/{ref}/obligations/nis2/submissions",
        headers=personas["responder"].headers,
        json={
            "stage": "early_warning",
            "at": START.isoformat(),
            "authority": "BSI",
            "document_sha256": digest.upper(),
        },
    )
    assert submitted.status_code == 201, submitted.text
    document = stages(submitted.json())["early_warning"]["submission"]["document"]
    assert document == {"sha256": digest, "filename": "early-warning.pdf", "size": len(NOTICE)}


def test_only_the_incidents_security_roles_download_it(
    client: TestClient, personas: Personas, ref: str
) -> None:
    digest = upload(client, personas["responder"], ref, NOTICE).json()["sha256"]
    path = f"/api/v1/incidents/{ref}/obligation-documents/{digest}"
    refused = client.get(path, headers=personas["viewer"].headers)
    assert refused.status_code == 403
    made_legal = client.post(
        f"/api/v1/incidents/{ref}/roles",
        headers=personas["responder"].headers,
        json={"role": "legal", "user": "viewer@example.com"},
    )
    assert made_legal.status_code == 201, made_legal.text
    allowed = client.get(path, headers=personas["viewer"].headers)
    assert allowed.status_code == 200 and allowed.content == NOTICE
    assert 'filename="early-warning.pdf"' in allowed.headers["content-disposition"]


def test_a_changed_file_is_named_not_served(
    client: TestClient, personas: Personas, ref: str, settings: Settings
) -> None:
    digest = upload(client, personas["responder"], ref, NOTICE).json()["sha256"]
    stored = EvidenceStore(settings.evidence_dir).path_of(digest)
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.write_bytes(NOTICE.replace(b"ransomware", b"nothing at"))
    response = client.get(
        f"/api/v1/incidents/{ref}/obligation-documents/{digest}", headers=personas["admin"].headers
    )
    assert response.status_code == 409 and "changed" in response.json()["error"]["message"]


def test_another_incidents_document_cannot_be_named(
    client: TestClient, personas: Personas, ref: str
) -> None:
    other = declare(client, personas["responder"], type="leaked_credential")
    digest = upload(client, personas["responder"], other, NOTICE).json()["sha256"]
    attach(client, personas["responder"], ref, "nis2", trigger_at=START.isoformat())
    refused = client.post(
        f"/api/v1/incidents/{ref}/obligations/nis2/submissions",
        headers=personas["responder"].headers,
        json={
            "stage": "early_warning",
            "at": START.isoformat(),
            "authority": "BSI",
            "document_sha256": digest,
        },
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "document_sha256"
    download = client.get(
        f"/api/v1/incidents/{ref}/obligation-documents/{digest}", headers=personas["admin"].headers
    )
    assert download.status_code == 404


@pytest.mark.parametrize(
    ("body", "name", "status", "field"),
    [
        (b"", "empty.pdf", 422, "document"),
        (NOTICE, "   ", 422, "filename"),
        (NOTICE * 3, "big.pdf", 413, "document"),
    ],
)
def test_bad_uploads_are_refused_by_name(
    client: TestClient,
    personas: Personas,
    ref: str,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    name: str,
    status: int,
    field: str,
) -> None:
    monkeypatch.setattr(documents, "MAX_BYTES", len(NOTICE) * 2)
    response = upload(client, personas["responder"], ref, body, name)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field


def test_a_file_name_cannot_climb_out_of_its_directory(
    client: TestClient, personas: Personas, ref: str
) -> None:
    response = upload(client, personas["responder"], ref, NOTICE, "../../etc/passwd")
    assert response.status_code == 201
    assert response.json()["filename"] == "_.._etc_passwd"
