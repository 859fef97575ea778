"""Documents sent to authorities: kept in the evidence store under their
SHA-256, with a row that ties them to the incident they were uploaded for.

A submission names its document by SHA-256, and only a document uploaded
for the same incident is accepted: the evidence store is shared, and
knowing a hash must not let anyone attach (and then download) another
incident's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.core import audit
from fireline.core.deps import Principal
from fireline.core.errors import InvalidInput, TooLarge
from fireline.incidents.models import Incident
from fireline.security.evidence.store import EvidenceStore
from fireline.security.obligations.models import ObligationDocument

MAX_BYTES = 100 * 1024 * 1024  # a notice and its annexes, not a disk image
MAX_FILENAME = 255
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Path separators and control characters have no place in a name shown and sent back.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def store(
    session: Session,
    evidence: EvidenceStore,
    principal: Principal,
    now: datetime,
    incident: Incident,
    chunks: Iterable[bytes],
    *,
    filename: str,
    content_type: str = "",
) -> ObligationDocument:
    """Hash and keep the bytes while they stream in; refuse more than MAX_BYTES."""
    name = clean_filename(filename)
    stored = evidence.put(_limited(chunks))
    if stored.size == 0:
        raise InvalidInput("the document is empty", field="document")
    document = ObligationDocument(
        incident_id=incident.id,
        sha256=stored.sha256,
        size=stored.size,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        uploaded_by_id=principal.user_id,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="obligation.document_uploaded",
        object_type="incident",
        object_id=incident.id,
        changes={"sha256": stored.sha256, "size": stored.size, "filename": name},
        now=now,
    )
    return document


def find(session: Session, incident: Incident, sha256: str) -> ObligationDocument | None:
    """The document uploaded for ``incident`` with these bytes, if any."""
    digest = sha256.strip().lower()
    if not _SHA256.fullmatch(digest):
        return None
    return session.scalar(
        select(ObligationDocument)
        .where(ObligationDocument.incident_id == incident.id)
        .where(ObligationDocument.sha256 == digest)
        .order_by(ObligationDocument.id.desc())
        .limit(1)
    )


def clean_filename(filename: str) -> str:
    name = _UNSAFE.sub("_", (filename or "").strip()).strip(". ")
    if not name:
        raise InvalidInput("name the document's file, e.g. early-warning.pdf", field="filename")
    if len(name) > MAX_FILENAME:
        raise InvalidInput(
            f"the file name is longer than {MAX_FILENAME} characters", field="filename"
        )
    return name


def _limited(chunks: Iterable[bytes]) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_BYTES:
            raise TooLarge(
                f"the document is larger than {MAX_BYTES // (1024 * 1024)} MB", field="document"
            )
        yield chunk
