"""JSON API for obligations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["security"])
