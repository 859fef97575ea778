"""JSON API for a security incident's classification, approvals and confidential notes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["security"])
