"""Pages for a security incident's classification, approvals and confidential notes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
