"""JSON API for observables."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["security"])
